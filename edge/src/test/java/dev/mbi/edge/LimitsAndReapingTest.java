package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** MAX_SESSIONS under a concurrent burst, and the idle reaper, against the real stack. */
@Stack({"MAX_SESSIONS=2", "SESSION_TIMEOUT=4s"})
class LimitsAndReapingTest {
    private final TestStack stack;
    private final TestSite site;

    LimitsAndReapingTest(TestStack stack) {
        this.stack = stack;
        this.site = stack.site;
    }

    @Test
    void aConcurrentBurstNeverExceedsMaxSessionsAndDeleteFreesASlot() throws Exception {
        int burst = 12;
        ExecutorService pool = Executors.newFixedThreadPool(burst);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<TestStack.Response>> answers = new ArrayList<>();
        for (int i = 0; i < burst; i++) {
            answers.add(pool.submit(() -> {
                go.await();
                return stack.request("POST", "/api/sessions", "{\"url\":\"" + site.pageUrl() + "\"}");
            }));
        }
        go.countDown();
        List<String> created = new ArrayList<>();
        int rejected = 0;
        for (Future<TestStack.Response> f : answers) {
            TestStack.Response r = f.get();
            if (r.status() == 201) {
                created.add(r.json().get("sessionId").asText());
            } else {
                assertEquals(503, r.status(), r.body());
                assertEquals("max concurrent sessions reached", r.json().get("error").asText());
                rejected++;
            }
        }
        pool.shutdown();
        assertEquals(2, created.size());
        assertEquals(burst - 2, rejected);
        String metrics = stack.request("GET", "/metrics", null).body();
        assertTrue(metrics.contains("browser_sessions_total{result=\"rejected\""), metrics);

        // Watched, the two sessions outlive the idle timeout while the rest of the test runs.
        List<ViewerClient> viewers = new ArrayList<>();
        for (String id : created) {
            viewers.add(new ViewerClient(stack.wsUrl(id)));
        }
        try {
            for (String id : created) {
                stack.awaitStatus(id, "ready", Duration.ofSeconds(30));
            }
            assertEquals(503, stack.request("POST", "/api/sessions", "{\"url\":\"" + site.pageUrl() + "\"}").status());
            assertEquals(204, stack.request("DELETE", "/api/sessions/" + created.get(0), null).status());
            String replacement = stack.createSession(site.pageUrl());
            for (String id : List.of(created.get(1), replacement)) {
                assertEquals(204, stack.request("DELETE", "/api/sessions/" + id, null).status());
            }
        } finally {
            viewers.forEach(ViewerClient::close);
        }
    }

    @Test
    void anUnwatchedSessionIsReapedAfterTheIdleTimeoutButAWatchedOneIsNot() throws Exception {
        String idle = stack.createSession(site.pageUrl());
        String watched = stack.createSession(site.pageUrl());
        try (ViewerClient viewer = new ViewerClient(stack.wsUrl(watched))) {
            stack.awaitStatus(idle, "ready", Duration.ofSeconds(30));
            stack.awaitStatus(watched, "ready", Duration.ofSeconds(30));
            JsonNode reaped = stack.awaitStatus(idle, "terminated", Duration.ofSeconds(10));
            assertEquals("", reaped.get("error").asText());
            TestStack.await("reaped session's processes gone", Duration.ofSeconds(3))
                    .until(() -> TestStack.liveProcessesOf(idle).isEmpty());
            // Watched past the timeout, the other session lives on.
            Thread.sleep(4_000);
            assertEquals("ready", stack.session(watched).get("status").asText());
            viewer.nextFrame(5_000);
        } finally {
            stack.request("DELETE", "/api/sessions/" + watched, null);
        }
    }
}
