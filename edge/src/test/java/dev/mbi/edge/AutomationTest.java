package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.ruiyun.jvppeteer.api.core.Browser;
import com.ruiyun.jvppeteer.api.core.Page;
import com.ruiyun.jvppeteer.cdp.core.Puppeteer;
import com.ruiyun.jvppeteer.cdp.entities.ConnectOptions;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.Base64;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * An agent and a person in one session: a DevTools client (jvppeteer's connect, unchanged, and a
 * protocol-level client) drives the session's page through the edge, while a viewer watches and
 * acts, and control is handed between them.
 */
@Stack(value = "MAX_SESSIONS=3", edge = "CDP_MESSAGES_PER_SECOND=200")
class AutomationTest {
    private final TestStack stack;
    private final TestSite site;

    AutomationTest(TestStack stack) {
        this.stack = stack;
        this.site = stack.site;
    }

    private String cdpUrl(String id) {
        return cdpUrl(stack, id);
    }

    /** The session's DevTools endpoint, with the test user's token. */
    static String cdpUrl(TestStack stack, String id) {
        return stack.base().replace("http://", "ws://") + "/api/sessions/" + id + "/cdp?token=" + TestStack.USER_TOKEN;
    }

    static Browser connect(String endpoint) throws Exception {
        ConnectOptions options = new ConnectOptions();
        options.setBrowserWSEndpoint(endpoint);
        options.setDefaultViewport(null);
        options.setProtocolTimeout(30_000);
        return Puppeteer.connect(options);
    }

    static Page sessionPage(Browser browser, String url) {
        return TestStack.await("the session's page among the browser's pages", Duration.ofSeconds(10))
                .until(() -> browser.pages().stream().filter(p -> p.url().startsWith(url)).findFirst().orElse(null),
                        java.util.Objects::nonNull);
    }

    @Test
    void jvppeteerDrivesTheSessionWhileAViewerWatchesAndAPersonStillActs() throws Exception {
        String id = stack.createSession(site.pageUrl());
        stack.awaitStatus(id, "ready", Duration.ofSeconds(30));
        JsonNode version = stack.request("GET", "/api/sessions/" + id + "/cdp/json/version", null).json();
        assertEquals("ws://localhost:" + stack.edge.port() + "/api/sessions/" + id + "/cdp",
                version.get("webSocketDebuggerUrl").asText());

        try (ViewerClient viewer = new ViewerClient(stack.wsUrl(id))) {
            viewer.awaitPixel(1000, 600, ViewerClient::greenish, 15_000);
            Browser browser = connect(cdpUrl(id));
            try {
                Page page = sessionPage(browser, site.pageUrl());
                assertEquals("test page", page.title());
                assertEquals(1, stack.session(id).get("cdpClients").asInt());

                page.click("#b");
                site.awaitReport("click", 10_000);
                viewer.awaitPixel(1000, 600, ViewerClient::reddish, 10_000);

                page.type("#t", "agent");
                page.keyboard().press("Enter");
                site.awaitReport("submit:agent", 10_000);

                // While control is shared, the person's click still lands.
                viewer.send("{\"type\":\"mousedown\",\"x\":100,\"y\":50,\"button\":\"left\"}");
                viewer.send("{\"type\":\"mouseup\",\"x\":100,\"y\":50,\"button\":\"left\"}");
                site.awaitReport("click", 10_000);

                page.goTo(site.url("/noise"));
                TestStack.await("the viewer's status names the agent's page", Duration.ofSeconds(10)).ignoreExceptions()
                        .until(() -> viewer.next("status", 1_000).path("url").asText().endsWith("/noise"));
                // A full-page screenshot larger than gRPC's 4 MiB messages, whole, through a second client.
                try (CdpTestClient second = new CdpTestClient(cdpUrl(id))) {
                    String pageSession = attachToPage(second, site.url("/noise"));
                    byte[] png = noisePageScreenshot(second, pageSession);
                    assertTrue(png.length > 4 * 1024 * 1024, "a full-page screenshot larger than gRPC's 4 MiB: " + png.length);
                    BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
                    assertEquals(2400, image.getHeight());
                }
                // The agent's screenshot took nothing from the viewer: its frames still come.
                viewer.nextFrame(10_000);
            } finally {
                browser.disconnect();
            }
            TestStack.await("the client's disconnection counted", Duration.ofSeconds(10))
                    .until(() -> stack.session(id).get("cdpClients").asInt() == 0);
        }
    }

    /** A PNG of the whole noise page (1280×2400, beyond the viewport), as a full-page screenshot is taken. */
    static byte[] noisePageScreenshot(CdpTestClient client, String pageSession) throws Exception {
        JsonNode shot = client.call("Page.captureScreenshot", CdpTestClient.params().put("format", "png")
                .put("captureBeyondViewport", true).set("clip", CdpTestClient.params().put("x", 0).put("y", 0)
                        .put("width", 1280).put("height", 2400).put("scale", 1)), pageSession);
        return Base64.getDecoder().decode(shot.get("result").get("data").asText());
    }

