package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * /metrics in Prometheus text, with the product's names, each moving when its event happens. The
 * runner jar is deliberately not a jar here: every runner dies before it registers, which is a
 * spawn error.
 */
@Stack("RUNNER_JAR=pom.xml")
class MetricsTest {
    private final TestStack stack;

    MetricsTest(TestStack stack) {
        this.stack = stack;
    }

    private static double value(String metrics, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + "(?:\\{[^}]*\\})? ([0-9.eE+-]+)$").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    private static double labelled(String metrics, String name, String label) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{[^}]*" + Pattern.quote(label) + "[^}]*\\} ([0-9.eE+-]+)$")
                .matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    private String scrape() throws Exception {
        TestStack.Response r = stack.request("GET", "/metrics", null);
        assertEquals(200, r.status());
        return r.body();
    }

    @Test
    void theProductsMetricsExistAndMove() throws Exception {
        stack.request("GET", "/healthz", null);
        String before = scrape();
        for (String name : new String[] {"browser_sessions_total", "browser_sessions_active", "browser_session_duration_seconds",
                "browser_container_spawn_errors_total", "browser_webrtc_fallbacks_total", "browser_http_request_duration_seconds",
                "browser_auth_failures_total", "browser_rate_limited_total", "jvm_memory_used_bytes", "process_cpu_usage"}) {
            assertTrue(before.contains(name), name + " missing from /metrics");
        }
        double created = labelled(before, "browser_sessions_total", "result=\"created\"");
        double spawnErrors = value(before, "browser_container_spawn_errors_total");

        String id = stack.createSession("http://127.0.0.1:9/");
        JsonNodeAssert.contains(stack.awaitStatus(id, "error", Duration.ofSeconds(20)).get("error").asText(),
                "runner exited before registering");
        stack.request("GET", "/api/sessions/" + id, null);

        TestStack.await("spawn error counted", Duration.ofSeconds(5)).ignoreExceptions()
                .until(() -> value(scrape(), "browser_container_spawn_errors_total") == spawnErrors + 1);
        String after = scrape();
        assertEquals(created + 1, labelled(after, "browser_sessions_total", "result=\"created\""));
        assertEquals(0, value(after, "browser_sessions_active"));
        assertTrue(value(after, "browser_session_duration_seconds_count") >= 1, after);
        assertTrue(labelled(after, "browser_http_request_duration_seconds_count", "path=\"/api/sessions/{id}\"") >= 1, after);
        assertFalse(after.contains(id), "a session id leaked into a metric label");
    }

    /** Edges in one JVM keep separate books: each counts the live sessions of its own control plane. */
    @Test
    void eachEdgeReportsItsOwnLiveSessions(@Stack("MAX_SESSIONS=3") TestStack one, @Stack TestStack other) throws Exception {
        assertNotSame(one.edge, other.edge);
        String first = one.createSession(one.site.pageUrl());
        one.awaitStatus(first, "ready", Duration.ofSeconds(30));
        TestStack.await("the first edge counts its session", Duration.ofSeconds(5)).until(() -> one.activeSessions() == 1);
        assertEquals(0, other.activeSessions());
        assertEquals(0, stack.activeSessions());

        String second = other.createSession(other.site.pageUrl());
        other.awaitStatus(second, "ready", Duration.ofSeconds(30));
        assertEquals(204, one.request("DELETE", "/api/sessions/" + first, null).status());
        TestStack.await("each edge counts only its own session", Duration.ofSeconds(5))
                .until(() -> one.activeSessions() == 0 && other.activeSessions() == 1);
        assertEquals(0, stack.activeSessions());
        assertEquals(204, other.request("DELETE", "/api/sessions/" + second, null).status());
        TestStack.await("the second edge's session ended", Duration.ofSeconds(5)).until(() -> other.activeSessions() == 0);
    }

    /** Small message helper so a failed contains shows both strings. */
    static final class JsonNodeAssert {
        static void contains(String actual, String expected) {
            assertTrue(actual.contains(expected), "'" + actual + "' does not contain '" + expected + "'");
        }
    }
}
