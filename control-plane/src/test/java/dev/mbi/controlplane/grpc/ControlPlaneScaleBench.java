package dev.mbi.controlplane.grpc;

import dev.mbi.proto.v1.DeleteSessionRequest;
import dev.mbi.proto.v1.RunnerMessage;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code make bench}: the control plane with N synthetic runners over real gRPC sockets (each
 * registers with its session's token, reports ready, heartbeats and sends a small frame now and
 * then): create and delete throughput, heap and threads. The runners share the test's JVM and
 * one HTTP/2 connection; heap and threads are read with the runners' share included.
 */
@Tag("bench")
class ControlPlaneScaleBench {
    private static final int[] SIZES = {10, 100, 1000};

    @Test
    void scale() throws Exception {
        StringBuilder table = new StringBuilder("| runners | create (sessions/s) | register + ready (runners/s) | heap used after GC | live threads | delete (sessions/s) |\n|---|---|---|---|---|---|\n");
        for (int n : SIZES) {
            try (ControlPlaneFixture f = ControlPlaneFixture.overSocket(Map.of("MAX_SESSIONS", Integer.toString(n),
                    "HEARTBEAT_INTERVAL", "2s", "RUNNER_RECONNECT_WINDOW", "5s"))) {
                List<dev.mbi.controlplane.launch.RunnerLauncher.RunnerSpec> specs = new ArrayList<>();
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    specs.add(f.createSession());
                }
                double createPerSecond = n / ((System.nanoTime() - t0) / 1e9);
                long t1 = System.nanoTime();
                List<ControlPlaneFixture.FakeRunner> runners = new java.util.concurrent.CopyOnWriteArrayList<>();
                // Each registered runner heartbeats, as a real one does (a silent one is cut after three intervals).
                var beats = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
                beats.scheduleAtFixedRate(() -> runners.forEach(r -> r.send(RunnerMessage.newBuilder()
                        .setHeartbeat(dev.mbi.proto.v1.Heartbeat.newBuilder().setSentAtUnixMs(System.currentTimeMillis())).build())),
                        1, 1, java.util.concurrent.TimeUnit.SECONDS);
                for (var spec : specs) {
                    ControlPlaneFixture.FakeRunner r = f.register(spec);
                    r.send(RunnerMessage.newBuilder().setReady(dev.mbi.proto.v1.RunnerReady.newBuilder().setStartupMs(1)).build());
                    runners.add(r);
                }
                f.awaitStatus(specs.get(specs.size() - 1).sessionId(), dev.mbi.proto.v1.SessionStatus.SESSION_STATUS_READY,
                        java.time.Duration.ofSeconds(30));
                double registerPerSecond = n / ((System.nanoTime() - t1) / 1e9);
                Thread.sleep(3_000); // heartbeats go both ways for a while
                System.gc();
                long heapMb = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024 * 1024);
                int threads = ManagementFactory.getThreadMXBean().getThreadCount();
                long live = f.controlPlane.registry().liveCount();
                if (live != n) {
                    throw new AssertionError(n + " sessions should be live, " + live + " are");
                }
                long t2 = System.nanoTime();
                for (var spec : specs) {
                    f.sessions().deleteSession(DeleteSessionRequest.newBuilder().setSessionId(spec.sessionId()).build());
                }
                double deletePerSecond = n / ((System.nanoTime() - t2) / 1e9);
                table.append(String.format(Locale.ROOT, "| %d | %.0f | %.0f | %d MiB | %d | %.0f |%n", n, createPerSecond,
                        registerPerSecond, heapMb, threads, deletePerSecond));
                beats.shutdownNow();
                beats.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
                runners.forEach(r -> r.up().onCompleted());
            }
        }
        String text = "Control plane with synthetic runners over real gRPC (one JVM, " + Runtime.getRuntime().availableProcessors()
                + " cores; heap and threads include the synthetic runners):\n\n" + table;
        System.out.println(text);
        Path results = Path.of("..", "bench", "results");
        Files.createDirectories(results);
        Files.writeString(results.resolve("control-plane-scale.md"), text);
    }
}
