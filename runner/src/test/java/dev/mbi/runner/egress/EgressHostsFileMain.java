package dev.mbi.runner.egress;

import dev.mbi.egress.EgressSettings;
import dev.mbi.config.Env;
import java.util.Map;

/**
 * A proxy with the default (JDK) resolver in a JVM of its own, for {@link EgressHostsFileTest}:
 * {@code jdk.net.hosts.file} is read once per JVM, so only a new JVM can be given one. Prints the
 * port, then each block as "BLOCKED host reason"; stops when its input closes.
 */
public final class EgressHostsFileMain {
    private EgressHostsFileMain() {
    }

    public static void main(String[] args) throws Exception {
        Env env = new Env(Map.of(EgressSettings.ALLOW_CIDRS, args[0]));
        EgressPolicy policy = EgressPolicy.of(EgressSettings.from(env));
        env.requireValid("egress test");
        try (EgressProxy proxy = EgressProxy.builder(policy)
                .listener((host, reason) -> {
                    System.out.println("BLOCKED " + host + " " + reason.name());
                    System.out.flush();
                })
                .start()) {
            System.out.println("PORT " + proxy.port());
            System.out.flush();
            System.in.transferTo(java.io.OutputStream.nullOutputStream());
        }
    }
}
