package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Network;
import dev.mbi.config.Env;
import dev.mbi.controlplane.ControlPlaneConfig;
import dev.mbi.controlplane.ControlPlaneExecutors;
import dev.mbi.controlplane.launch.docker.DockerLauncher;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Docker launcher's firewall under the runner's egress proxy: code in a runner container that
 * goes around the proxy (a bash /dev/tcp probe through docker exec) reaches the control plane's
 * gRPC port and nothing of this machine, nor the metadata address, which this test really serves
 * (169.254.169.254 on an interface of its own). The rules are installed once however often a launcher
 * starts, and RUNNER_FIREWALL=off leaves a network open. Needs root, as every Docker test here.
 */
@ExtendWith(StackExtension.class)
class DockerEgressFirewallTest {
    private static final String NETWORK = "mbi-fw-test";
    private static final String SUBNET = "10.213.21.0/24";
    private static final String OPEN_NETWORK = "mbi-fw-off";
    private static final String OPEN_SUBNET = "10.213.22.0/24";
    private static final String METADATA = "169.254.169.254";
    private static final String METADATA_LINK = "mbi-meta0";

    private static DockerTestEngines.Engine engine;
    private static DockerClient docker;
    private static TestStack stack;
    private static Map<String, String> env;
    private static int grpcPort;
    private static ServerSocket hostListener;
    private static ServerSocket metadataListener;

    @BeforeAll
    static void start(Stacks stacks) throws Exception {
        engine = DockerTestEngines.up().getFirst();
        docker = engine.client();
        grpcPort = DockerTestEngines.freePort();
        env = Map.of(
                "MAX_SESSIONS", "2",
                "GRPC_PORT", Integer.toString(grpcPort),
                "RUNNER_LAUNCHER", "docker",
                "DOCKER_HOSTS", engine.name() + "=" + engine.dockerHost(),
                "RUNNER_NETWORK", NETWORK,
                "RUNNER_SUBNET", SUBNET,
                "RUNNER_CONTROL_PLANE_ADDR", engine.gateway() + ":" + grpcPort,
                "CONTROL_PLANE_ID", "test-fw-" + UUID.randomUUID().toString().substring(0, 8),
                "EGRESS_ALLOW_PRIVATE", "false");
        stack = stacks.get(StackConfig.of(env).siteOn(engine.gateway()));
        // A port of this machine on every address, and the metadata address made real here.
        hostListener = listen(new InetSocketAddress(0));
        ip("link", "del", METADATA_LINK);
        // A dummy interface, or where the kernel has no dummy module an empty bridge: either holds a local address.
        if (ip("link", "add", METADATA_LINK, "type", "dummy") != 0) {
            assertEquals(0, ip("link", "add", METADATA_LINK, "type", "bridge"), "cannot add an interface (needs root)");
        }
        ip("addr", "add", METADATA + "/32", "dev", METADATA_LINK);
        ip("link", "set", METADATA_LINK, "up");
        metadataListener = listen(new InetSocketAddress(METADATA, 80));
    }

    @AfterAll
    static void stop() throws Exception {
        for (ServerSocket s : new ServerSocket[] {hostListener, metadataListener}) {
            if (s != null) {
                s.close();
            }
        }
        ip("link", "del", METADATA_LINK);
        if (docker != null) {
            docker.close();
        }
    }

    @Test
    void aRunnerGoingAroundItsProxyReachesTheControlPlaneOnlyNotThisMachineNorTheMetadataService() throws Exception {
        String id = stack.createSession(stack.site.pageUrl());
        stack.awaitStatus(id, "ready", Duration.ofSeconds(60));
        String container = DockerTestEngines.containersOf(docker, id).getFirst().getId();
        assertTrue(docker.inspectContainerCmd(container).exec().getNetworkSettings().getNetworks().containsKey(NETWORK));
        String networkGateway = gateway(NETWORK);

        // Reachable from this machine itself: what the runner is refused below exists and listens.
        assertConnects(engine.gateway(), hostListener.getLocalPort());
        assertConnects(METADATA, 80);

        assertEquals("open", probe(container, engine.gateway(), grpcPort), "the control plane's gRPC port");
        assertEquals("closed", probe(container, engine.gateway(), hostListener.getLocalPort()), "a port of this machine");
        assertEquals("closed", probe(container, networkGateway, hostListener.getLocalPort()), "the same port on the network's gateway");
        assertEquals("closed", probe(container, engine.gateway(), java.net.URI.create(stack.site.pageUrl()).getPort()), "the test page's port");
        assertEquals("closed", probe(container, METADATA, 80), "the metadata address");
        assertEquals("closed", probe(container, "127.0.0.1", grpcPort), "loopback is the container's own");
        assertEquals(204, stack.request("DELETE", "/api/sessions/" + id, null).status());
    }

