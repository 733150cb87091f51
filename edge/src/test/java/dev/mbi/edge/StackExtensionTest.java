package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** The test harness itself: one stack per configuration, a clean stack for every test, waits that fail early. */
@Stack("MAX_SESSIONS=3")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StackExtensionTest {
    private static String leftBehind;

    @Test
    @Order(1)
    void equalConfigurationsShareOneStack(TestStack stack, @Stack("MAX_SESSIONS=3") TestStack same, Stacks stacks,
            @Stack("RUNNER_JAR=pom.xml") TestStack other) {
        assertSame(stack, same);
        assertSame(stack, stacks.get(StackConfig.of(Map.of("MAX_SESSIONS", "3"))));
        assertNotSame(stack, other);
        assertNotSame(stack.site, other.site);
    }

    @Test
    @Order(2)
    void aTestMayLeaveSessionsAndReportsBehind(TestStack stack) throws Exception {
        leftBehind = stack.createSession(stack.site.pageUrl());
        stack.awaitStatus(leftBehind, "ready", Duration.ofSeconds(30));
        HttpResponse<String> reported = stack.http.send(HttpRequest.newBuilder(URI.create(stack.site.url("/report?event=stale")))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, reported.statusCode());
    }

    @Test
    @Order(3)
    void theNextTestFindsThemGone(TestStack stack) throws Exception {
        JsonNode ended = stack.session(leftBehind);
        assertEquals("terminated", ended.get("status").asText(), ended.toString());
        assertEquals(0, stack.activeSessions());
        AssertionError noReport = assertThrows(AssertionError.class, () -> stack.site.awaitReport("stale", 300));
        assertTrue(noReport.getMessage().contains("did not report 'stale'"), noReport.getMessage());
    }

    @Test
    @Order(4)
    void awaitStatusFailsAtOnceWhenTheSessionEndedOtherwise(@Stack("RUNNER_JAR=pom.xml") TestStack broken) throws Exception {
        String id = broken.createSession(broken.site.pageUrl());
        long start = System.nanoTime();
        AssertionError failed = assertThrows(AssertionError.class, () -> broken.awaitStatus(id, "ready", Duration.ofSeconds(60)));
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ms < 20_000, "awaitStatus gave up after " + ms + " ms, not as soon as the session ended");
        assertTrue(failed.getMessage().contains("ended error, not ready: runner exited before registering"), failed.getMessage());
    }
}
