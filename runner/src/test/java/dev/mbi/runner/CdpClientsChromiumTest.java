package dev.mbi.runner;

import static dev.mbi.runner.CdpTestClient.params;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mbi.contract.RunnerContract;
import dev.mbi.proto.v1.ControlHolder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Automation clients sharing the runner's real Chromium with the runner itself, through
 * {@link CdpClients}: each has its own browser session, its own ids and sessions, what it may ask
 * is judged by the session's policy, and the runner's frames keep coming meanwhile.
 */
class CdpClientsChromiumTest {
    private static final String CHROMIUM = System.getenv().getOrDefault(RunnerContract.CHROMIUM_PATH,
            RunnerContract.Settings.DEFAULT_CHROMIUM_PATH);
    /** A page that paints ten times a second, so the screencast never pauses. */
    private static final String PAGE = "data:text/html,<title>cdp test page</title><body><h1 id=n>0</h1>"
            + "<script>let n=0;setInterval(()=>document.getElementById('n').textContent=++n,100)</script></body>";
    private static final AtomicInteger CLIENTS = new AtomicInteger();

    @TempDir
    static Path work;
    private static RunnerExecutors executors;
    private static BrowserSession browser;
    private static CdpClients devtools;
    private static final AtomicLong frames = new AtomicLong();

    @BeforeAll
    static void startChromium() throws Exception {
        assumeTrue(Files.isExecutable(Path.of(CHROMIUM)), "Chromium is not installed at " + CHROMIUM);
        executors = RunnerExecutors.create();
        BrowserSession.Started started = new CdpBrowserFactory(contract(work), executors, List.of(), TopFrameGuard.NONE)
                .start(800, 600);
        // A session whose policy allows downloads (an agent may then turn them on, into the session's folder).
        started.dataPaths().orElseThrow().start(DataPolicy.OPEN, message -> { });
        browser = started.open(PAGE, BrowserSession.PageOptions.NONE, listener(frames));
        devtools = browser.devtools().orElseThrow();
    }

    @AfterAll
    static void stopChromium() {
        if (browser != null) {
            browser.close();
        }
        if (executors != null) {
            executors.close();
        }
    }

    static RunnerContract contract(Path work) {
        RunnerContract.Settings d = RunnerContract.Settings.defaults();
        RunnerContract.Settings settings = new RunnerContract.Settings(CHROMIUM, d.chromeFlags(), d.capture(), d.viewport(),
                d.jpegQuality(), d.logLevel(), d.maxPeersPerSession(), Optional.of(work), Optional.empty(), Optional.empty(),
                d.egress());
        return new RunnerContract("cdp-test", "token", "localhost:1", settings);
    }

    static BrowserSession.Listener listener(AtomicLong frames) {
        return new BrowserSession.Listener() {
            @Override
            public void onFrame(BrowserSession.CapturedFrame frame) {
                frames.incrementAndGet();
            }

            @Override
            public void onNavigated(String url, String title) {
            }

            @Override
            public void onFailure(String reason) {
            }
        };
    }

    private static CdpTestClient client() {
        return CdpTestClient.open("client-" + CLIENTS.incrementAndGet(), devtools);
    }

    /** Attaches the client to the session's page (flat); returns the page's session id. */
    private static String attachToPage(CdpTestClient client, long callId) {
        return client.attachToPage(callId, "cdp test page"::equals);
    }

    private static String evaluate(CdpTestClient client, long callId, String session, String expression) {
        JsonNode answer = client.call(callId, "Runtime.evaluate",
                params().put("expression", expression).put("returnByValue", true), session);
        assertFalse(answer.has("error"), answer.toString());
        return answer.path("result").path("result").path("value").asText();
    }

    @Test
    void browserVersionAnswersUnderTheClientsOwnIdsEvenWhereTheyCollideWithTheRunners() {
        CdpTestClient client = client();
        try {
            // jvppeteer counts its ids from 1 too: the answers must still be the client's.
            client.sendRaw("{\"id\":1,\"method\":\"Browser.getVersion\"}");
            client.sendRaw("{\"id\":2,\"method\":\"Target.getTargets\"}");
            client.sendRaw("{\"id\":3,\"method\":\"Browser.getVersion\",\"params\":{}}");
            JsonNode one = client.answer(1);
            assertTrue(one.path("result").path("product").asText().contains("Chrome"), one.toString());
            assertFalse(one.has("sessionId"), "the client's browser session is its root: " + one);
            assertTrue(client.answer(2).path("result").path("targetInfos").isArray(), client.answer(2).toString());
            assertEquals(one.path("result"), client.answer(3).path("result"));
            assertEquals(3, client.received.stream().filter(m -> m.has("id")).count(), "one answer per call: " + client.received);
        } finally {
            devtools.close(client.id);
        }
    }

