package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mbi.config.Env;
import dev.mbi.controlplane.ControlPlane;
import dev.mbi.controlplane.ControlPlaneConfig;
import dev.mbi.controlplane.launch.RunnerLauncher;
import dev.mbi.controlplane.testing.TestApi;
import dev.mbi.controlplane.testing.TestRunners;
import dev.mbi.proto.v1.Heartbeat;
import dev.mbi.proto.v1.RunnerMessage;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A runner that stays connected but stops reading its stream must not hold up anyone else: the
 * edge's API and readiness keep answering within a second while input piles up for it, and the
 * control plane cuts it off with a reason. Real edge, real control plane, real sockets; the test
 * plays the runner (its own launcher hands it the session's token).
 */
class StalledRunnerTest {
    private static final TestRunners.HandOverLauncher LAUNCHER = new TestRunners.HandOverLauncher();
    private static ControlPlane controlPlane;
    private static Edge edge;
    private static ManagedChannel runnerChannel;
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** Messages the control plane queues for one runner before it gives up (RunnerStreamService). */
    private static final int RUNNER_QUEUE = 1024;

    @BeforeAll
    static void start() {
        Map<String, String> env = new java.util.HashMap<>(TestApi.controlPlaneEnv());
        env.put("RUNNER_JAR", "pom.xml");
        // The test's runner never dials again once cut off: its session ends when this short window passes.
        env.put("RUNNER_RECONNECT_WINDOW", "1s");
        controlPlane = ControlPlane.start(ControlPlaneConfig.from(new Env(env)), LAUNCHER);
        // The edge's own per-viewer limit raised: what is proven here is the control plane's guard.
        edge = Edge.start(EdgeConfig.from(new Env(Map.of("PORT", "0", "CONTROL_PLANE_ADDR", "localhost:" + controlPlane.apiPort(),
                "CONTROL_PLANE_TOKEN", TestApi.TOKEN, "API_TOKENS", "tester:" + TestStack.USER_TOKEN,
                "INPUT_MESSAGES_PER_SECOND", "1000000"))));
        // A small receive window: the runner's side fills after a few messages it does not read.
        runnerChannel = NettyChannelBuilder.forAddress("localhost", controlPlane.grpcPort()).usePlaintext()
                .flowControlWindow(16 * 1024).build();
    }

    @AfterAll
    static void stop() {
        runnerChannel.shutdownNow();
        edge.close();
        controlPlane.close();
    }

    private static long timeMs(String path, int expectedStatus) throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + edge.port() + path))
                .header("Authorization", "Bearer " + TestStack.USER_TOKEN)
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(expectedStatus, r.statusCode(), path + " -> " + r.body());
        return ms;
    }

    private static JsonNode session(String id) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + edge.port() + "/api/sessions/" + id))
                .header("Authorization", "Bearer " + TestStack.USER_TOKEN).build(), HttpResponse.BodyHandlers.ofString());
        return SessionJson.MAPPER.readTree(r.body());
    }

    @Test
    void aRunnerThatStopsReadingHoldsUpNobodyAndIsCutOff() throws Exception {
        HttpResponse<String> created = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + edge.port() + "/api/sessions"))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + TestStack.USER_TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString("{\"url\":\"http://127.0.0.1:9/\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(201, created.statusCode(), created.body());
        RunnerLauncher.RunnerSpec spec = LAUNCHER.next(Duration.ofSeconds(5));

        // The runner registers, reads its welcome, says it is ready, and from then on reads nothing.
        TestRunners.StalledRunner runner = TestRunners.registerAndStopReading(runnerChannel, spec);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> session(spec.sessionId()).get("status").asText().equals("ready"));

        // A viewer types into the session: each message is queued for the runner, which does not read,
        // until the control plane gives up on it and ends the session (which closes the viewer).
        // Under the size the edge still queues while the control plane is behind (ViewerSocket.BUSY_MAX_CHARS).
        String text = "x".repeat(ViewerSocket.BUSY_MAX_CHARS - 100);
        long slowest = 0;
        int sent = 0;
        try (ViewerClient viewer = new ViewerClient("ws://localhost:" + edge.port() + "/ws/sessions/" + spec.sessionId() + "?token=" + TestStack.USER_TOKEN)) {
            for (; sent < 3_000; sent++) {
                try {
                    viewer.send("{\"type\":\"type\",\"text\":\"" + text + "\"}");
                } catch (java.util.concurrent.CompletionException closedBecauseTheSessionEnded) {
                    break;
                }
                if (sent % 100 == 0) {
                    // Alive, only not reading: heartbeats keep it from counting as silent.
                    runner.send(RunnerMessage.newBuilder().setHeartbeat(Heartbeat.getDefaultInstance()).build());
                    slowest = Math.max(slowest, Math.max(timeMs("/api/sessions", 200), timeMs("/readyz", 200)));
                }
            }
        }
        assertTrue(sent > RUNNER_QUEUE, "cut off after only " + sent + " messages");
        slowest = Math.max(slowest, Math.max(timeMs("/api/sessions", 200), timeMs("/readyz", 200)));
        assertTrue(slowest < 1_000, "the API took " + slowest + " ms to answer while a runner was not reading");
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> session(spec.sessionId()).get("status").asText().equals("error"));
        String error = session(spec.sessionId()).get("error").asText();
        assertTrue(error.contains("stopped reading"), error);
    }
}
