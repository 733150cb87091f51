package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.config.Env;
import dev.mbi.controlplane.ControlPlane;
import dev.mbi.controlplane.ControlPlaneConfig;
import dev.mbi.controlplane.testing.TestRunners;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A viewer that stops reading its WebSocket while messages keep coming for it (here: answers to
 * its own bad input) is cut off when its queue is full: counted, closed with 1008, detached from
 * the session. The session stays pending (the test's launcher starts no runner), so only the
 * queue is at play.
 */
class ViewerQueueTest {
    private static final TestRunners.HandOverLauncher LAUNCHER = new TestRunners.HandOverLauncher();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static ControlPlane controlPlane;
    private static Edge edge;

    @BeforeAll
    static void start() {
        Map<String, String> env = new java.util.HashMap<>(dev.mbi.controlplane.testing.TestApi.controlPlaneEnv());
        env.put("RUNNER_JAR", "pom.xml");
        controlPlane = ControlPlane.start(ControlPlaneConfig.from(new Env(env)), LAUNCHER);
        edge = Edge.start(EdgeConfig.from(new Env(Map.of("PORT", "0", "CONTROL_PLANE_ADDR", "localhost:" + controlPlane.apiPort(),
                "CONTROL_PLANE_TOKEN", dev.mbi.controlplane.testing.TestApi.TOKEN,
                "API_TOKENS", "tester:" + TestStack.USER_TOKEN))));
    }

    @AfterAll
    static void stop() {
        edge.close();
        controlPlane.close();
    }

    private static HttpResponse<String> send(String method, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + edge.port() + path))
                .header("Authorization", "Bearer " + TestStack.USER_TOKEN).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static double overflows() throws Exception {
        Matcher m = Pattern.compile("(?m)^browser_viewer_overflows_total(?:\\{[^}]*\\})? ([0-9.eE+-]+)$")
                .matcher(send("GET", "/metrics", null).body());
        assertTrue(m.find(), "browser_viewer_overflows_total missing");
        return Double.parseDouble(m.group(1));
    }

    @Test
    void aViewerThatStopsReadingIsClosedWith1008AndCounted() throws Exception {
        HttpResponse<String> created = send("POST", "/api/sessions", "{\"url\":\"http://127.0.0.1:9/\"}");
        assertEquals(201, created.statusCode(), created.body());
        String id = SessionJson.MAPPER.readTree(created.body()).get("sessionId").asText();
        LAUNCHER.next(Duration.ofSeconds(5));

        double before = overflows();
        // A small receive buffer: the client's side is full after a few messages it does not read.
        try (RawWebSocket ws = RawWebSocket.connect(edge.port(), "/ws/sessions/" + id + "?token=" + TestStack.USER_TOKEN, Map.of(), 4096)) {
            assertEquals(101, ws.status, ws.body);
            // Each bad input is answered with an error message that echoes it (~30 kB); none is read.
            String bad = "{\"type\":\"" + "x".repeat(30_000) + "\"}";
            int sent = 0;
            while (overflows() == before) {
                assertTrue(sent < 5_000, "no overflow after " + sent + " unread messages");
                for (int i = 0; i < 25; i++) {
                    ws.sendText(bad);
                }
                sent += 25;
            }
            System.out.println("viewer given up on after " + sent + " unread messages");
            assertTrue(sent > ViewerSocket.QUEUE_CAPACITY, "given up on after only " + sent + " messages");
            assertEquals(before + 1, overflows());
            // Reading again, the client gets what was already on its way, then the close: 1008.
            RawWebSocket.Frame f;
            do {
                f = ws.readFrame();
            } while (f.opcode() != 8);
            assertEquals(1008, f.closeCode(), f.text());
        }
        TestStack.await("the viewer is detached from its session", Duration.ofSeconds(5))
                .until(() -> SessionJson.MAPPER.readTree(send("GET", "/api/sessions/" + id, null).body()).get("viewers").asInt() == 0);
        assertEquals(before + 1, overflows(), "counted once");
    }
}
