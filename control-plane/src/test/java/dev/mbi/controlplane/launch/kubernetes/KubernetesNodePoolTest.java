package dev.mbi.controlplane.launch.kubernetes;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.config.Env;
import dev.mbi.contract.RunnerContract;
import dev.mbi.controlplane.ControlPlane;
import dev.mbi.controlplane.ControlPlaneConfig;
import dev.mbi.controlplane.fleet.RunnerHost;
import dev.mbi.controlplane.launch.RunnerLauncher;
import dev.mbi.controlplane.testing.TestApi;
import dev.mbi.proto.v1.Capability;
import dev.mbi.proto.v1.ControlMessage;
import dev.mbi.proto.v1.CreateSessionRequest;
import dev.mbi.proto.v1.GetSessionRequest;
import dev.mbi.proto.v1.Heartbeat;
import dev.mbi.proto.v1.Register;
import dev.mbi.proto.v1.RunnerMessage;
import dev.mbi.proto.v1.RunnerReady;
import dev.mbi.proto.v1.RunnerServiceGrpc;
import dev.mbi.proto.v1.Session;
import dev.mbi.proto.v1.SessionServiceGrpc;
import dev.mbi.proto.v1.SessionStatus;
import dev.mbi.proto.v1.Welcome;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A cluster's nodes as runner hosts, against fabric8's mock API server in CRUD mode: each node's
 * places, cordoned and unready nodes, pods pinned to their node, and a warm pool that keeps runners
 * waiting on every node, played through a real control plane over gRPC (the test dials back as each
 * pod's runner, with the id and token in its environment).
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesNodePoolTest {
    static KubernetesClient client;

    private static final String NS = "mbi-runners";
    private static final Duration WINDOW = Duration.ofMillis(1_500);
    private final java.util.concurrent.ExecutorService work = Executors.newVirtualThreadPerTaskExecutor();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void cleanUp() {
        timer.shutdownNow();
        work.close();
        client.nodes().delete();
        client.pods().inNamespace(NS).delete();
    }

    private static Map<String, String> env(String id) {
        Map<String, String> env = new HashMap<>(TestApi.controlPlaneEnv());
        env.putAll(Map.of(
                "RUNNER_LAUNCHER", "kubernetes",
                "RUNNER_NAMESPACE", NS,
                "RUNNER_CONTROL_PLANE_ADDR", "control-plane.mbi.svc.cluster.local:50051",
                "CONTROL_PLANE_ID", id,
                "RUNNER_MEMORY", "1g",
                "RUNNER_CPUS", "1",
                "RUNNER_JAR", "pom.xml"));
        return env;
    }

    /** A node with this much allocatable CPU (cores) and memory (GiB), Ready unless told. */
    private static Node node(String name, int cpus, int memoryGib, boolean ready) {
        return new NodeBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().endSpec()
                .withNewStatus()
                    .addToAllocatable("cpu", new Quantity(Integer.toString(cpus)))
                    .addToAllocatable("memory", new Quantity(memoryGib + "Gi"))
                    .addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").withReason("KubeletNotReady")
                        .withMessage(ready ? "" : "container runtime is down").endCondition()
                    .addNewAddress().withType("InternalIP").withAddress("10.0.0." + (name.hashCode() & 0x7f)).endAddress()
                .endStatus().build();
    }

    private static void add(Node node) {
        client.nodes().resource(node).create();
    }

    private static void cordon(String name, boolean cordoned) {
        client.nodes().withName(name).edit(n -> new NodeBuilder(n).editSpec().withUnschedulable(cordoned).endSpec().build());
    }

    private static RunnerLauncher.RunnerSpec spec(String session) {
        return new RunnerLauncher.RunnerSpec(session, "token-" + session, "control-plane.mbi.svc.cluster.local:50051",
                RunnerContract.Settings.defaults());
    }

    private static List<Pod> pods() {
        return client.pods().inNamespace(NS).list().getItems();
    }

    /** The node a pod is pinned to by its required node affinity, or empty when the scheduler places it. */
    private static Optional<String> pinnedNode(Pod pod) {
        if (pod.getSpec().getAffinity() == null) {
            return Optional.empty();
        }
        var requirement = pod.getSpec().getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution()
                .getNodeSelectorTerms().getFirst().getMatchFields().getFirst();
        assertEquals("metadata.name", requirement.getKey());
        assertEquals("In", requirement.getOperator());
        return Optional.of(requirement.getValues().getFirst());
    }

    private static Map<String, List<String>> podsByNode() {
        return pods().stream().collect(Collectors.groupingBy(p -> pinnedNode(p).orElse("(scheduler)"),
                Collectors.mapping(p -> p.getMetadata().getName(), Collectors.toList())));
    }

    @Test
    void eachNodeRunnerPodsMayUseIsAHostWithThePlacesItsAllocatableHolds() throws Exception {
        add(node("node-a", 4, 16, true));   // 4 runners of 1 core and 1 GiB by CPU, 16 by memory
        add(node("node-b", 8, 3, true));    // 3 by memory
        add(node("node-unready", 8, 16, false));
        add(new NodeBuilder(node("node-control", 8, 16, true)).editSpec().addNewTaint()
                .withKey("node-role.kubernetes.io/control-plane").withEffect("NoSchedule").endTaint().endSpec().build());
        add(new NodeBuilder(node("node-spare", 8, 16, true)).editSpec().addNewTaint()
                .withKey("dedicated").withValue("batch").withEffect("PreferNoSchedule").endTaint().endSpec().build());
        cordon("node-b", true);
        try (KubernetesLauncher launcher = KubernetesLauncher.start(ControlPlaneConfig.from(new Env(env("cp-nodes"))).fleet(),
                client, work, timer, WINDOW)) {
            await("the nodes are known").atMost(Duration.ofSeconds(10)).until(() -> launcher.hosts().size() == 4);
            Map<String, RunnerHost> hosts = launcher.hosts().stream().collect(Collectors.toMap(RunnerHost::name, h -> h));
            assertEquals(List.of("node-a", "node-b", "node-spare", "node-unready"), launcher.hosts().stream().map(RunnerHost::name).toList(),
                    "a node whose NoSchedule taint runner pods do not tolerate is no runner host; a PreferNoSchedule one is");
            assertEquals(new RunnerHost("node-a", hosts.get("node-a").endpoint(), 4, 0, true, false, ""), hosts.get("node-a"));
            assertTrue(hosts.get("node-a").endpoint().startsWith("10.0.0."), hosts.get("node-a").endpoint());
            assertEquals(3, hosts.get("node-b").capacity());
            assertTrue(hosts.get("node-b").drained(), "a cordoned node is drained");
            assertFalse(hosts.get("node-unready").healthy());
            assertEquals("not Ready: container runtime is down", hosts.get("node-unready").problem());

            RunnerLauncher.RunnerHandle pinned = launcher.launchOn(spec("p1"), "node-a");
            assertEquals("node-a", pinned.host());
            assertEquals(Optional.of("node-a"), pinnedNode(client.pods().inNamespace(NS).withName("mbi-runner-p1").get()));
            assertEquals(1, launcher.hosts().getFirst().sessions(), "a pinned pod counts on its node before it is scheduled");
            RunnerLauncher.RunnerHandle placed = launcher.launch(spec("s1"));
            assertEquals("kubernetes/" + NS, placed.host());
            assertEquals(Optional.empty(), pinnedNode(client.pods().inNamespace(NS).withName("mbi-runner-s1").get()),
                    "a session's own runner is placed by the scheduler");

            for (var refused : Map.of("node-b", "drained", "node-unready", "unhealthy (not Ready: container runtime is down)",
                    "node-control", "no node node-control", "nowhere", "no node nowhere").entrySet()) {
                RunnerLauncher.LaunchException e = assertThrows(RunnerLauncher.LaunchException.class,
                        () -> launcher.launchOn(spec("x-" + refused.getKey()), refused.getKey()));
                assertTrue(e.getMessage().contains(refused.getValue()), e.getMessage());
                assertNull(client.pods().inNamespace(NS).withName("mbi-runner-x-" + refused.getKey()).get(), "nothing is created");
            }
            for (int i = 2; i <= 4; i++) {
                launcher.launchOn(spec("p" + i), "node-a");
            }
            RunnerLauncher.LaunchException full = assertThrows(RunnerLauncher.LaunchException.class,
                    () -> launcher.launchOn(spec("p5"), "node-a"));
            assertTrue(full.getMessage().contains("full (4/4)"), full.getMessage());

            pinned.stop();
            await("a deleted pod frees its place").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                    .until(() -> launcher.hosts().getFirst().sessions() == 3);
        }
    }

    @Test
    void withoutNodesTheClusterIsOneHostAndLaunchOnLeavesPlacementToTheScheduler() throws Exception {
        try (KubernetesLauncher launcher = KubernetesLauncher.start(ControlPlaneConfig.from(new Env(env("cp-none"))).fleet(),
                client, work, timer, WINDOW)) {
            assertEquals(List.of("kubernetes/" + NS), launcher.hosts().stream().map(RunnerHost::name).toList());
            RunnerLauncher.RunnerHandle handle = launcher.launchOn(spec("n1"), "kubernetes/" + NS);
            assertEquals("kubernetes/" + NS, handle.host());
            assertEquals(Optional.empty(), pinnedNode(client.pods().inNamespace(NS).withName("mbi-runner-n1").get()));
        }
    }

    @Test
    void aWarmPoolKeepsRunnersWaitingOnEveryUsableNodeAndASessionTakesOneFromTheRoomiest() throws Exception {
        add(node("node-a", 2, 16, true));
        add(node("node-b", 5, 16, true));
        Map<String, String> env = env("cp-pool");
        env.put("WARM_POOL_SIZE", "1");
        ControlPlaneConfig config = ControlPlaneConfig.from(new Env(env));
        KubernetesLauncher launcher = KubernetesLauncher.start(config.fleet(), client, work, timer, WINDOW);
        try (ControlPlane controlPlane = ControlPlane.start(config, launcher);
             PodRunners runners = new PodRunners("localhost:" + controlPlane.grpcPort())) {
            await("one pooled pod pinned to each node, each registered").atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(100)).until(() -> {
                        runners.dialBackForNewPods();
                        return podsByNode().keySet().equals(java.util.Set.of("node-a", "node-b"))
                                && pods().size() == 2 && runners.waiting() == 2;
                    });
            String onB = podsByNode().get("node-b").getFirst();
            String onA = podsByNode().get("node-a").getFirst();

            ManagedChannel api = Grpc.newChannelBuilder("localhost:" + controlPlane.apiPort(), InsecureChannelCredentials.create()).build();
            try {
                var sessions = SessionServiceGrpc.newBlockingStub(TestApi.withToken(api)).withDeadlineAfter(20, TimeUnit.SECONDS);
                var admin = dev.mbi.proto.v1.AdminServiceGrpc.newBlockingStub(TestApi.withToken(api)).withDeadlineAfter(20, TimeUnit.SECONDS);
                List<dev.mbi.proto.v1.Runner> listed = admin.listRunners(dev.mbi.proto.v1.ListRunnersRequest.getDefaultInstance()).getRunnersList();
                assertEquals(Map.of(KubernetesLauncher.podName(listed.get(0).getSessionId()), true,
                                KubernetesLauncher.podName(listed.get(1).getSessionId()), true),
                        listed.stream().collect(Collectors.toMap(r -> KubernetesLauncher.podName(r.getSessionId()), dev.mbi.proto.v1.Runner::getPooled)),
                        "operators see both waiting runners, as pooled: " + listed);
                assertEquals(java.util.Set.of("node-a", "node-b"),
                        listed.stream().map(dev.mbi.proto.v1.Runner::getHost).collect(Collectors.toSet()), "each on its node: " + listed);
                Session created = sessions.createSession(CreateSessionRequest.newBuilder().setUrl("http://127.0.0.1:9/").build());
                assertEquals(onB, KubernetesLauncher.podName(created.getSessionId()),
                        "the session took the runner waiting on the node with the most room (node-b: 4 free, node-a: 1)");
                Welcome named = runners.runnerOf(onB).welcomes.poll(10, TimeUnit.SECONDS);
                assertTrue(named != null && !named.getPooled(), "the claimed runner got its session's welcome: " + named);
                assertEquals("http://127.0.0.1:9/", named.getUrl());
                runners.runnerOf(onB).send(RunnerMessage.newBuilder().setReady(RunnerReady.newBuilder().setViewportWidth(1280)
                        .setViewportHeight(720).setStartupMs(1)).build());
                Session ready = await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                        .until(() -> sessions.getSession(GetSessionRequest.newBuilder().setSessionId(created.getSessionId()).build()),
                                s -> s.getStatus() == SessionStatus.SESSION_STATUS_READY);
                assertEquals("node-b", ready.getRunnerHost());
                dev.mbi.proto.v1.Runner serving = admin.listRunners(dev.mbi.proto.v1.ListRunnersRequest.getDefaultInstance())
                        .getRunnersList().stream().filter(r -> r.getSessionId().equals(created.getSessionId())).findFirst().orElseThrow();
                assertFalse(serving.getPooled(), "the claimed runner is the session's now: " + serving);

                await("node-b gets a new waiting runner; node-a keeps its own").atMost(Duration.ofSeconds(20))
                        .pollInterval(Duration.ofMillis(100)).until(() -> {
                            runners.dialBackForNewPods();
                            Map<String, List<String>> byNode = podsByNode();
                            return byNode.getOrDefault("node-b", List.of()).size() == 2 && byNode.get("node-a").equals(List.of(onA))
                                    && runners.waiting() == 2;
                        });

                cordon("node-a", true);
                await("the runner waiting on a cordoned node is stopped, and none replaces it there")
                        .atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                        .until(() -> !podsByNode().containsKey("node-a"));
                Thread.sleep(2 * 2_000 + 500); // two of the pool's looks at the hosts
                assertFalse(podsByNode().containsKey("node-a"), "a cordoned node gets no pooled runner: " + podsByNode());

                cordon("node-a", false);
                await("uncordoned, node-a gets its waiting runner again").atMost(Duration.ofSeconds(20))
                        .pollInterval(Duration.ofMillis(100)).until(() -> {
                            runners.dialBackForNewPods();
                            return podsByNode().getOrDefault("node-a", List.of()).size() == 1 && runners.waiting() == 2;
                        });
            } finally {
                api.shutdownNow();
            }
        }
    }

    /** The test as the runners in the pods: each dials back with its pod's id and token, heartbeats and waits. */
    private static final class PodRunners implements AutoCloseable {
        private final ManagedChannel channel;
        private final Map<String, PodRunner> byPod = new ConcurrentHashMap<>();
        private final ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor();

        PodRunners(String address) {
            channel = Grpc.newChannelBuilder(address, InsecureChannelCredentials.create()).build();
            heartbeats.scheduleAtFixedRate(() -> byPod.values().forEach(r -> r.send(RunnerMessage.newBuilder()
                    .setHeartbeat(Heartbeat.newBuilder().setSentAtUnixMs(System.currentTimeMillis())).build())),
                    200, 200, TimeUnit.MILLISECONDS);
        }

        /** Registers a runner for every pod that has none yet. */
        void dialBackForNewPods() {
            for (Pod pod : pods()) {
                byPod.computeIfAbsent(pod.getMetadata().getName(), name -> {
                    Map<String, String> podEnv = new HashMap<>();
                    for (EnvVar v : pod.getSpec().getContainers().getFirst().getEnv()) {
                        podEnv.put(v.getName(), v.getValue());
                    }
                    return new PodRunner(channel, podEnv.get(RunnerContract.SESSION_ID), podEnv.get(RunnerContract.JOIN_TOKEN));
                });
            }
        }

        /** Runners told to wait in the pool, and still connected. */
        int waiting() {
            return (int) byPod.values().stream().filter(r -> r.pooled && !r.ended).count();
        }

        PodRunner runnerOf(String pod) {
            return byPod.get(pod);
        }

        @Override
        public void close() {
            heartbeats.shutdownNow();
            channel.shutdownNow();
        }
    }

    private static final class PodRunner implements StreamObserver<ControlMessage> {
        final BlockingQueue<Welcome> welcomes = new LinkedBlockingQueue<>();
        private final StreamObserver<RunnerMessage> up;
        volatile boolean pooled;
        volatile boolean ended;

        PodRunner(ManagedChannel channel, String sessionId, String joinToken) {
            up = RunnerServiceGrpc.newStub(channel).connect(this);
            send(RunnerMessage.newBuilder().setRegister(Register.newBuilder().setSessionId(sessionId).setJoinToken(joinToken)
                    .setHostname("pod").addCapabilities(Capability.CAPABILITY_JPEG_FRAMES)).build());
        }

        synchronized void send(RunnerMessage message) {
            if (!ended) {
                up.onNext(message);
            }
        }

        @Override
        public void onNext(ControlMessage message) {
            if (message.hasWelcome()) {
                pooled = message.getWelcome().getPooled(); // the second welcome names its session
                if (!pooled) {
                    welcomes.add(message.getWelcome());
                }
            }
        }

        @Override
        public void onError(Throwable t) {
            ended = true;
        }

        @Override
        public void onCompleted() {
            ended = true;
        }
    }
}
