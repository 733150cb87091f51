package dev.mbi.controlplane.launch;

import dev.mbi.config.Env;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The settings of runners that run in containers (the Docker and Kubernetes launchers): the
 * image, its limits and hardening, where the containers run and how they are labelled. Part of
 * the control plane's configuration, read with it.
 */
public record FleetConfig(
        String controlPlaneId,
        String image,
        long memoryBytes,
        double cpus,
        long pids,
        long shmBytes,
        long tmpBytes,
        String user,
        Optional<Path> seccompProfile,
        List<DockerHost> dockerHosts,
        String network,
        Optional<String> subnet,
        boolean firewall,
        int hostCapacity,
        Duration healthInterval,
        String namespace,
        String podSeccompProfile,
        String logFormat) {

    /**
     * One Docker engine of the fleet; {@code tlsDir} holds ca.pem, cert.pem and key.pem. The
     * optional fields override RUNNER_HOST_CAPACITY, RUNNER_CONTROL_PLANE_ADDR, RUNNER_NETWORK and
     * RUNNER_SUBNET there.
     */
    public record DockerHost(String name, URI endpoint, Optional<Path> tlsDir, OptionalInt capacity,
                             Optional<String> controlPlaneAddr, Optional<String> network, Optional<String> subnet) {
    }

    /** The network runner containers join when RUNNER_NETWORK is not set; the Docker launcher creates it. */
    public static final String DEFAULT_NETWORK = "mbi-runners";
    private static final Pattern SUBNET = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})/(\\d{1,2})");

    /**
     * The one writable folder of a runner container or pod (a tmpfs over a read-only root): the
     * runner's work folder (Chromium's profile) and HOME. Runners are labelled with
     * {@link dev.mbi.contract.RunnerContract#labels(String, String)}.
     */
    public static final Path CONTAINER_TMP = Path.of("/tmp");

    public static FleetConfig from(Env env, boolean docker) {
        String id = env.string("CONTROL_PLANE_ID", "mbi");
        if (!id.matches("[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?")) {
            env.problem("CONTROL_PLANE_ID=" + id + ": use lower-case letters, digits, '-' and '.', at most 63 characters");
        }
        String user = env.string("RUNNER_USER", "10001:10001");
        if (!user.matches("[1-9]\\d*(:\\d+)?")) {
            env.problem("RUNNER_USER=" + user + ": give a numeric non-root uid[:gid], e.g. 10001:10001");
        }
        Optional<Path> seccomp = Optional.empty();
        String seccompPath = env.string("RUNNER_SECCOMP_PROFILE", "");
        if (!seccompPath.isEmpty()) {
            if (seccompPath.equalsIgnoreCase("unconfined")) {
                env.problem("RUNNER_SECCOMP_PROFILE=unconfined is refused: leave it unset to use the shipped profile");
            } else if (!Files.isRegularFile(Path.of(seccompPath))) {
                env.problem("RUNNER_SECCOMP_PROFILE=" + seccompPath + " is not a file: point it at a seccomp profile (JSON)");
            }
            seccomp = Optional.of(Path.of(seccompPath));
        }
        String podSeccomp = env.string("RUNNER_POD_SECCOMP", "runtime/default");
        if (!podSeccomp.equals("runtime/default") && !podSeccomp.matches("localhost/[\\w./-]+")) {
            env.problem("RUNNER_POD_SECCOMP=" + podSeccomp
                    + ": use runtime/default or localhost/<profile path under the kubelet's seccomp folder>");
        }
        List<DockerHost> hosts = docker ? dockerHosts(env) : List.of();
        String network = env.string("RUNNER_NETWORK", DEFAULT_NETWORK);
        if (docker && (network.equals("host") || network.equals("none") || network.startsWith("container:"))) {
            env.problem("RUNNER_NETWORK=" + network + ": runners need a bridge network of their own; leave it unset for "
                    + DEFAULT_NETWORK);
        }
        Optional<String> subnet = subnet(env, "RUNNER_SUBNET", env.string("RUNNER_SUBNET", ""));
        String firewall = env.string("RUNNER_FIREWALL", "on").trim().toLowerCase();
        if (!firewall.equals("on") && !firewall.equals("off")) {
            env.problem("RUNNER_FIREWALL=" + firewall + ": use on (the default) or off");
        }
        return new FleetConfig(
                id,
                env.string("RUNNER_IMAGE", "mbi/runner:dev"),
                env.bytes("RUNNER_MEMORY", 1L << 30, 128L << 20),
                env.decimal("RUNNER_CPUS", 1.0, 0.1, 64),
                env.integer("RUNNER_PIDS", 1024, 64, 1_000_000),
                env.bytes("RUNNER_SHM_SIZE", 256L << 20, 16L << 20),
                env.bytes("RUNNER_TMP_SIZE", 512L << 20, 64L << 20),
                user,
                seccomp,
                hosts,
                network,
                subnet,
                !firewall.equals("off"),
                env.integer("RUNNER_HOST_CAPACITY", 10, 1, 10_000),
                env.duration("DOCKER_HEALTH_INTERVAL", Duration.ofSeconds(5), Duration.ofMillis(200)),
                env.string("RUNNER_NAMESPACE", "mbi-runners"),
                podSeccomp,
                // Runners in containers and pods log as the control plane does (LOG_FORMAT, read and checked by ServiceMain).
                "json".equalsIgnoreCase(env.string("LOG_FORMAT", "text").trim()) ? "json" : "text");
    }

    /**
     * DOCKER_HOSTS: engines separated by spaces or commas, each {@code name=endpoint} followed by
     * optional {@code ;tls=DIR}, {@code ;capacity=N}, {@code ;controlPlaneAddr=HOST:PORT}, {@code ;network=NAME} and {@code ;subnet=CIDR}, e.g.
     * {@code local=unix:///var/run/docker.sock, gpu1=tcp://10.0.0.5:2376;tls=/etc/mbi/tls/gpu1;capacity=40}.
     * Unset: the one engine DOCKER_HOST names, or the local socket.
     */
    static List<DockerHost> dockerHosts(Env env) {
        String fallback = "local=" + env.string("DOCKER_HOST", "unix:///var/run/docker.sock");
        String text = env.string("DOCKER_HOSTS", fallback);
        List<DockerHost> hosts = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (String entry : text.trim().split("[\\s,]+")) {
            String[] parts = entry.split(";");
            int eq = parts[0].indexOf('=');
            if (eq <= 0) {
                env.problem("DOCKER_HOSTS entry '" + entry + "': write name=endpoint, e.g. local=unix:///var/run/docker.sock");
                continue;
            }
            String name = parts[0].substring(0, eq);
            String endpoint = parts[0].substring(eq + 1);
            if (!name.matches("[a-z0-9]([a-z0-9.-]*[a-z0-9])?") || !names.add(name)) {
                env.problem("DOCKER_HOSTS entry '" + entry + "': host names must be unique, lower-case letters, digits, '-' and '.'");
                continue;
            }
            URI uri;
            try {
                uri = URI.create(endpoint);
            } catch (IllegalArgumentException e) {
                env.problem("DOCKER_HOSTS entry '" + entry + "': " + endpoint + " is not a URI");
                continue;
            }
            if (!"unix".equals(uri.getScheme()) && !"tcp".equals(uri.getScheme())) {
                env.problem("DOCKER_HOSTS entry '" + entry + "': the endpoint must be unix:///path or tcp://host:port");
                continue;
            }
            Optional<Path> tls = Optional.empty();
            OptionalInt capacity = OptionalInt.empty();
            Optional<String> dial = Optional.empty();
            Optional<String> network = Optional.empty();
            Optional<String> subnet = Optional.empty();
            boolean plainTcp = false;
            for (int i = 1; i < parts.length; i++) {
                String[] kv = parts[i].split("=", 2);
                String value = kv.length == 2 ? kv[1] : "";
                switch (kv[0]) {
                    case "tls" -> {
                        if (value.equals("off")) {
                            plainTcp = true;
                        } else if (!Files.isRegularFile(Path.of(value, "ca.pem")) || !Files.isRegularFile(Path.of(value, "cert.pem"))
                                || !Files.isRegularFile(Path.of(value, "key.pem"))) {
                            env.problem("DOCKER_HOSTS host " + name + ": tls=" + value + " must be a folder with ca.pem, cert.pem and key.pem");
                        } else {
                            tls = Optional.of(Path.of(value));
                        }
                    }
                    case "capacity" -> {
                        try {
                            capacity = OptionalInt.of(Integer.parseInt(value));
                            if (capacity.getAsInt() < 0) {
                                throw new NumberFormatException();
                            }
                        } catch (NumberFormatException e) {
                            env.problem("DOCKER_HOSTS host " + name + ": capacity=" + value + " is not a whole number >= 0");
                        }
                    }
                    case "controlPlaneAddr" -> {
                        if (!value.matches("[^\\s:]+:\\d+")) {
                            env.problem("DOCKER_HOSTS host " + name + ": controlPlaneAddr=" + value + " must be host:port");
                        }
                        dial = Optional.of(value);
                    }
                    case "network" -> network = Optional.of(value);
                    case "subnet" -> subnet = subnet(env, "DOCKER_HOSTS host " + name + ": subnet", value);
                    default -> env.problem("DOCKER_HOSTS host " + name + ": unknown option '" + kv[0]
                            + "' (known: tls, capacity, controlPlaneAddr, network, subnet)");
                }
            }
            if (uri.getScheme().equals("tcp") && tls.isEmpty() && !plainTcp) {
                env.problem("DOCKER_HOSTS host " + name + ": a tcp:// engine needs ;tls=DIR (ca.pem, cert.pem, key.pem),"
                        + " or ;tls=off on a network you trust");
            }
            hosts.add(new DockerHost(name, uri, tls, capacity, dial, network, subnet));
        }
        return hosts;
    }

    /** An IPv4 range for a runner network, e.g. 10.213.0.0/24; empty text: the engine picks one. */
    private static Optional<String> subnet(Env env, String what, String value) {
        if (value.isBlank()) {
            return Optional.empty();
        }
        String v = value.trim();
        Matcher m = SUBNET.matcher(v);
        boolean ok = m.matches() && Integer.parseInt(m.group(5)) >= 8 && Integer.parseInt(m.group(5)) <= 29;
        for (int i = 1; ok && i <= 4; i++) {
            ok = Integer.parseInt(m.group(i)) <= 255;
        }
        if (!ok) {
            env.problem(what + "=" + v + ": give an IPv4 range from /8 to /29, e.g. 10.213.0.0/24");
            return Optional.empty();
        }
        return Optional.of(v);
    }
}
