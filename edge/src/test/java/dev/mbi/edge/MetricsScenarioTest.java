package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * One scripted scenario through the real stack, with each metric checked on both services as it
 * goes: a session streams over the WebSocket and over WebRTC and takes input on both, a create is
 * refused at the limit, an idle session is reaped, and the watched one is deleted. (A failed launch
 * is MetricsTest's, on a stack whose runners cannot start.)
 */
@Stack({"MAX_SESSIONS=2", "SESSION_TIMEOUT=4s"})
class MetricsScenarioTest {
    private final TestStack stack;

    MetricsScenarioTest(TestStack stack) {
        this.stack = stack;
    }

    private String edge() throws Exception {
        return stack.requestAs(TestStack.ADMIN_TOKEN, "GET", "/metrics", null).body();
    }

    private String controlPlane() throws Exception {
        return stack.http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + stack.controlPlane.metricsPort() + "/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The sum of the samples of {@code name} whose labels contain every one of {@code labels}. */
    private static double value(String text, String name, String... labels) {
        double sum = 0;
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{([^}]*)\\})? (\\S+)$").matcher(text);
        while (m.find()) {
            String have = m.group(2) == null ? "" : m.group(2);
            boolean all = true;
            for (String l : labels) {
                all &= have.contains(l);
            }
            if (all) {
                sum += Double.parseDouble(m.group(3));
            }
        }
        return sum;
    }

    @Test
    void everyMetricMovesOnBothServicesThroughAScriptedScenario() throws Exception {
        String edge0 = edge();
        String cp0 = controlPlane();

        String watched = stack.createSession(stack.site.pageUrl());
        stack.awaitStatus(watched, "ready", Duration.ofSeconds(30));
        String idle;
        try (ViewerClient socket = new ViewerClient(stack.wsUrl(watched))) {
            // Input over the WebSocket ...
            socket.awaitPixel(1000, 600, ViewerClient::greenish, 15_000);
            socket.send("{\"type\":\"mousedown\",\"x\":200,\"y\":100,\"button\":\"left\"}");
            socket.send("{\"type\":\"mouseup\",\"x\":200,\"y\":100,\"button\":\"left\"}");
            stack.site.awaitReport("click", 10_000);
            // ... and over WebRTC's DataChannel, with video to the WebRTC viewer.
            try (WebRtcViewer rtc = WebRtcTest.connect(stack, watched, false)) {
                rtc.awaitPixel(ViewerClient::reddish, 15_000);
                rtc.click(200, 100);
                stack.site.awaitReport("click", 10_000);
                TestStack.await("frames and input-to-frame times on both transports", Duration.ofSeconds(20)).ignoreExceptions()
                        .until(() -> {
                            String cp = controlPlane();
                            return value(cp, "browser_frames_sent_total", "transport=\"webrtc\"")
                                    > value(cp0, "browser_frames_sent_total", "transport=\"webrtc\"")
                                    && value(cp, "browser_webrtc_peers") == 1
                                    && value(cp, "browser_input_to_frame_seconds_count")
                                    > value(cp0, "browser_input_to_frame_seconds_count");
                        });
            }
            String cp1 = controlPlane();
            assertTrue(value(cp1, "browser_frames_sent_total", "transport=\"websocket\"")
                    > value(cp0, "browser_frames_sent_total", "transport=\"websocket\""), cp1);
            assertTrue(value(cp1, "browser_frame_bytes_total", "transport=\"websocket\"")
                    > value(cp0, "browser_frame_bytes_total", "transport=\"websocket\""), cp1);
            assertTrue(value(cp1, "browser_frame_bytes_total", "transport=\"webrtc\"")
                    > value(cp0, "browser_frame_bytes_total", "transport=\"webrtc\""), cp1);
            assertEquals(1, value(cp1, "browser_runners_connected"));
            assertEquals(value(cp0, "browser_session_start_seconds_count") + 1, value(cp1, "browser_session_start_seconds_count"));
            String edge1 = edge();
            assertTrue(value(edge1, "browser_signaling_requests_total", "endpoint=\"ice\"", "status=\"200\"")
                    > value(edge0, "browser_signaling_requests_total", "endpoint=\"ice\"", "status=\"200\""), edge1);
            assertTrue(value(edge1, "browser_signaling_requests_total", "endpoint=\"offer\"", "status=\"200\"")
                    > value(edge0, "browser_signaling_requests_total", "endpoint=\"offer\"", "status=\"200\""), edge1);

            // A second session fills the house; a third is refused; the second, never watched, is reaped.
            idle = stack.createSession(stack.site.pageUrl());
            stack.awaitStatus(idle, "ready", Duration.ofSeconds(30));
            assertEquals(503, stack.request("POST", "/api/sessions", "{\"url\":\"" + stack.site.pageUrl() + "\"}").status());
            TestStack.await("both services count two live sessions", Duration.ofSeconds(5)).ignoreExceptions()
                    .until(() -> value(edge(), "browser_sessions_active") == 2 && value(controlPlane(), "browser_sessions_active") == 2);
            stack.awaitStatus(idle, "terminated", Duration.ofSeconds(20));
            TestStack.await("the reaped session gone from both", Duration.ofSeconds(5)).ignoreExceptions()
                    .until(() -> value(edge(), "browser_sessions_active") == 1 && value(controlPlane(), "browser_sessions_active") == 1);
        }
        assertEquals(204, stack.request("DELETE", "/api/sessions/" + watched, null).status());
        TestStack.await("nothing live on either service", Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> value(edge(), "browser_sessions_active") == 0 && value(controlPlane(), "browser_sessions_active") == 0
                        && value(controlPlane(), "browser_runners_connected") == 0 && value(controlPlane(), "browser_webrtc_peers") == 0);

        String edge2 = edge();
        String cp2 = controlPlane();
        assertEquals(value(edge0, "browser_sessions_total", "result=\"created\"") + 2, value(edge2, "browser_sessions_total", "result=\"created\""));
        assertEquals(value(edge0, "browser_sessions_total", "result=\"rejected\"") + 1, value(edge2, "browser_sessions_total", "result=\"rejected\""));
        assertEquals(value(edge0, "browser_session_duration_seconds_count") + 2, value(edge2, "browser_session_duration_seconds_count"),
                "the reaped and the deleted session");
        assertEquals(value(cp0, "browser_session_start_seconds_count") + 2, value(cp2, "browser_session_start_seconds_count"));
        assertEquals(value(edge0, "browser_container_spawn_errors_total"), value(edge2, "browser_container_spawn_errors_total"));
        for (String id : new String[] {watched, idle}) {
            assertTrue(!edge2.contains(id) && !cp2.contains(id), "a session id in a label");
        }
    }
}
