package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * What crosses a session's boundary, end to end with real Chromium and real files: the clipboard
 * both ways, downloads (byte-exact, and a large one streamed), an upload to a page's file input,
 * a print as a PDF, the page sized to the viewer's screen, and the policy that refuses each.
 */
@Stack({"MAX_SESSIONS=3", "VIEWPORT_MAX_WIDTH=1600", "VIEWPORT_MAX_HEIGHT=1000"})
class DataPathsTest {
    private final TestStack stack;
    private final TestSite site;

    DataPathsTest(TestStack stack) {
        this.stack = stack;
        this.site = stack.site;
    }

    private String session(String policy) throws Exception {
        return session("/data", policy);
    }

    private String session(String path, String policy) throws Exception {
        TestStack.Response r = stack.request("POST", "/api/sessions", "{\"url\":\"" + site.url(path) + "\""
                + (policy == null ? "" : ",\"policy\":" + policy) + "}");
        assertEquals(201, r.status(), r.body());
        String id = r.json().get("sessionId").asText();
        stack.awaitStatus(id, "ready", Duration.ofSeconds(30));
        return id;
    }

    private static void click(ViewerClient viewer, int x, int y) {
        viewer.send("{\"type\":\"mousedown\",\"x\":" + x + ",\"y\":" + y + ",\"button\":\"left\"}");
        viewer.send("{\"type\":\"mouseup\",\"x\":" + x + ",\"y\":" + y + ",\"button\":\"left\"}");
    }

    private static JsonNode completedDownload(ViewerClient viewer, String name) throws Exception {
        while (true) {
            JsonNode d = viewer.next("download", 30_000);
            if (d.get("name").asText().endsWith(name) && d.get("state").asText().equals("completed")) {
                return d;
            }
        }
    }

