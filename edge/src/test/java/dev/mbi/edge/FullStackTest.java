package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * The product end to end on this machine: REST and WebSocket at the edge, gRPC to the control
 * plane, a runner process per session driving real headless Chromium on a page served here.
 */
@Stack("MAX_SESSIONS=3")
class FullStackTest {
    private final TestStack stack;
    private final TestSite site;

    FullStackTest(TestStack stack) {
        this.stack = stack;
        this.site = stack.site;
    }

    private ViewerClient viewer(String id) {
        return new ViewerClient(stack.wsUrl(id));
    }

    @Test
    void aSessionStreamsThePageAndThePageSeesClicksAndTyping() throws Exception {
        TestStack.Response created = stack.request("POST", "/api/sessions", "{\"url\":\"" + site.pageUrl() + "\"}");
        assertEquals(201, created.status(), created.body());
        assertEquals("pending", created.json().get("status").asText());
        assertTrue(created.json().get("createdAt").asText().endsWith("Z"));
        String id = created.json().get("sessionId").asText();

        try (ViewerClient viewer = viewer(id)) {
            JsonNode ready = stack.awaitStatus(id, "ready", Duration.ofSeconds(30));
            assertEquals(site.pageUrl(), ready.get("url").asText());

            ViewerClient.DecodedFrame first = viewer.awaitPixel(1000, 600, ViewerClient::greenish, 15_000);
            assertEquals(1280, first.image().getWidth());
            assertEquals(720, first.image().getHeight());
            assertEquals(1280, first.message().get("width").asInt());
            assertEquals("jpeg", first.message().get("format").asText());

            // A click in a half-size frame's coordinates lands on the same spot of the page.
            viewer.send("{\"type\":\"mousemove\",\"x\":100,\"y\":50,\"width\":640,\"height\":360}");
            viewer.send("{\"type\":\"mousedown\",\"x\":100,\"y\":50,\"width\":640,\"height\":360,\"button\":\"left\"}");
            viewer.send("{\"type\":\"mouseup\",\"x\":100,\"y\":50,\"width\":640,\"height\":360,\"button\":\"left\"}");
            site.awaitReport("click", 10_000);
            viewer.awaitPixel(1000, 600, ViewerClient::reddish, 10_000);

            // Bad input costs an error message, not the session.
            viewer.send("{\"type\":\"teleport\"}");
            assertTrue(viewer.next("error", 5_000).get("error").asText().contains("unknown input type"));

            // Focus the text field (numeric button, frame-sized coordinates) and type into it.
            viewer.send("{\"type\":\"mousedown\",\"x\":200,\"y\":350,\"button\":0}");
            viewer.send("{\"type\":\"mouseup\",\"x\":200,\"y\":350,\"button\":0}");
            for (String key : List.of("h", "i")) {
                viewer.send("{\"type\":\"keydown\",\"key\":\"" + key + "\",\"code\":\"Key" + key.toUpperCase() + "\"}");
                viewer.send("{\"type\":\"keyup\",\"key\":\"" + key + "\",\"code\":\"Key" + key.toUpperCase() + "\"}");
            }
            viewer.send("{\"type\":\"type\",\"text\":\" there\"}");
            viewer.send("{\"type\":\"keydown\",\"key\":\"Enter\",\"code\":\"Enter\"}");
            viewer.send("{\"type\":\"keyup\",\"key\":\"Enter\",\"code\":\"Enter\"}");
            site.awaitReport("enter", 10_000);
            site.awaitReport("submit:hi there", 10_000);

            viewer.send("{\"type\":\"scroll\",\"x\":640,\"y\":360,\"deltaX\":0,\"deltaY\":120}");
            site.awaitReport("wheel:1", 10_000);

            // The address bar of the remote browser.
            viewer.send("{\"type\":\"navigate\",\"url\":\"" + site.pageUrl() + "?second\"}");
            TestStack.await("navigation reported", Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> stack.session(id).get("currentUrl").asText().endsWith("?second"));
            viewer.send("{\"type\":\"navigate\",\"url\":\"file:///etc/passwd\"}");
            assertTrue(viewer.next("error", 5_000).get("error").asText().contains("http or https"));

            // A second viewer sees the page at once; leaving does not end the session.
            try (ViewerClient second = viewer(id)) {
                ViewerClient.DecodedFrame seen = second.nextFrame(10_000);
                assertEquals(720, seen.image().getHeight());
            }
            Thread.sleep(300);
            assertEquals("ready", stack.session(id).get("status").asText());

            // The runner reports its figures every couple of seconds.
            TestStack.await("metrics reported", Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
                JsonNode m = stack.session(id).get("metrics");
                return m.get("framesSent").asLong() > 1 && m.get("inputToFrameMs").isNumber();
            });
            JsonNode metrics = stack.session(id).get("metrics");
            assertEquals("websocket", metrics.get("transport").asText());
            assertTrue(metrics.get("memMB").asDouble() > 10, metrics.toString());
            assertTrue(metrics.get("bytesSent").asLong() > 0, metrics.toString());
            assertTrue(metrics.get("uptimeSec").asDouble() > 0, metrics.toString());
            assertTrue(metrics.get("inputToFrameMs").asDouble() > 0, metrics.toString());
        } finally {
            assertEquals(204, stack.request("DELETE", "/api/sessions/" + id, null).status());
        }
    }

    @Test
    void deleteEndsTheRunnerAndChromiumWithinTwoSeconds() throws Exception {
        String id = stack.createSession(site.pageUrl());
        stack.awaitStatus(id, "ready", Duration.ofSeconds(30));
        assertTrue(TestStack.liveProcessesOf(id).size() >= 2, "runner and Chromium should be running");

        long start = System.nanoTime();
        assertEquals(204, stack.request("DELETE", "/api/sessions/" + id, null).status());
        TestStack.await("runner and Chromium gone", Duration.ofSeconds(2)).until(() -> TestStack.liveProcessesOf(id).isEmpty());
        System.out.println("session " + id + ": processes gone " + (System.nanoTime() - start) / 1_000_000 + " ms after DELETE");
        assertEquals("terminated", stack.session(id).get("status").asText());
        // Deleting again is not an error.
        assertEquals(204, stack.request("DELETE", "/api/sessions/" + id, null).status());
    }

    @Test
    void aKilledRunnerTurnsItsSessionIntoAnErrorAndTakesChromiumAlong() throws Exception {
        String id = stack.createSession(site.pageUrl());
        stack.awaitStatus(id, "ready", Duration.ofSeconds(30));
        ProcessHandle.of(TestStack.runnerPid(id)).orElseThrow().destroyForcibly();
        JsonNode failed = stack.awaitStatus(id, "error", Duration.ofSeconds(5));
        assertTrue(failed.get("error").asText().contains("exit code 137"), failed.toString());
        TestStack.await("Chromium gone with its runner", Duration.ofSeconds(3)).until(() -> TestStack.liveProcessesOf(id).isEmpty());
    }

    @Test
    void whenChromiumDiesTheRunnerReportsItAndExits() throws Exception {
        String id = stack.createSession(site.pageUrl());
        stack.awaitStatus(id, "ready", Duration.ofSeconds(30));
        long runner = TestStack.runnerPid(id);
        ProcessHandle.of(runner).orElseThrow().children().forEach(ProcessHandle::destroyForcibly);
        JsonNode failed = stack.awaitStatus(id, "error", Duration.ofSeconds(5));
        assertTrue(failed.get("error").asText().contains("Chromium exited unexpectedly"), failed.toString());
        TestStack.await("runner exited after reporting", Duration.ofSeconds(5)).until(() -> TestStack.liveProcessesOf(id).isEmpty());
    }

    @Test
    void aFrozenRunnerEndsItsSessionOnceTheReconnectWindowPasses(
            @Stack({"MAX_SESSIONS=3", "RUNNER_RECONNECT_WINDOW=2s"}) TestStack shortWindow) throws Exception {
        // A frozen runner looks like a network failure: its stream is cut within three heartbeats,
        // and the session waits the reconnect window for it to dial again, then ends with the reason.
        String id = shortWindow.createSession(shortWindow.site.pageUrl());
        shortWindow.awaitStatus(id, "ready", Duration.ofSeconds(30));
        long pid = TestStack.runnerPid(id);
        new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor();
        long frozenAt = System.nanoTime();
        JsonNode failed = shortWindow.awaitStatus(id, "error", Duration.ofSeconds(8));
        System.out.println("session " + id + ": frozen runner noticed after " + (System.nanoTime() - frozenAt) / 1_000_000 + " ms");
        assertTrue(failed.get("error").asText().contains("lost contact with the runner"), failed.toString());
        assertTrue(failed.get("error").asText().contains("did not dial again within 2000 ms"), failed.toString());
        TestStack.await("frozen runner and its Chromium removed", Duration.ofSeconds(5))
                .until(() -> TestStack.liveProcessesOf(id).isEmpty());
    }

    @Test
    void badInputGetsItsStatusCodeAndAJsonError() throws Exception {
        Object[][] cases = {
            {"POST", "/api/sessions", "not json", 400, "request body must be JSON"},
            {"POST", "/api/sessions", "[1,2]", 400, "request body must be JSON"},
            {"POST", "/api/sessions", "{}", 400, "url is required"},
            {"POST", "/api/sessions", "{\"url\":42}", 400, "url is required"},
            {"POST", "/api/sessions", "{\"url\":\"ftp://example.com\"}", 400, "http or https"},
            {"POST", "/api/sessions", "{\"url\":\"javascript:alert(1)\"}", 400, "http or https"},
            {"POST", "/api/sessions", "{\"url\":\"file:///etc/passwd\"}", 400, "http or https"},
            {"POST", "/api/sessions", "", 400, "request body must be JSON"},
            {"GET", "/api/sessions/no-such-session", null, 404, "session not found"},
            {"DELETE", "/api/sessions/no-such-session", null, 404, "session not found"},
            {"GET", "/ws/sessions/no-such-session", null, 404, "session not found"},
        };
        for (Object[] c : cases) {
            TestStack.Response r = stack.request((String) c[0], (String) c[1], (String) c[2]);
            String what = c[0] + " " + c[1] + " " + c[2];
            assertEquals(c[3], r.status(), what + " -> " + r.body());
            assertTrue(r.json() != null && r.json().get("error").asText().contains((String) c[4]), what + " -> " + r.body());
            assertFalse(r.body().contains("Exception") || r.body().contains("\tat "), r.body());
        }
        CompletionException refused = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class,
                () -> viewer("no-such-session"));
        assertEquals(404, ((WebSocketHandshakeException) refused.getCause()).getResponse().statusCode());
    }

    @Test
    void anUnreachableControlPlaneIsA503() throws Exception {
        try (Edge orphan = Edge.start(EdgeConfig.from(new dev.mbi.config.Env(Map.of(
                "PORT", "0", "CONTROL_PLANE_ADDR", "localhost:1", "CONTROL_PLANE_TIMEOUT", "2s",
                "API_TOKENS", TestStack.USER_TOKEN,
                "CONTROL_PLANE_TOKEN", dev.mbi.controlplane.testing.TestApi.TOKEN))))) {
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            for (String[] c : new String[][] {{"POST", "/api/sessions"}, {"GET", "/api/sessions"}, {"GET", "/readyz"}}) {
                java.net.http.HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(
                                java.net.URI.create("http://localhost:" + orphan.port() + c[1]))
                        .method(c[0], java.net.http.HttpRequest.BodyPublishers.ofString("{\"url\":\"https://example.com\"}"))
                        .header("Content-Type", "application/json")
                        .header("Authorization", "Bearer " + TestStack.USER_TOKEN)
                        .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
                assertEquals(503, r.statusCode(), c[0] + " " + c[1] + " -> " + r.body());
                assertTrue(r.body().contains("control plane unavailable"), r.body());
            }
            java.net.http.HttpResponse<String> health = http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://localhost:" + orphan.port() + "/healthz")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode());
        }
    }

    @Test
    void aViewerMayTakeFramesAsBinaryMessages() throws Exception {
        String id = stack.createSession(site.pageUrl());
        java.util.concurrent.BlockingQueue<byte[]> binary = new java.util.concurrent.LinkedBlockingQueue<>();
        java.util.concurrent.BlockingQueue<String> text = new java.util.concurrent.LinkedBlockingQueue<>();
        java.net.http.WebSocket socket = java.net.http.HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(java.net.URI.create(stack.wsUrl(id) + "&frames=binary"), new java.net.http.WebSocket.Listener() {
                    private final java.io.ByteArrayOutputStream parts = new java.io.ByteArrayOutputStream();
                    private final StringBuilder textParts = new StringBuilder();

                    @Override
                    public java.util.concurrent.CompletionStage<?> onBinary(java.net.http.WebSocket ws, java.nio.ByteBuffer data, boolean last) {
                        byte[] chunk = new byte[data.remaining()];
                        data.get(chunk);
                        parts.writeBytes(chunk);
                        if (last) {
                            binary.add(parts.toByteArray());
                            parts.reset();
                        }
                        ws.request(1);
                        return null;
                    }

                    @Override
                    public java.util.concurrent.CompletionStage<?> onText(java.net.http.WebSocket ws, CharSequence data, boolean last) {
                        textParts.append(data);
                        if (last) {
                            text.add(textParts.toString());
                            textParts.setLength(0);
                        }
                        ws.request(1);
                        return null;
                    }
                }).join();
        try {
            stack.awaitStatus(id, "ready", Duration.ofSeconds(30));
            // Frames until one shows the page (the first may be from before it painted).
            long deadline = System.currentTimeMillis() + 15_000;
            boolean green = false;
            int frames = 0;
            while (!green && System.currentTimeMillis() < deadline) {
                byte[] message = binary.poll(Math.max(1, deadline - System.currentTimeMillis()), java.util.concurrent.TimeUnit.MILLISECONDS);
                if (message == null) {
                    break;
                }
                frames++;
                java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(message);
                byte[] header = new byte[in.getInt()];
                in.get(header);
                JsonNode frame = SessionJson.MAPPER.readTree(header);
                assertEquals("frame", frame.get("type").asText());
                assertEquals(1280, frame.get("width").asInt());
                assertTrue(frame.get("data") == null, "no base64 in a binary frame");
                // Where the frame's time went, in the order it went there.
                JsonNode timing = frame.get("timing");
                long captured = timing.get("capturedUs").asLong();
                long sent = timing.get("runnerSentUs").asLong();
                long relayed = timing.get("relayedUs").asLong();
                long edge = timing.get("edgeUs").asLong();
                assertTrue(captured > 0 && captured <= sent + 1_000 && sent <= relayed && relayed <= edge
                        && edge <= System.currentTimeMillis() * 1_000 + 1_000, String.valueOf(timing));
                byte[] jpeg = new byte[in.remaining()];
                in.get(jpeg);
                java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(jpeg));
                assertEquals(1280, image.getWidth(), "the rest of the message is the JPEG");
                green = ViewerClient.greenish(image.getRGB(1000, 600));
            }
            assertTrue(green, "a binary frame showed the page (" + frames + " frame(s) came); text messages: " + text);
            // Nobody asked for WebRTC: the runner never loaded libwebrtc (~100 MiB of native memory).
            String maps = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", Long.toString(TestStack.runnerPid(id)), "maps"));
            assertTrue(!maps.contains("libwebrtc"), "libwebrtc loaded without an offer");
            // Everything else stays text: the status came as JSON.
            assertTrue(text.stream().anyMatch(t -> t.contains("\"type\":\"status\"")), String.valueOf(text));
            assertTrue(text.stream().noneMatch(t -> t.contains("\"type\":\"frame\"")), "no frame as text");
        } finally {
            socket.abort();
        }
    }
}