    /** Attaches a protocol-level client to the session's page (the one showing {@code url}); returns its session id. */
    static String attachToPage(CdpTestClient client, String url) throws Exception {
        for (JsonNode t : client.call("Target.getTargets").get("result").get("targetInfos")) {
            if (t.get("type").asText().equals("page") && t.get("url").asText().startsWith(url)) {
                return client.call("Target.attachToTarget", CdpTestClient.params().put("targetId", t.get("targetId").asText())
                        .put("flatten", true), null).get("result").get("sessionId").asText();
            }
        }
        throw new AssertionError("no page at " + url + " among the session's targets");
    }

    @Test
    void controlIsHandedOverAndBothSidesAreTold() throws Exception {
        String id = stack.createSession(site.pageUrl());
        stack.awaitStatus(id, "ready", Duration.ofSeconds(30));
        try (ViewerClient viewer = new ViewerClient(stack.wsUrl(id)); CdpTestClient agent = new CdpTestClient(cdpUrl(id))) {
            assertEquals("shared", viewer.next("control", 10_000).get("holder").asText());
            viewer.awaitPixel(1000, 600, ViewerClient::greenish, 15_000);
            String page = attachToPage(agent, site.pageUrl());

            // An agent drives: the person's input is refused with a message that says what to do.
            TestStack.Response handed = stack.request("POST", "/api/sessions/" + id + "/control", "{\"holder\":\"agent\"}");
            assertEquals(200, handed.status(), handed.body());
            assertEquals("agent", handed.json().get("controller").asText());
            assertEquals("agent", viewer.next("control", 10_000).get("holder").asText());
            assertEquals("agent", agent.event("Mbi.controlChanged", 10_000).get("params").get("holder").asText());
            viewer.send("{\"type\":\"mousedown\",\"x\":100,\"y\":50,\"button\":\"left\"}");
            assertTrue(viewer.next("error", 10_000).get("error").asText().contains("an agent is driving this session"));
            JsonNode agentClick = agent.call("Input.dispatchMouseEvent", CdpTestClient.params().put("type", "mouseMoved")
                    .put("x", 10).put("y", 10), page);
            assertFalse(agentClick.has("error"), agentClick.toString());

            // A person takes over: the agent's input is refused with a DevTools error naming the rule.
            assertEquals(200, stack.request("POST", "/api/sessions/" + id + "/control", "{\"holder\":\"human\"}").status());
            assertEquals("human", viewer.next("control", 10_000).get("holder").asText());
            assertEquals("human", agent.event("Mbi.controlChanged", 10_000).get("params").get("holder").asText());
            JsonNode refused = agent.call("Input.dispatchMouseEvent", CdpTestClient.params().put("type", "mousePressed")
                    .put("x", 100).put("y", 50).put("button", "left").put("clickCount", 1), page);
            assertTrue(refused.path("error").path("message").asText().contains("control"), refused.toString());
            viewer.send("{\"type\":\"mousedown\",\"x\":100,\"y\":50,\"button\":\"left\"}");
            viewer.send("{\"type\":\"mouseup\",\"x\":100,\"y\":50,\"button\":\"left\"}");
            site.awaitReport("click", 10_000);

            // Bad holders are refused; the session says who drives.
            TestStack.Response bad = stack.request("POST", "/api/sessions/" + id + "/control", "{\"holder\":\"robot\"}");
            assertEquals(400, bad.status());
            assertTrue(bad.json().get("error").asText().contains("holder must be"));
            assertEquals("human", stack.session(id).get("controller").asText());
            assertEquals(401, stack.requestAs(null, "POST", "/api/sessions/" + id + "/control", "{\"holder\":\"agent\"}").status());
        }
    }

