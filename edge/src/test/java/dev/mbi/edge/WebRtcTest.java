package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * WebRTC end to end with real peers: a libwebrtc viewer in this JVM, the edge and control plane
 * relaying the signalling, and the runner answering with VP8 video of real Chromium.
 */
@Stack("MAX_SESSIONS=3")
class WebRtcTest {
    private final TestStack stack;
    private final TestSite site;

    WebRtcTest(TestStack stack) {
        this.stack = stack;
        this.site = stack.site;
    }

    static WebRtcViewer connect(TestStack stack, String id, boolean relayOnly) throws Exception {
        return connect(stack, id, relayOnly, false);
    }

    /** @param audio also asks for the page's sound, as the web UI does */
    static WebRtcViewer connect(TestStack stack, String id, boolean relayOnly, boolean audio) throws Exception {
        TestStack.Response ice = stack.request("GET", "/api/sessions/" + id + "/ice", null);
        assertEquals(200, ice.status(), ice.body());
        assertEquals(15, ice.json().get("webrtcTimeoutSec").asInt());
        WebRtcViewer viewer = new WebRtcViewer(ice.json(), relayOnly, 1000, 600);
        if (audio) {
            viewer.receiveAudio();
        }
        String offer = viewer.offer();
        TestStack.Response answer = stack.request("POST", "/api/sessions/" + id + "/offer",
                SessionJson.MAPPER.createObjectNode().put("type", "offer").put("sdp", offer).toString());
        assertEquals(200, answer.status(), answer.body());
        assertEquals("answer", answer.json().get("type").asText());
        viewer.accept(answer.json().get("sdp").asText());
        return viewer;
    }

