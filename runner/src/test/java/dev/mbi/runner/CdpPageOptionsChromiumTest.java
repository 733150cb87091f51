package dev.mbi.runner;

import static dev.mbi.runner.CdpTestClient.params;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mbi.contract.RunnerContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The welcome's page options on a real Chromium, and a session for an agent that opens on about:blank. */
class CdpPageOptionsChromiumTest {
    private static final String CHROMIUM = System.getenv().getOrDefault(RunnerContract.CHROMIUM_PATH,
            RunnerContract.Settings.DEFAULT_CHROMIUM_PATH);

    @TempDir
    Path work;

    @Test
    void userAgentLocaleAndTimeZoneShowInThePage() throws Exception {
        assumeTrue(Files.isExecutable(Path.of(CHROMIUM)), "Chromium is not installed at " + CHROMIUM);
        BrowserSession.PageOptions options = new BrowserSession.PageOptions("MbiTest/1.0", "de-DE", "Asia/Tokyo");
        try (RunnerExecutors executors = RunnerExecutors.create();
             BrowserSession browser = new CdpBrowserFactory(CdpClientsChromiumTest.contract(work), executors, List.of(), TopFrameGuard.NONE)
                     .open(new BrowserSession.Spec("data:text/html,<title>options</title>", 800, 600, options),
                             CdpClientsChromiumTest.listener(new AtomicLong()))) {
            CdpTestClient client = CdpTestClient.open("options", browser.devtools().orElseThrow());
            String session = attach(client);
            assertEquals("MbiTest/1.0", evaluate(client, session, "navigator.userAgent"));
            assertEquals("de-DE", evaluate(client, session, "navigator.language"));
            assertEquals("Asia/Tokyo", evaluate(client, session, "Intl.DateTimeFormat().resolvedOptions().timeZone"));
            assertEquals("de-DE", evaluate(client, session, "Intl.NumberFormat().resolvedOptions().locale"));
        }
    }

    @Test
    void aBlankSessionOpensWithoutNavigatingAndStillHasAFirstFrame() throws Exception {
        assumeTrue(Files.isExecutable(Path.of(CHROMIUM)), "Chromium is not installed at " + CHROMIUM);
        AtomicLong frames = new AtomicLong();
        List<String> navigated = new CopyOnWriteArrayList<>();
        BrowserSession.Listener listener = new BrowserSession.Listener() {
            @Override
            public void onFrame(BrowserSession.CapturedFrame frame) {
                frames.incrementAndGet();
            }

            @Override
            public void onNavigated(String url, String title) {
                navigated.add(url);
            }

            @Override
            public void onFailure(String reason) {
            }
        };
        // Only the locale: the browser's own user agent stays, with the locale's language.
        BrowserSession.PageOptions options = new BrowserSession.PageOptions("", "fr-FR", "");
        try (RunnerExecutors executors = RunnerExecutors.create();
             BrowserSession browser = new CdpBrowserFactory(CdpClientsChromiumTest.contract(work), executors, List.of(), TopFrameGuard.NONE)
                     .open(new BrowserSession.Spec("about:blank", 800, 600, options), listener)) {
            Awaitility.await("a first frame").atMost(Duration.ofSeconds(5)).until(() -> frames.get() > 0);
            assertEquals(List.of("about:blank"), navigated);
            CdpTestClient client = CdpTestClient.open("blank", browser.devtools().orElseThrow());
            String session = attach(client);
            assertEquals("about:blank", evaluate(client, session, "location.href"));
            assertEquals("fr-FR", evaluate(client, session, "navigator.language"));
        }
    }

    private static String attach(CdpTestClient client) {
        String pageId = null;
        for (JsonNode t : client.call(1, "Target.getTargets", null).path("result").path("targetInfos")) {
            if ("page".equals(t.path("type").asText())) {
                pageId = t.path("targetId").asText();
            }
        }
        assertNotNull(pageId);
        return client.call(2, "Target.attachToTarget", params().put("targetId", pageId).put("flatten", true))
                .path("result").path("sessionId").asText();
    }

    private static int calls = 10;

    private static String evaluate(CdpTestClient client, String session, String expression) {
        int id = ++calls;
        return client.call(id, "Runtime.evaluate", params().put("expression", expression).put("returnByValue", true), session)
                .path("result").path("result").path("value").asText();
    }
}
