package dev.mbi.edge;

import static dev.mbi.edge.TestStack.ADMIN_TOKEN;
import static dev.mbi.edge.TestStack.OTHER_USER_TOKEN;
import static dev.mbi.edge.TestStack.USER_TOKEN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Per-caller limits on session creates and WebRTC offers: 429 with Retry-After, counted. */
@Stack(value = "RUNNER_JAR=pom.xml", edge = {"CREATE_RATE_PER_MINUTE=2", "OFFER_RATE_PER_MINUTE=3"})
class RateLimitTest {
    private static final String URL_BODY = "{\"url\":\"http://127.0.0.1:9/\"}";
    private static final String OFFER = "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"}";

    private final TestStack stack;

    RateLimitTest(TestStack stack) {
        this.stack = stack;
    }

    private double limited(String route) throws Exception {
        String metrics = stack.requestAs(ADMIN_TOKEN, "GET", "/metrics", null).body();
        Matcher m = Pattern.compile("(?m)^browser_rate_limited_total\\{[^}]*what=\"" + route + "\"[^}]*\\} ([0-9.eE+-]+)$").matcher(metrics);
        assertTrue(m.find(), "browser_rate_limited_total{what=" + route + "} missing: " + metrics);
        return Double.parseDouble(m.group(1));
    }

    private static void assertLimited(TestStack.Response r) {
        assertEquals(429, r.status(), r.body());
        assertTrue(r.json().get("error").asText().startsWith("too many requests"), r.body());
        int retryAfter = Integer.parseInt(r.header("Retry-After"));
        assertTrue(retryAfter >= 1 && retryAfter <= 60, "Retry-After " + retryAfter);
    }

    @Test
    void eachCallerMayCreateSoManySessionsAMinute() throws Exception {
        double before = limited("create");
        for (int i = 0; i < 2; i++) {
            assertEquals(201, stack.request("POST", "/api/sessions", URL_BODY).status());
        }
        assertLimited(stack.request("POST", "/api/sessions", URL_BODY));
        assertEquals(before + 1, limited("create"));
        // Another caller has a bucket of their own.
        assertEquals(201, stack.requestAs(OTHER_USER_TOKEN, "POST", "/api/sessions", URL_BODY).status());
    }

    @Test
    void eachCallerMaySendSoManyOffersAMinute() throws Exception {
        TestStack.Response created = stack.requestAs(ADMIN_TOKEN, "POST", "/api/sessions", URL_BODY);
        assertEquals(201, created.status(), created.body());
        String id = created.json().get("sessionId").asText();
        String sessionToken = created.json().get("sessionToken").asText();
        double before = limited("offer");
        for (int i = 0; i < 3; i++) {
            TestStack.Response r = stack.requestAs(ADMIN_TOKEN, "POST", "/api/sessions/" + id + "/offer", OFFER);
            assertNotEquals(429, r.status(), r.body()); // the session is not ready: 409
        }
        assertLimited(stack.requestAs(ADMIN_TOKEN, "POST", "/api/sessions/" + id + "/offer", OFFER));
        assertEquals(before + 1, limited("offer"));
        // The holder of the session's token is another caller.
        assertNotEquals(429, stack.requestAs(sessionToken, "POST", "/api/sessions/" + id + "/offer", OFFER).status());
    }
}