    @Test
    void escapingMethodsAreRefusedAThirdClientIsTurnedAwayAndDeletingTheSessionClosesEveryClient() throws Exception {
        String id = stack.createSession(site.pageUrl());
        stack.awaitStatus(id, "ready", Duration.ofSeconds(30));
        try (CdpTestClient first = new CdpTestClient(cdpUrl(id)); CdpTestClient second = new CdpTestClient(cdpUrl(id))) {
            assertTrue(first.call("Browser.getVersion").get("result").get("product").asText().contains("Chrome"));
            JsonNode close = first.call("Browser.close");
            assertTrue(close.path("error").path("message").asText().contains("refused by the session's policy"), close.toString());
            JsonNode proxied = first.call("Target.createBrowserContext", CdpTestClient.params().put("proxyServer", "http://10.0.0.1:3128"), null);
            assertTrue(proxied.path("error").path("message").asText().contains("egress"), proxied.toString());
            JsonNode file = first.call("Target.createTarget", CdpTestClient.params().put("url", "file:///etc/passwd"), null);
            assertTrue(file.path("error").path("message").asText().contains("navigation"), file.toString());
            // Not JSON at all: the client is told, and carries on.
            first.sendText("this is not a DevTools message");
            assertTrue(second.call("Browser.getVersion").has("result"));
            assertTrue(first.call("Browser.getVersion").has("result"), "the client still works after bad input");

            try (CdpTestClient third = new CdpTestClient(cdpUrl(id))) {
                CdpTestClient.Closed turnedAway = third.awaitClosed(10_000);
                assertTrue(turnedAway.reason().contains("CDP_MAX_CLIENTS"), turnedAway.toString());
            }
            assertEquals(2, stack.session(id).get("cdpClients").asInt());

            assertEquals(204, stack.request("DELETE", "/api/sessions/" + id, null).status());
            assertTrue(first.awaitClosed(10_000).reason().contains("ended"), first.closed.join().toString());
            second.awaitClosed(10_000);
        }
    }

    @Test
    void aClientThatSendsFasterThanItsRateIsCutOff() throws Exception {
        String id = stack.createSession(site.pageUrl());
        stack.awaitStatus(id, "ready", Duration.ofSeconds(30));
        try (CdpTestClient flood = new CdpTestClient(cdpUrl(id))) {
            try {
                for (int i = 0; i < 1_000 && !flood.closed.isDone(); i++) {
                    flood.sendText("{\"id\":" + (i + 1) + ",\"method\":\"Browser.getVersion\"}");
                }
            } catch (java.util.concurrent.CompletionException closedWhileSending) {
                // the server closed the socket under the flood: what it said is checked below
            }
            CdpTestClient.Closed closed = flood.awaitClosed(10_000);
            assertEquals(1008, closed.code());
            assertTrue(closed.reason().contains("CDP_MESSAGES_PER_SECOND"), closed.toString());
        }
        // The session goes on, and another client is served.
        try (CdpTestClient next = new CdpTestClient(cdpUrl(id))) {
            assertTrue(next.call("Browser.getVersion").has("result"));
        }
    }

    @Test
    void theEndpointNeedsACredentialForTheSession() throws Exception {
        String id = stack.createSession(site.pageUrl());
        stack.awaitStatus(id, "ready", Duration.ofSeconds(30));
        String endpoint = "/api/sessions/" + id + "/cdp";
        try (RawWebSocket none = RawWebSocket.connect(stack.edge.port(), endpoint, java.util.Map.of(), 0)) {
            assertEquals(401, none.status);
        }
        try (RawWebSocket other = RawWebSocket.connect(stack.edge.port(), endpoint + "?token=" + TestStack.OTHER_USER_TOKEN,
                java.util.Map.of(), 0)) {
            assertEquals(404, other.status);
        }
        assertEquals(401, stack.requestAs(null, "GET", endpoint + "/json/version", null).status());
        assertEquals(400, stack.request("GET", endpoint, null).status());
        stack.request("DELETE", "/api/sessions/" + id, null);
    }

    @Test
    void anAgentsDownloadsLandInTheSessionAndTheDownloadsApiServesThem() throws Exception {
        String id = stack.createSession(site.url("/data"));
        stack.awaitStatus(id, "ready", Duration.ofSeconds(30));
        try (CdpTestClient agent = new CdpTestClient(cdpUrl(id))) {
            // Puppeteer's way: "allow", into a folder of the agent's own machine.
            JsonNode set = agent.call("Browser.setDownloadBehavior", CdpTestClient.params().put("behavior", "allow")
                    .put("downloadPath", "/home/agent/Downloads"), null);
            assertFalse(set.has("error"), set.toString());
            String page = attachToPage(agent, site.url("/data"));
            agent.call("Runtime.evaluate", CdpTestClient.params().put("expression", "document.getElementById('dl').click()"), page);
            JsonNode download = TestStack.await("the agent's download in the session's list", Duration.ofSeconds(20)).until(() -> {
                for (JsonNode d : stack.request("GET", "/api/sessions/" + id + "/downloads", null).json().get("downloads")) {
                    if (d.get("name").asText().equals("file-65536.bin") && d.get("state").asText().equals("completed")) {
                        return d;
                    }
                }
                return null;
            }, java.util.Objects::nonNull);
            java.net.http.HttpResponse<byte[]> bytes = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(stack.base() + "/api/sessions/" + id + "/downloads/"
                            + download.get("id").asText())).header("Authorization", "Bearer " + TestStack.USER_TOKEN).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, bytes.statusCode());
            org.junit.jupiter.api.Assertions.assertArrayEquals(TestSite.fileBytes(0, 65536), bytes.body());
        }
        assertEquals(204, stack.request("DELETE", "/api/sessions/" + id, null).status());
    }
}
