package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * CHROMIUM_PATH=/usr/bin/chromium-headless-shell with real runners: the session's browser is
 * Debian's headless shell (its binary, not the script), and the page is seen and driven as with
 * Chromium itself; a PDF, which the shell cannot show, becomes a download.
 */
@Stack({"CHROMIUM_PATH=/usr/bin/chromium-headless-shell"})
class HeadlessShellTest {
    private static final String SHELL_BINARY = "/usr/lib/chromium/chromium-headless-shell";
    private final TestStack stack;
    private final TestSite site;

    HeadlessShellTest(TestStack stack) {
        this.stack = stack;
        this.site = stack.site;
    }

    @Test
    void aSessionRunsInTheHeadlessShellAndItsPageIsSeenAndDriven() throws Exception {
        String id = stack.createSession(site.pageUrl());
        try (ViewerClient viewer = new ViewerClient(stack.wsUrl(id))) {
            stack.awaitStatus(id, "ready", Duration.ofSeconds(30));
            List<String> chromium = TestStack.liveProcessesOf(id).stream().map(TestStack::commandLine)
                    .filter(c -> c.contains("--user-data-dir=")).toList();
            assertFalse(chromium.isEmpty(), "the session's browser processes are found");
            for (String process : chromium) {
                assertTrue(process.startsWith(SHELL_BINARY + " "), "started as the shell's binary: " + process);
            }

            viewer.awaitPixel(1000, 600, ViewerClient::greenish, 15_000);
            viewer.send("{\"type\":\"mousedown\",\"x\":100,\"y\":50,\"button\":\"left\"}");
            viewer.send("{\"type\":\"mouseup\",\"x\":100,\"y\":50,\"button\":\"left\"}");
            site.awaitReport("click", 10_000);
            viewer.awaitPixel(1000, 600, ViewerClient::reddish, 10_000);

            viewer.send("{\"type\":\"mousedown\",\"x\":200,\"y\":350,\"button\":0}");
            viewer.send("{\"type\":\"mouseup\",\"x\":200,\"y\":350,\"button\":0}");
            viewer.send("{\"type\":\"type\",\"text\":\"from the shell\"}");
            viewer.send("{\"type\":\"keydown\",\"key\":\"Enter\",\"code\":\"Enter\"}");
            viewer.send("{\"type\":\"keyup\",\"key\":\"Enter\",\"code\":\"Enter\"}");
            site.awaitReport("submit:from the shell", 10_000);

            // The shell has no PDF viewer: a PDF opened in the page arrives as a download (the policy allows it here).
            viewer.send("{\"type\":\"navigate\",\"url\":\"" + site.url("/doc.pdf") + "\"}");
            while (true) {
                var download = viewer.next("download", 30_000);
                if (download.get("name").asText().equals("doc.pdf") && download.get("state").asText().equals("completed")) {
                    assertEquals(TestSite.PDF.length(), download.get("size").asInt());
                    break;
                }
            }
        } finally {
            assertEquals(204, stack.request("DELETE", "/api/sessions/" + id, null).status());
            TestStack.await("the shell gone with its session", Duration.ofSeconds(10))
                    .until(() -> TestStack.liveProcessesOf(id).isEmpty());
        }
    }
}