    @Test
    void vp8VideoShowsThePageAndDataChannelInputReachesIt() throws Exception {
        String id = stack.createSession(site.pageUrl());
        stack.awaitStatus(id, "ready", Duration.ofSeconds(30));
        try (WebRtcViewer viewer = connect(stack, id, false)) {
            assertEquals("VP8", viewer.negotiatedVideoCodec(), viewer.answerSdp);
            // libwebrtc is loaded by the first offer (FullStackTest shows a session without one never loads it).
            assertTrue(java.nio.file.Files.readString(java.nio.file.Path.of("/proc", Long.toString(TestStack.runnerPid(id)), "maps"))
                    .contains("libwebrtc"), "the runner answered an offer without libwebrtc?");
            int[] green = viewer.awaitPixel(ViewerClient::greenish, 15_000);
            assertEquals(1280, green[0]);
            assertEquals(720, green[1]);

            viewer.click(200, 100);
            site.awaitReport("click", 10_000);
            viewer.awaitPixel(ViewerClient::reddish, 10_000);

            TestStack.await("WebRTC figures reported", Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
                JsonNode m = stack.session(id).get("metrics");
                return m.get("transport").asText().equals("webrtc") && m.get("webrtc").get("peers").asInt() == 1
                        && m.get("webrtc").get("bitrateKbps").asDouble() > 0;
            });
            // A second viewer gets its own connection; the first leaving does not end the session.
            try (WebRtcViewer second = connect(stack, id, false)) {
                second.awaitPixel(ViewerClient::reddish, 15_000);
            }
        }
        Thread.sleep(500);
        assertEquals("ready", stack.session(id).get("status").asText());
        String metrics = stack.request("GET", "/metrics", null).body();
        assertTrue(metrics.contains("browser_signaling_requests_total{endpoint=\"offer\"") && metrics.contains("status=\"200\""), metrics);
        assertEquals(204, stack.request("DELETE", "/api/sessions/" + id, null).status());
    }

    @Test
    void aStillPageKeepsItsVideoStreamGoingSoTheNextChangeIsShownAtOnce() throws Exception {
        String id = stack.createSession(site.pageUrl());
        stack.awaitStatus(id, "ready", Duration.ofSeconds(30));
        try (WebRtcViewer viewer = connect(stack, id, false)) {
            viewer.awaitPixel(ViewerClient::greenish, 15_000);
            Thread.sleep(3_000); // past the repeats that follow a viewer's arrival
            long before = viewer.framesReceived;
            Thread.sleep(2_000);
            long during = viewer.framesReceived - before;
            // The page did not change: the newest picture goes again every 100 ms (a receiver whose stream
            // stops loses its timing and holds the next frame for up to half a second).
            assertTrue(during >= 8, during + " frames in 2 s of a still page");
        } finally {
            stack.request("DELETE", "/api/sessions/" + id, null);
        }
    }

    @Test
    void theDisplayCapturePathStreamsHeadfulChromiumOnXvfb(@Stack("RUNNER_CAPTURE=desktop") TestStack desktop) throws Exception {
        String id = desktop.createSession(desktop.site.pageUrl());
        desktop.awaitStatus(id, "ready", Duration.ofSeconds(30));
        try (WebRtcViewer viewer = connect(desktop, id, false)) {
            assertEquals("VP8", viewer.negotiatedVideoCodec());
            int[] green = viewer.awaitPixel(ViewerClient::greenish, 15_000);
            assertEquals(1280, green[0]);
            assertEquals(720, green[1]);
            viewer.click(200, 100);
            desktop.site.awaitReport("click", 10_000);
            viewer.awaitPixel(ViewerClient::reddish, 10_000);
        }
        // The WebSocket fallback still works on this path (screencast of the headful page).
        try (ViewerClient ws = new ViewerClient(desktop.wsUrl(id))) {
            assertEquals(720, ws.awaitPixel(1000, 600, ViewerClient::reddish, 10_000).image().getHeight());
        }
        assertEquals(204, desktop.request("DELETE", "/api/sessions/" + id, null).status());
        TestStack.await("runner, Chromium and Xvfb gone", Duration.ofSeconds(3)).until(() -> TestStack.liveProcessesOf(id).isEmpty());
    }

    @Test
    void offersAreRefusedWithTheRightCodes() throws Exception {
        String body = "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"}";
        TestStack.Response unknown = stack.request("POST", "/api/sessions/no-such-session/offer", body);
        assertEquals(404, unknown.status(), unknown.body());
        assertEquals("session not found", unknown.json().get("error").asText());
        assertEquals(404, stack.request("GET", "/api/sessions/no-such-session/ice", null).status());

        String id = stack.createSession(site.pageUrl());
        TestStack.Response early = stack.request("POST", "/api/sessions/" + id + "/offer", body);
        assertEquals(409, early.status(), early.body());
        assertEquals("session not ready: pending", early.json().get("error").asText());

        for (String bad : new String[] {"", "{}", "{\"type\":\"answer\",\"sdp\":\"v=0\"}", "{\"type\":\"offer\",\"sdp\":5}"}) {
            TestStack.Response r = stack.request("POST", "/api/sessions/" + id + "/offer", bad);
            assertEquals(400, r.status(), bad + " -> " + r.body());
        }
        stack.awaitStatus(id, "ready", Duration.ofSeconds(30));
        // An offer that passes the edge's look but libwebrtc cannot take is the viewer's fault, said so.
        TestStack.Response garbage = stack.request("POST", "/api/sessions/" + id + "/offer", body);
        assertEquals(400, garbage.status(), garbage.body());
        assertTrue(garbage.json().get("error").asText().startsWith("the offer was refused: bad session description"), garbage.body());
        assertEquals(204, stack.request("POST", "/api/sessions/" + id + "/fallback", "{\"reason\":\"timeout\"}").status());
        assertTrue(stack.request("GET", "/metrics", null).body().matches("(?s).*browser_webrtc_fallbacks_total\\{[^}]*\\} [1-9].*"));
        stack.request("DELETE", "/api/sessions/" + id, null);
    }

    @Test
    void aRunnerThatDoesNotAnswerIsA502(@Stack({"OFFER_TIMEOUT=1s", "HEARTBEAT_INTERVAL=2s"}) TestStack slow) throws Exception {
        // A frozen runner: the offer times out (1 s) long before the stream is judged dead (6 s).
        String id = slow.createSession(slow.site.pageUrl());
        slow.awaitStatus(id, "ready", Duration.ofSeconds(30));
        long pid = TestStack.runnerPid(id);
        new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor();
        try {
            TestStack.Response r = slow.request("POST", "/api/sessions/" + id + "/offer",
                    "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"}");
            assertEquals(502, r.status(), r.body());
            assertTrue(r.json().get("error").asText().startsWith("runner unreachable"), r.body());
        } finally {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }
}
