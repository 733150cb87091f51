package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mbi.config.Env;
import dev.mbi.controlplane.ControlPlane;
import dev.mbi.controlplane.ControlPlaneConfig;
import dev.mbi.controlplane.testing.SyntheticRunner;
import dev.mbi.controlplane.testing.TestApi;
import dev.mbi.controlplane.testing.TestRunners;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A viewer's input is limited to INPUT_MESSAGES_PER_SECOND at the edge: a flood is dropped there
 * (said once a second, counted), never piles up behind it, and the session goes on. A synthetic
 * runner behind a real control plane counts what reaches it.
 */
class ViewerInputRateTest {
    private static final int LIMIT = 50;

    @Test
    void aFloodBeyondTheRateIsDroppedAtTheEdgeSaidAndCountedAndTheSessionGoesOn() throws Exception {
        TestRunners.HandOverLauncher launcher = new TestRunners.HandOverLauncher();
        Map<String, String> env = new HashMap<>(TestApi.controlPlaneEnv());
        env.put("RUNNER_JAR", "pom.xml");
        try (ControlPlane controlPlane = ControlPlane.start(ControlPlaneConfig.from(new Env(env)), launcher);
             Edge edge = Edge.start(EdgeConfig.from(new Env(Map.of("PORT", "0",
                     "CONTROL_PLANE_ADDR", "localhost:" + controlPlane.apiPort(), "CONTROL_PLANE_TOKEN", TestApi.TOKEN,
                     "API_TOKENS", "tester:" + TestStack.USER_TOKEN, "INPUT_MESSAGES_PER_SECOND", Integer.toString(LIMIT)))))) {
            String id = RelayThroughputBench.createSession(edge);
            try (SyntheticRunner runner = RelayThroughputBench.connectRunner(edge, id, launcher);
                 ViewerClient viewer = new ViewerClient("ws://localhost:" + edge.port() + ViewerSocket.PATH_PREFIX + id
                         + "?token=" + TestStack.USER_TOKEN)) {
                viewer.next("status", 5_000);
                long start = System.nanoTime();
                for (int i = 0; i < 1_000; i++) {
                    viewer.send("{\"type\":\"type\",\"text\":\"a\"}");
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                JsonNode notice = viewer.next("error", 5_000);
                assertTrue(notice.get("error").asText().contains("INPUT_MESSAGES_PER_SECOND"), notice.toString());
                Thread.sleep(1_500);
                long reached = runner.inputsReceived();
                // A second's worth at once, then the rate: far fewer than the thousand sent.
                long most = LIMIT + Math.round(Math.ceil(seconds + 0.5) * LIMIT);
                assertTrue(reached >= LIMIT && reached <= most, reached + " reached the runner; expected " + LIMIT + ".." + most);
                assertTrue(edgeMetric(edge).contains("browser_viewer_input_dropped_total"), "the drops are counted");

                // The bucket refills: the session takes input again, and nothing was cut.
                viewer.send("{\"type\":\"type\",\"text\":\"b\"}");
                TestStack.await("input after the flood", Duration.ofSeconds(5)).until(() -> runner.inputsReceived() == reached + 1);
                assertTrue(!runner.ended().isDone(), "the runner's stream is intact");
                assertEquals("ready", RelayThroughputBench.status(edge, id));
            }
        }
    }

    private static String edgeMetric(Edge edge) throws Exception {
        java.net.HttpURLConnection c = (java.net.HttpURLConnection) new java.net.URL("http://localhost:" + edge.port() + "/metrics")
                .openConnection();
        return withToken(c);
    }

    private static String withToken(java.net.HttpURLConnection c) throws java.io.IOException {
        c.setRequestProperty("Authorization", "Bearer " + TestStack.USER_TOKEN);
        try (java.io.InputStream in = c.getInputStream()) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }
}
