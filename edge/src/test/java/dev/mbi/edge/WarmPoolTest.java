package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.controlplane.core.SessionRegistry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * WARM_POOL_SIZE=1 with real runners and Chromium: a runner waits, started, for the next session;
 * a session takes it (with its id and join token), its page opens in a browser whose profile
 * nobody used before, and the pool is refilled with another runner.
 */
@Stack({"WARM_POOL_SIZE=1", "MAX_SESSIONS=2"})
class WarmPoolTest {
    private final TestStack stack;
    private final TestSite site;

    WarmPoolTest(TestStack stack) {
        this.stack = stack;
        this.site = stack.site;
    }

    private SessionRegistry.WarmPoolFigures pool() {
        return stack.controlPlane.registry().warmPool();
    }

    private void awaitWaitingRunner() {
        TestStack.await("a runner waiting in the warm pool", Duration.ofSeconds(60)).until(() -> pool().ready() == 1);
    }

    @Test
    void sessionsTakeWaitingRunnersWithFreshProfilesAndThePoolRefills() throws Exception {
        awaitWaitingRunner();
        long claimsBefore = pool().claims();

        String first = stack.createSession(site.url("/profile"));
        try (ViewerClient viewer = new ViewerClient(stack.wsUrl(first))) {
            stack.awaitStatus(first, "ready", Duration.ofSeconds(30));
            assertEquals(claimsBefore + 1, pool().claims(), "the session took the waiting runner");
            site.awaitReport("profile history=1 cookies=", 15_000);
            viewer.awaitPixel(1000, 600, ViewerClient::greenish, 15_000);
            long firstRunner = TestStack.runnerPid(first);

            // The same browser, loading the page again, has history and the cookie the page left:
            // what the next check must not find in another session's browser.
            viewer.send("{\"type\":\"navigate\",\"url\":\"" + site.url("/profile?again") + "\"}");
            site.awaitReport("profile history=2 cookies=visited=yes", 15_000);

            awaitWaitingRunner(); // refilled in the background
            stack.request("DELETE", "/api/sessions/" + first, null);
            TestStack.await("the first session's runner gone", Duration.ofSeconds(10))
                    .until(() -> TestStack.liveProcessesOf(first).isEmpty());

            String second = stack.createSession(site.url("/profile"));
            stack.awaitStatus(second, "ready", Duration.ofSeconds(30));
            assertEquals(claimsBefore + 2, pool().claims(), "the second session took the refilled runner");
            site.awaitReport("profile history=1 cookies=", 15_000);
            assertNotEquals(firstRunner, TestStack.runnerPid(second), "a pooled runner serves one session only");
            stack.request("DELETE", "/api/sessions/" + second, null);
        }
    }

    @Test
    void aWaitingRunnerIsNotASessionAndCountsAgainstNoLimit() throws Exception {
        awaitWaitingRunner();
        TestStack.Response list = stack.request("GET", "/api/sessions", null);
        for (var s : list.json().get("sessions")) {
            assertFalse(List.of("pending", "ready").contains(s.get("status").asText()), "no live session is listed: " + s);
        }
        // MAX_SESSIONS=2 sessions can still be created with a runner waiting.
        String a = stack.createSession(site.pageUrl());
        String b = stack.createSession(site.pageUrl());
        try {
            stack.awaitStatus(a, "ready", Duration.ofSeconds(30));
            stack.awaitStatus(b, "ready", Duration.ofSeconds(30));
            TestStack.Response third = stack.request("POST", "/api/sessions", "{\"url\":\"" + site.pageUrl() + "\"}");
            assertEquals(503, third.status(), third.body());
            assertTrue(pool().ready() + pool().starting() <= 1, "the pool holds at most WARM_POOL_SIZE runners");
        } finally {
            stack.request("DELETE", "/api/sessions/" + a, null);
            stack.request("DELETE", "/api/sessions/" + b, null);
        }
    }

    /** This stack's runner processes whose SESSION_ID names no session (waiting in its pool), by that id. */
    private java.util.Map<String, Long> waitingRunners() throws Exception {
        String ours = "CONTROL_PLANE_ADDR=localhost:" + stack.controlPlane.grpcPort();
        java.util.Map<String, Long> waiting = new java.util.HashMap<>();
        try (var procs = java.nio.file.Files.list(java.nio.file.Path.of("/proc"))) {
            for (var proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                String cmdline = TestStack.commandLine(Long.parseLong(proc.getFileName().toString()));
                List<String> environment = List.of(read(proc.resolve("environ")).split("\0"));
                if (!cmdline.contains("runner.jar") || !environment.contains(ours)) {
                    continue;
                }
                for (String var : environment) {
                    if (var.startsWith("SESSION_ID=")) {
                        String id = var.substring("SESSION_ID=".length());
                        if (stack.request("GET", "/api/sessions/" + id, null).status() == 404) {
                            waiting.put(id, Long.parseLong(proc.getFileName().toString()));
                        }
                    }
                }
            }
        }
        return waiting;
    }

    private static String read(java.nio.file.Path file) {
        try {
            return new String(java.nio.file.Files.readAllBytes(file));
        } catch (java.io.IOException gone) {
            return "";
        }
    }

    @Test
    void aWaitingRunnerWhoseChromiumDiesLeavesThePoolAndIsReplacedBeforeASessionTakesIt() throws Exception {
        awaitWaitingRunner();
        var waiting = waitingRunners();
        assertEquals(1, waiting.size(), "one runner waits: " + waiting);
        String pooledId = waiting.keySet().iterator().next();
        long runner = waiting.get(pooledId);
        long browser = TestStack.browsersOf(pooledId).stream().findFirst()
                .orElseThrow(() -> new AssertionError("no browser process under the waiting runner " + pooledId));
        ProcessHandle.of(browser).ifPresent(ProcessHandle::destroyForcibly);

        // (Chromium may still be starting when it is killed: its start then fails, and the runner leaves as well.)
        TestStack.await("the runner with no browser leaves the pool", Duration.ofSeconds(40))
                .until(() -> ProcessHandle.of(runner).map(p -> !p.isAlive()).orElse(true));
        TestStack.await("another runner waits in its place", Duration.ofSeconds(60))
                .until(() -> pool().ready() == 1 && !waitingRunners().containsKey(pooledId));

        String id = stack.createSession(site.pageUrl());
        try (ViewerClient viewer = new ViewerClient(stack.wsUrl(id))) {
            stack.awaitStatus(id, "ready", Duration.ofSeconds(30));
            viewer.awaitPixel(1000, 600, ViewerClient::greenish, 15_000);
        } finally {
            stack.request("DELETE", "/api/sessions/" + id, null);
        }
    }
}