    @Test
    void theRulesAreInstalledOnceHoweverOftenALauncherStarts() throws Exception {
        String bridge = bridge(NETWORK);
        String before = rules(bridge);
        assertEquals(1, count(before, "-j MBI-F-" + bridge), before);
        assertEquals(1, count(before, "-j MBI-I-" + bridge), before);
        assertTrue(count(before, "-A MBI-F-" + bridge + " ") > 10, before);
        for (int i = 0; i < 2; i++) {
            Map<String, String> again = new HashMap<>(env);
            again.put("CONTROL_PLANE_ID", "test-fw-again-" + i); // not this stack's: its runners are not orphans
            startAndClose(again);
        }
        assertEquals(before, rules(bridge), "a launcher that starts again installs the same rules, once");
    }

    @Test
    void withTheFirewallOffTheRunnerNetworkIsLeftOpen() throws Exception {
        Map<String, String> off = new HashMap<>(env);
        off.put("RUNNER_NETWORK", OPEN_NETWORK);
        off.put("RUNNER_SUBNET", OPEN_SUBNET);
        off.put("RUNNER_FIREWALL", "off");
        off.put("CONTROL_PLANE_ID", "test-fw-off");
        startAndClose(off);
        Network network = docker.inspectNetworkCmd().withNetworkId(OPEN_NETWORK).exec();
        assertEquals("false", network.getOptions().get("com.docker.network.bridge.enable_icc"), "runners kept apart");
        String bridge = bridge(OPEN_NETWORK);
        assertEquals("", rules(bridge), "no rules for a network whose firewall is off");

        // The same probes from the runner image on that network get through: the refusals above are the firewall's.
        String probe = docker.createContainerCmd("mbi/runner:dev").withEntrypoint("sleep", "120")
                .withHostConfig(HostConfig.newHostConfig().withNetworkMode(OPEN_NETWORK)).exec().getId();
        try {
            docker.startContainerCmd(probe).exec();
            assertEquals("open", probe(probe, engine.gateway(), hostListener.getLocalPort()));
            assertEquals("open", probe(probe, METADATA, 80));
        } finally {
            docker.removeContainerCmd(probe).withForce(true).exec();
        }
    }

    private static void startAndClose(Map<String, String> settings) {
        Map<String, String> all = new HashMap<>(settings);
        all.put("CONTROL_PLANE_TOKEN", dev.mbi.controlplane.testing.TestApi.TOKEN);
        ControlPlaneConfig config = ControlPlaneConfig.from(new Env(all));
        try (var executors = ControlPlaneExecutors.create();
             DockerLauncher launcher = DockerLauncher.start(config.fleet(), config.runner().egress(),
                     config.runnerControlPlaneAddr(), config.reconnectWindow(), executors.work(), executors.timer())) {
            assertTrue(launcher.hosts().getFirst().healthy(), launcher.hosts().toString());
        }
    }

    /** Connects from inside the container with bash alone, around any proxy: "open" or "closed" (3 s). */
    private static String probe(String container, String host, int port) throws InterruptedException {
        return DockerTestEngines.exec(docker, container, "bash", "-c",
                "timeout 3 bash -c 'exec 3<>/dev/tcp/" + host + "/" + port + "' 2>/dev/null && echo open || echo closed").trim();
    }

    private static void assertConnects(String host, int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 2_000);
        }
    }

    private static ServerSocket listen(InetSocketAddress at) throws IOException {
        ServerSocket s = new ServerSocket();
        s.bind(at);
        Thread.ofVirtual().start(() -> {
            while (!s.isClosed()) {
                try {
                    s.accept().close();
                } catch (IOException e) {
                    return;
                }
            }
        });
        return s;
    }

    private static String gateway(String network) {
        return docker.inspectNetworkCmd().withNetworkId(network).exec().getIpam().getConfig().getFirst().getGateway();
    }

    private static String bridge(String network) {
        Network n = docker.inspectNetworkCmd().withNetworkId(network).exec();
        return n.getOptions().getOrDefault("com.docker.network.bridge.name", "br-" + n.getId().substring(0, 12));
    }

    /** This machine's filter rules that name the runner firewall's chains for one bridge, in order. */
    private static String rules(String bridge) throws Exception {
        StringBuilder out = new StringBuilder();
        for (String line : run("iptables-save", "-t", "filter").lines().toList()) {
            if (line.contains("MBI-F-" + bridge) || line.contains("MBI-I-" + bridge)) {
                out.append(line).append('\n');
            }
        }
        return out.toString();
    }

    private static long count(String text, String part) {
        return text.lines().filter(l -> l.contains(part)).count();
    }

    private static int ip(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        return p.exitValue();
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", command));
        return out;
    }
}
