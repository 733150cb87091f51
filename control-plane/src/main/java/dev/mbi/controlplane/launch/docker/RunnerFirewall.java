package dev.mbi.controlplane.launch.docker;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.WaitContainerResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import dev.mbi.contract.RunnerContract;
import dev.mbi.egress.Cidr;
import dev.mbi.egress.EgressSettings;
import java.io.IOException;
import java.io.InputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The second egress layer under the runner's proxy: host firewall rules for a runner network that
 * drop what runner containers send to the host, loopback, private, CGNAT, link-local (the
 * metadata service), multicast and reserved addresses, except the control plane's gRPC port and
 * replies. Installed by a short-lived container on the engine's host (network host, NET_ADMIN)
 * from the runner image, so it works for remote engines and for a control plane that only holds
 * the Docker socket. See docs/decisions/0006-docker-runner-firewall.md.
 */
final class RunnerFirewall {
    private static final Logger LOG = Logger.getLogger(RunnerFirewall.class.getName());
    static final String SCRIPT = "/firewall/runner-firewall.sh";
    /** Label of the short-lived containers that install the rules. */
    static final String ROLE_FIREWALL = "firewall";
    private static final String METADATA4 = "169.254.169.254/32";
    private static final String METADATA6 = "fd00:ec2::254/128";
    /** Denied even with EGRESS_ALLOW_PRIVATE, as by the proxy: unspecified, link-local, multicast, reserved and broadcast. */
    private static final List<String> ALWAYS4 = List.of("0.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "240.0.0.0/4");
    private static final List<String> PRIVATE4 = List.of("127.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "172.16.0.0/12",
            "192.168.0.0/16");
    private static final List<String> ALWAYS6 = List.of("::/128", "fe80::/10", "ff00::/8");
    private static final List<String> PRIVATE6 = List.of("::1/128", "fc00::/7");
    private static final String ESTABLISHED = "-m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT";
    /** Neighbour discovery with the host: without it IPv6 does not work on the network at all. */
    private static final List<String> NDP = List.of(
            "-p ipv6-icmp --icmpv6-type router-solicitation -j ACCEPT",
            "-p ipv6-icmp --icmpv6-type neighbour-solicitation -j ACCEPT",
            "-p ipv6-icmp --icmpv6-type neighbour-advertisement -j ACCEPT");

    private RunnerFirewall() {
    }

    /** The rules of one address family: what runners forward elsewhere, and what they send to the host itself. */
    record Rules(List<String> forward, List<String> input) {
    }

    /**
     * The rules for one family.
     *
     * @param controlPlane the addresses of the control plane runners dial, and its gRPC port
     */
    static Rules rules(boolean ipv6, EgressSettings egress, List<InetAddress> controlPlane, int grpcPort) {
        List<String> head = new ArrayList<>();
        head.add(ESTABLISHED);
        if (ipv6) {
            head.addAll(NDP);
        }
        for (InetAddress a : controlPlane) {
            if ((a instanceof Inet6Address) == ipv6) {
                head.add("-d " + a.getHostAddress() + (ipv6 ? "/128" : "/32") + " -p tcp --dport " + grpcPort + " -j ACCEPT");
            }
        }
        head.add("-d " + (ipv6 ? METADATA6 : METADATA4) + " -j DROP");
        for (Cidr c : egress.denyCidrs()) {
            if (family(c, ipv6)) {
                head.add("-d " + text(c) + " -j DROP");
            }
        }
        for (Cidr c : egress.allowCidrs()) {
            if (family(c, ipv6)) {
                head.add("-d " + text(c) + " -j RETURN");
            }
        }
        List<String> denied = new ArrayList<>(ipv6 ? ALWAYS6 : ALWAYS4);
        if (!egress.allowPrivate()) {
            denied.addAll(ipv6 ? PRIVATE6 : PRIVATE4);
        }
        List<String> forward = new ArrayList<>(head);
        List<String> input = new ArrayList<>(head);
        for (String range : denied) {
            forward.add("-d " + range + " -j DROP");
            input.add("-d " + range + " -j DROP");
        }
        if (!egress.allowPrivate()) {
            // The host's own ports, whatever its address (its public one too), are not for runners.
            input.add("-j DROP");
        }
        return new Rules(List.copyOf(forward), List.copyOf(input));
    }

    private static boolean family(Cidr c, boolean ipv6) {
        return (c.network() instanceof Inet6Address) == ipv6;
    }

    private static String text(Cidr c) {
        return c.network().getHostAddress() + "/" + c.prefix();
    }

    /**
     * The addresses of {@code host:port} as the control plane resolves them.
     *
     * @throws IllegalStateException when the name does not resolve
     */
    static List<InetAddress> resolve(String hostAndPort) {
        String host = hostAndPort.substring(0, hostAndPort.lastIndexOf(':'));
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            return List.of(InetAddress.getAllByName(host));
        } catch (UnknownHostException e) {
            throw new IllegalStateException("cannot resolve " + host + " (the control plane address runners dial) for the runner"
                    + " firewall: give RUNNER_CONTROL_PLANE_ADDR as an address, or set RUNNER_FIREWALL=off", e);
        }
    }