    @Test
    void aClientAttachesToTheSessionsPageAndItsEventsReachItAlone() {
        CdpTestClient client = client();
        CdpTestClient other = client();
        try {
            client.call(10, "Target.setDiscoverTargets", params().put("discover", true));
            Awaitility.await("the page is discovered").atMost(Duration.ofSeconds(10)).until(() ->
                    client.events("Target.targetCreated").stream().anyMatch(e ->
                            "page".equals(e.path("params").path("targetInfo").path("type").asText())));
            String session = attachToPage(client, 11);
            assertEquals("cdp test page", evaluate(client, 13, session, "document.title"));

            client.call(14, "Runtime.enable", null, session);
            other.call(14, "Runtime.enable", null, null); // the other client's browser session: no page there
            evaluate(client, 15, session, "console.log('hello from the page'), 'logged'");
            JsonNode logged = Awaitility.await("the console event").atMost(Duration.ofSeconds(10)).until(() ->
                    client.events("Runtime.consoleAPICalled").stream().filter(e -> e.toString().contains("hello from the page"))
                            .findFirst(), Optional::isPresent).get();
            assertEquals(session, logged.path("sessionId").asText());
            assertTrue(other.received.stream().noneMatch(m -> m.toString().contains("hello from the page")),
                    "the other client hears nothing of a session not its own");

            // Nor may it use that session.
            JsonNode refused = other.call(16, "Runtime.evaluate", params().put("expression", "1"), session);
            assertEquals("Session with given id not found.", refused.path("error").path("message").asText(), refused.toString());
            assertEquals(session, refused.path("sessionId").asText());
        } finally {
            devtools.close(client.id);
            devtools.close(other.id);
        }
    }

    @Test
    void theRunnersFramesKeepComingWhileAClientIsAttachedAndAfterItLeaves() {
        Awaitility.await("frames before").atMost(Duration.ofSeconds(10)).until(() -> frames.get() > 0);
        CdpTestClient client = client();
        String session = attachToPage(client, 1);
        client.call(3, "Runtime.enable", null, session);
        client.call(4, "Page.enable", null, session);
        long before = frames.get();
        Awaitility.await("frames while attached").atMost(Duration.ofSeconds(10)).until(() -> frames.get() >= before + 5);
        devtools.close(client.id);
        long after = frames.get();
        Awaitility.await("frames after it left").atMost(Duration.ofSeconds(10)).until(() -> frames.get() >= after + 5);
    }

    @Test
    void messagesLargerThanFourMebibytesArriveWholeBothWays() {
        CdpTestClient client = client();
        try {
            String session = attachToPage(client, 1);
            int size = 5 * 1024 * 1024;
            assertEquals(size, evaluate(client, 3, session, "'x'.repeat(" + size + ")").length());
            // And a call that large: a 5 MiB literal (with characters of two and three bytes across the piece borders).
            String literal = "é€".repeat(size / 5) + "a".repeat(size - 2 * (size / 5));
            assertEquals(String.valueOf(literal.length()), evaluate(client, 4, session, CdpTestClient.json(literal) + ".length"));
            assertEquals(literal.substring(0, 10), evaluate(client, 5, session, CdpTestClient.json(literal) + ".slice(0, 10)"));
        } finally {
            devtools.close(client.id);
        }
    }

    @Test
    void callsThatWouldTakeTheSessionsBrowserAwayAreRefusedNamingTheRule() throws Exception {
        CdpTestClient client = client();
        try {
            String session = attachToPage(client, 1);
            assertRefused(client.call(10, "Browser.close", null), "browser lifetime");
            assertRefused(client.call(11, "Browser.crash", null), "browser lifetime");
            assertRefused(client.call(12, "Browser.crashGpuProcess", null), "browser lifetime");
            assertRefused(client.call(13, "Target.createBrowserContext", params().put("proxyServer", "http://10.0.0.1:3128")), "egress");
            assertRefused(client.call(14, "Target.createBrowserContext", params().put("proxyBypassList", "*")), "egress");
            assertRefused(client.call(15, "Tethering.bind", params().put("port", 9222)), "no listening ports");
            assertRefused(client.call(16, "Target.exposeDevToolsProtocol", params().put("targetId", "x")), "devtools exposure");
            assertRefused(client.call(17, "Target.setRemoteLocations", params().set("locations", CdpTestClient.JSON.createArrayNode())),
                    "no listening ports");
            JsonNode file = client.call(18, "Page.navigate", params().put("url", "file:///etc/passwd"), session);
            assertRefused(file, "navigation");
            assertEquals(session, file.path("sessionId").asText(), "a refusal on a session says which");
            assertRefused(client.call(19, "Target.createTarget", params().put("url", "chrome://version")), "navigation");
            assertRefused(client.call(20, "Page.navigate", params().put("url", "javascript:alert(1)"), session), "navigation");

            // What passes: a context without a proxy of its own, a blank target, downloads (into the session's folder).
            JsonNode context = client.call(21, "Target.createBrowserContext", params());
            assertTrue(context.path("result").has("browserContextId"), context.toString());
            JsonNode blank = client.call(22, "Target.createTarget", params().put("url", "about:blank")
                    .put("browserContextId", context.path("result").path("browserContextId").asText()));
            assertTrue(blank.path("result").has("targetId"), blank.toString());
            JsonNode downloads = client.call(23, "Browser.setDownloadBehavior", params().put("behavior", "allow")
                    .put("downloadPath", "/home/someone/Downloads"));
            assertFalse(downloads.has("error"), downloads.toString());
            try (Stream<Path> folders = Files.find(work, 2, (p, a) -> p.endsWith(CdpBrowserFactory.DOWNLOADS))) {
                assertEquals(1, folders.count(), "the session's downloads folder, in its work folder");
            }
        } finally {
            devtools.close(client.id);
        }
    }

