package dev.mbi.runner.egress;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/** Looks a DNS name up; the egress proxy asks once per request and connects only to what it got. */
@FunctionalInterface
public interface HostResolver {

    /**
     * Every address of a name (never an address literal: those are parsed, not looked up).
     *
     * @throws UnknownHostException when the name has no address
     */
    List<InetAddress> resolve(String name) throws UnknownHostException;

    /**
     * The JDK's resolver ({@link InetAddress#getAllByName}): the system's, or the file named by the
     * {@code jdk.net.hosts.file} system property when the JVM was started with it.
     */
    static HostResolver system() {
        return name -> List.of(InetAddress.getAllByName(name));
    }
}