    static int port(String hostAndPort) {
        return Integer.parseInt(hostAndPort.substring(hostAndPort.lastIndexOf(':') + 1));
    }

    /**
     * Installs the rules for {@code network} on the engine's host and returns what the installer printed.
     *
     * @throws IllegalStateException saying what to do when it cannot
     */
    static String install(DockerEngine engine, String image, String controlPlaneId, RunnerNetwork network, Rules v4, Rules v6) {
        List<String> env = new ArrayList<>(List.of(
                "MBI_BRIDGE=" + network.bridge(),
                "MBI_FORWARD4=" + String.join("\n", v4.forward()),
                "MBI_INPUT4=" + String.join("\n", v4.input())));
        if (network.ipv6()) {
            env.add("MBI_FORWARD6=" + String.join("\n", v6.forward()));
            env.add("MBI_INPUT6=" + String.join("\n", v6.input()));
        }
        HostConfig host = HostConfig.newHostConfig()
                .withNetworkMode("host")
                .withCapDrop(Capability.ALL)
                .withCapAdd(Capability.NET_ADMIN, Capability.NET_RAW)
                .withSecurityOpts(List.of("no-new-privileges:true"))
                .withReadonlyRootfs(true)
                .withTmpFs(Map.of("/run", "rw,noexec,nosuid,nodev,size=1m", "/tmp", "rw,noexec,nosuid,nodev,size=1m"));
        String id;
        try {
            id = engine.calls.createContainerCmd(image)
                    .withUser("0:0")
                    .withEntrypoint("/bin/sh", "-c", script(), "runner-firewall")
                    .withEnv(env)
                    .withLabels(Map.of(RunnerContract.LABEL_ROLE, ROLE_FIREWALL, RunnerContract.LABEL_CONTROL_PLANE, controlPlaneId))
                    .withHostConfig(host)
                    .exec().getId();
        } catch (NotFoundException e) {
            throw new IllegalStateException("cannot install the runner firewall: image " + image
                    + " is missing (make docker-images), or set RUNNER_FIREWALL=off and firewall the network yourself", e);
        }
        try {
            engine.calls.startContainerCmd(id).exec();
            Integer code = engine.calls.waitContainerCmd(id).exec(new WaitContainerResultCallback()).awaitStatusCode(60, TimeUnit.SECONDS);
            String out = logs(engine, id).strip();
            if (code == null || code != 0) {
                throw new IllegalStateException("installing the runner firewall for network " + network.name() + " failed (exit " + code
                        + "): " + out + " — the image needs Debian's iptables (docker/runner.Dockerfile) and the engine must allow"
                        + " NET_ADMIN containers on the host network; or set RUNNER_FIREWALL=off and firewall the network yourself");
            }
            LOG.info("runner firewall for network " + network.name() + " (" + network.bridge() + ") on " + engine.name() + ": " + out);
            return out;
        } finally {
            try {
                engine.calls.removeContainerCmd(id).withForce(true).exec();
            } catch (RuntimeException e) {
                LOG.fine(() -> "removing the firewall container failed: " + e);
            }
        }
    }

    private static String script() {
        try (InputStream in = RunnerFirewall.class.getResourceAsStream(SCRIPT)) {
            if (in == null) {
                throw new IllegalStateException(SCRIPT + " is missing from the build");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + SCRIPT + ": " + e.getMessage(), e);
        }
    }

    private static String logs(DockerEngine engine, String id) {
        StringBuilder out = new StringBuilder();
        try {
            engine.calls.logContainerCmd(id).withStdOut(true).withStdErr(true).withTail(40)
                    .exec(new ResultCallback.Adapter<Frame>() {
                        @Override
                        public void onNext(Frame frame) {
                            out.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
                        }
                    }).awaitCompletion(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return out.toString();
    }
}