    @Test
    void inputIsRefusedWhileAPersonHoldsControlAndEveryClientHearsOfChanges() {
        CdpTestClient client = client();
        try {
            String session = attachToPage(client, 1);
            String move = "Input.dispatchMouseEvent";
            assertFalse(client.call(3, move, params().put("type", "mouseMoved").put("x", 5).put("y", 5), session).has("error"));

            devtools.controlChanged(ControlHolder.CONTROL_HOLDER_HUMAN);
            Awaitility.await("told of the change").atMost(Duration.ofSeconds(5)).until(() ->
                    client.events("Mbi.controlChanged").stream().anyMatch(e -> "human".equals(e.path("params").path("holder").asText())));
            assertFalse(client.events("Mbi.controlChanged").get(0).has("sessionId"));
            assertRefused(client.call(4, move, params().put("type", "mouseMoved").put("x", 6).put("y", 6), session), "control");

            devtools.controlChanged(ControlHolder.CONTROL_HOLDER_AGENT);
            assertFalse(client.call(5, move, params().put("type", "mouseMoved").put("x", 7).put("y", 7), session).has("error"));
            devtools.controlChanged(ControlHolder.CONTROL_HOLDER_SHARED);
            assertFalse(client.call(6, move, params().put("type", "mouseMoved").put("x", 8).put("y", 8), session).has("error"));
            // Each change on the root connection and on the session the client attached, in order.
            assertEquals(List.of("human", "agent", "shared"), client.events("Mbi.controlChanged").stream()
                    .filter(e -> !e.has("sessionId")).map(e -> e.path("params").path("holder").asText()).toList());
            assertEquals(List.of("human", "agent", "shared"), client.events("Mbi.controlChanged").stream()
                    .filter(e -> session.equals(e.path("sessionId").asText()))
                    .map(e -> e.path("params").path("holder").asText()).toList());
        } finally {
            devtools.controlChanged(ControlHolder.CONTROL_HOLDER_SHARED);
            devtools.close(client.id);
        }
    }

    @Test
    void aClientThatLeavesHasItsSessionsDetached() {
        CdpTestClient client = client();
        // A context that goes with the browser session that made it: gone once that session is detached.
        JsonNode context = client.call(1, "Target.createBrowserContext", params().put("disposeOnDetach", true));
        String contextId = context.path("result").path("browserContextId").asText();
        assertFalse(contextId.isEmpty(), context.toString());
        String session = attachToPage(client, 2);
        devtools.close(client.id);

        CdpTestClient next = client();
        try {
            Awaitility.await("the context is gone with its session").atMost(Duration.ofSeconds(10)).until(() ->
                    !next.call(CLIENTS.incrementAndGet() * 100L, "Target.getBrowserContexts", null).toString().contains(contextId));
            // The old session is no one's now.
            JsonNode refused = next.call(7, "Runtime.evaluate", params().put("expression", "1"), session);
            assertEquals("Session with given id not found.", refused.path("error").path("message").asText());
            assertEquals(1, devtools.connected());
        } finally {
            devtools.close(next.id);
        }
        // Once Chromium has answered for every session detached, the runner's messages pass unread again.
        Awaitility.await("nothing left of the clients").atMost(Duration.ofSeconds(10)).until(devtools::idle);
    }

    private static void assertRefused(JsonNode answer, String rule) {
        assertEquals(-32000, answer.path("error").path("code").asInt(), answer.toString());
        String message = answer.path("error").path("message").asText();
        assertTrue(message.startsWith("refused by the session's policy (" + rule + "): "), message);
    }
}