    private HttpResponse<InputStream> fetch(String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(stack.base() + path))
                .header("Authorization", "Bearer " + TestStack.USER_TOKEN).build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofInputStream());
    }

    @Test
    void theClipboardCrossesBothWays() throws Exception {
        String id = session(null);
        try (ViewerClient viewer = new ViewerClient(stack.wsUrl(id))) {
            viewer.awaitPixel(1000, 600, ViewerClient::greenish, 15_000);
            click(viewer, 150, 50);
            assertEquals("copied by the page", viewer.next("clipboard", 15_000).get("text").asText());

            viewer.send("{\"type\":\"clipboard\",\"text\":\"from the viewer ✓\"}");
            click(viewer, 150, 170);
            viewer.send("{\"type\":\"keydown\",\"key\":\"v\",\"code\":\"KeyV\",\"modifiers\":[\"ctrl\"]}");
            viewer.send("{\"type\":\"keyup\",\"key\":\"v\",\"code\":\"KeyV\",\"modifiers\":[\"ctrl\"]}");
            site.awaitReport("paste:from the viewer ✓", 15_000);
        }
    }

    @Test
    void aDownloadIsFetchedByteExactAndABigOneStreamsWithoutFillingTheEdgesHeap() throws Exception {
        String id = session(null);
        try (ViewerClient viewer = new ViewerClient(stack.wsUrl(id))) {
            viewer.awaitPixel(1000, 600, ViewerClient::greenish, 15_000);
            click(viewer, 150, 290);
            JsonNode small = completedDownload(viewer, "file-65536.bin");
            assertEquals(65536, small.get("size").asLong());
            JsonNode listed = stack.request("GET", "/api/sessions/" + id + "/downloads", null).json().get("downloads");
            assertEquals(small.get("id").asText(), listed.get(0).get("id").asText());
            HttpResponse<InputStream> r = fetch("/api/sessions/" + id + "/downloads/" + small.get("id").asText());
            assertEquals(200, r.statusCode());
            assertTrue(r.headers().firstValue("content-disposition").orElse("").contains("file-65536.bin"));
            try (InputStream in = r.body()) {
                assertArrayEquals(TestSite.fileBytes(0, 65536), in.readAllBytes());
            }

            click(viewer, 150, 650);
            JsonNode big = completedDownload(viewer, "file-52428800.bin");
            Runtime heap = Runtime.getRuntime();
            System.gc();
            long before = heap.totalMemory() - heap.freeMemory();
            HttpResponse<InputStream> stream = fetch("/api/sessions/" + id + "/downloads/" + big.get("id").asText());
            MessageDigest expected = MessageDigest.getInstance("SHA-256");
            MessageDigest got = MessageDigest.getInstance("SHA-256");
            long total = 0;
            long grownMidway = 0;
            try (InputStream in = stream.body()) {
                byte[] buffer = new byte[65536];
                int n;
                while ((n = in.read(buffer)) > 0) {
                    got.update(buffer, 0, n);
                    expected.update(TestSite.fileBytes((int) total, n));
                    total += n;
                    if (grownMidway == 0 && total > 8 * 1024 * 1024) {
                        // A slow reader: anything buffering the whole file would hold it all by now.
                        Thread.sleep(2_000);
                        System.gc();
                        grownMidway = heap.totalMemory() - heap.freeMemory() - before;
                    }
                }
            }
            assertEquals(52428800L, total);
            assertArrayEquals(expected.digest(), got.digest());
            assertTrue(grownMidway < 24L * 1024 * 1024, "the heap grew by " + (grownMidway >> 20) + " MiB while a 50 MiB file streamed");
        }
    }

    @Test
    void anUploadReachesThePagesFileInputAndAPrintBecomesAPdf() throws Exception {
        String id = session(null);
        try (ViewerClient viewer = new ViewerClient(stack.wsUrl(id))) {
            viewer.awaitPixel(1000, 600, ViewerClient::greenish, 15_000);
            click(viewer, 150, 410);
            JsonNode chooser = viewer.next("filechooser", 15_000);
            assertTrue(chooser.get("accept").toString().contains(".txt"), chooser.toString());
            String boundary = "b0undary";
            String form = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"files\"; filename=\"hello.txt\"\r\n"
                    + "Content-Type: text/plain\r\n\r\nhello world\r\n--" + boundary + "--\r\n";
            HttpResponse<String> uploaded = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create(stack.base() + "/api/sessions/" + id + "/filechooser/" + chooser.get("id").asText()))
                    .header("Authorization", "Bearer " + TestStack.USER_TOKEN)
                    .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                    .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, uploaded.statusCode(), uploaded.body());
            site.awaitReport("file:hello.txt:11", 15_000);

            click(viewer, 150, 530);
            JsonNode pdf = completedDownload(viewer, ".pdf");
            try (InputStream in = fetch("/api/sessions/" + id + "/downloads/" + pdf.get("id").asText()).body()) {
                assertEquals("%PDF", new String(in.readNBytes(4), StandardCharsets.US_ASCII));
            }
        }
    }

    @Test
    void eachPolicySettingBlocksItsPathAndARequestMayNotWidenThePolicy() throws Exception {
        TestStack.Response wider = stack.request("POST", "/api/sessions", "{\"url\":\"" + site.url("/data")
                + "\",\"policy\":{\"maxTransferBytes\":999999999999}}");
        assertEquals(400, wider.status());
        assertTrue(wider.json().get("error").asText().contains("would widen"), wider.body());
        assertEquals(400, stack.request("POST", "/api/sessions", "{\"url\":\"" + site.url("/data")
                + "\",\"policy\":{\"downloads\":\"maybe\"}}").status());

        String id = session("{\"clipboard\":\"none\",\"downloads\":\"deny\",\"uploads\":\"deny\",\"printing\":\"deny\",\"keyboard\":\"deny\"}");
        JsonNode policy = stack.session(id).get("policy");
        assertEquals("none", policy.get("clipboard").asText());
        assertEquals("deny", policy.get("downloads").asText());
        try (ViewerClient viewer = new ViewerClient(stack.wsUrl(id))) {
            viewer.awaitPixel(1000, 600, ViewerClient::greenish, 15_000);
            click(viewer, 150, 50);
            assertEquals("clipboard to local", viewer.next("blocked", 15_000).get("action").asText());
            viewer.send("{\"type\":\"clipboard\",\"text\":\"secret\"}");
            assertEquals("policy.clipboard = none", viewer.next("blocked", 15_000).get("rule").asText());
            click(viewer, 150, 290);
            assertEquals("policy.downloads = deny", nextBlocked(viewer, "download").get("rule").asText());
            click(viewer, 150, 410);
            assertEquals("policy.uploads = deny", nextBlocked(viewer, "upload").get("rule").asText());
            HttpResponse<String> refused = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create(stack.base() + "/api/sessions/" + id + "/filechooser/any"))
                    .header("Authorization", "Bearer " + TestStack.USER_TOKEN)
                    .header("Content-Type", "multipart/form-data; boundary=b")
                    .POST(HttpRequest.BodyPublishers.ofString("--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"x\"\r\n\r\nx\r\n--b--\r\n"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(403, refused.statusCode(), refused.body());
            click(viewer, 150, 530);
            assertEquals("policy.printing = deny", nextBlocked(viewer, "print").get("rule").asText());
            Thread.sleep(1_100); // one keyboard notice a second
            viewer.send("{\"type\":\"keydown\",\"key\":\"a\",\"code\":\"KeyA\"}");
            assertEquals("policy.keyboard = deny", nextBlocked(viewer, "keyboard").get("rule").asText());
        }
        // Refusals are counted where they happen: the edge's own (clipboard in, keyboard) on its /metrics.
        String metrics = stack.request("GET", "/metrics", null).body();
        assertTrue(metrics.contains("browser_policy_blocked_total{action=\"clipboard to remote\""), "edge metrics lack the refusal");
    }

    /** What an expression evaluates to in the session's page (read through its DevTools endpoint), as text. */
    private String pageSays(String id, String expression) throws Exception {
        try (CdpTestClient page = new CdpTestClient(AutomationTest.cdpUrl(stack, id))) {
            return evaluate(page, AutomationTest.attachToPage(page, site.url("/data")), expression);
        }
    }

    /** Waits until an expression on the session's page (read through its DevTools endpoint) has this value. */
    private void awaitPageSays(String id, String expression, String expected) throws Exception {
        try (CdpTestClient page = new CdpTestClient(AutomationTest.cdpUrl(stack, id))) {
            String session = AutomationTest.attachToPage(page, site.url("/data"));
            String[] last = {""};
            try {
                TestStack.await("the page to say " + expected, Duration.ofSeconds(15))
                        .until(() -> (last[0] = evaluate(page, session, expression)).equals(expected));
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("the page says '" + last[0] + "', not '" + expected + "'", e);
            }
        }
    }

    private static String evaluate(CdpTestClient page, String session, String expression) throws Exception {
        return page.call("Runtime.evaluate", CdpTestClient.params().put("expression", expression)
                .put("returnByValue", true), session).path("result").path("result").path("value").asText();
    }

    private static JsonNode nextBlocked(ViewerClient viewer, String action) throws Exception {
        while (true) {
            JsonNode b = viewer.next("blocked", 15_000);
            if (b.get("action").asText().equals(action)) {
                return b;
            }
        }
    }

    @Test
    void aPhoneSizedViewerResizesThePageAndClicksStillLand() throws Exception {
        String id = session(null);
        try (ViewerClient viewer = new ViewerClient(stack.wsUrl(id))) {
            viewer.awaitPixel(1000, 600, ViewerClient::greenish, 15_000);
            viewer.send("{\"type\":\"resize\",\"width\":390,\"height\":844,\"deviceScaleFactor\":3,\"mobile\":true}");
            awaitPageSays(id, "innerWidth + ' ' + (navigator.maxTouchPoints > 0)", "390 true");
            // A still page may send no frame after the one at its new size: that one is kept.
            java.util.concurrent.atomic.AtomicReference<ViewerClient.DecodedFrame> phoneFrame = new java.util.concurrent.atomic.AtomicReference<>();
            TestStack.await("frames at the phone's size", Duration.ofSeconds(15)).ignoreExceptions().until(() -> {
                ViewerClient.DecodedFrame f = viewer.nextFrame(2_000);
                phoneFrame.set(f);
                return f.image().getWidth() * 844 == f.image().getHeight() * 390;
            });
            // The paste field at (0,120)-(300,220) of the page, clicked in the phone-sized frame's pixels.
            ViewerClient.DecodedFrame frame = phoneFrame.get();
            int w = frame.image().getWidth();
            int h = frame.image().getHeight();
            String at = "\"x\":" + (150.0 * w / 390) + ",\"y\":" + (170.0 * h / 844) + ",\"width\":" + w + ",\"height\":" + h;
            viewer.send("{\"type\":\"clipboard\",\"text\":\"phone\"}");
            viewer.send("{\"type\":\"mousedown\"," + at + ",\"button\":\"left\"}");
            viewer.send("{\"type\":\"mouseup\"," + at + ",\"button\":\"left\"}");
            viewer.send("{\"type\":\"keydown\",\"key\":\"v\",\"code\":\"KeyV\",\"modifiers\":[\"ctrl\"]}");
            viewer.send("{\"type\":\"keyup\",\"key\":\"v\",\"code\":\"KeyV\",\"modifiers\":[\"ctrl\"]}");
            try {
                site.awaitReport("paste:phone", 15_000);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; clicked at " + at + "; the page: " + pageSays(id,
                        "JSON.stringify({focused: document.hasFocus(), active: document.activeElement && document.activeElement.id,"
                                + " scale: visualViewport.scale, scroll: [scrollX, scrollY], size: [innerWidth, innerHeight],"
                                + " at: (document.elementFromPoint(150, 170) || {}).id})"), e);
            }
            // A screen larger than the operator allows (VIEWPORT_MAX_WIDTH x VIEWPORT_MAX_HEIGHT) gets the largest allowed.
            viewer.send("{\"type\":\"resize\",\"width\":3000,\"height\":2000,\"deviceScaleFactor\":1,\"mobile\":false}");
            awaitPageSays(id, "innerWidth + ' ' + innerHeight", "1600 1000");
            viewer.send("{\"type\":\"resize\",\"width\":1280,\"height\":720,\"deviceScaleFactor\":1,\"mobile\":false}");
            awaitPageSays(id, "innerWidth + ' ' + (navigator.maxTouchPoints > 0)", "1280 false");
        }
    }

    @Test
    void thePagesSoundReachesAWebRtcViewerAsOpusUnlessThePolicyDeniesAudio() throws Exception {
        String id = session("/tone", null);
        try (WebRtcViewer viewer = WebRtcTest.connect(stack, id, false, true)) {
            assertTrue(ViewerPolicy.sendsAudio(viewer.answerSdp), viewer.answerSdp);
            assertTrue(viewer.answerSdp.toLowerCase(java.util.Locale.ROOT).contains("opus/48000"), viewer.answerSdp);
            viewer.awaitPixel(ViewerClient::greenish, 15_000);
            viewer.click(200, 100);
            site.awaitReport("tone:running", 10_000);
            // Half a second of a full-scale 440 Hz tone, through Chromium, PulseAudio, Opus and back.
            try {
                TestStack.await("the page's tone at the viewer", Duration.ofSeconds(15))
                        .until(() -> viewer.loudSamples.get() > 48_000);
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError(viewer.loudSamples + " loud of " + viewer.audioSamples + " samples; "
                        + viewer.audioStats(), e);
            }
        }
        assertEquals(204, stack.request("DELETE", "/api/sessions/" + id, null).status());

        String denied = session("/tone", "{\"audio\":\"deny\"}");
        try (WebRtcViewer viewer = WebRtcTest.connect(stack, denied, false, true)) {
            assertTrue(!ViewerPolicy.sendsAudio(viewer.answerSdp), viewer.answerSdp);
            viewer.awaitPixel(ViewerClient::greenish, 15_000);
            viewer.click(200, 100);
            site.awaitReport("tone:running", 10_000);
            viewer.awaitPixel(ViewerClient::reddish, 10_000);
            Thread.sleep(1_500);
            assertEquals(0, viewer.loudSamples.get(), "sound reached a viewer of a session whose policy denies audio");
        }
        assertTrue(stack.request("GET", "/metrics", null).body().contains("browser_policy_blocked_total{action=\"audio\""));
        assertEquals(204, stack.request("DELETE", "/api/sessions/" + denied, null).status());
    }
}
