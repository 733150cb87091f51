package dev.mbi.edge;

import static dev.mbi.edge.TestStack.ADMIN_TOKEN;
import static dev.mbi.edge.TestStack.OTHER_USER_TOKEN;
import static dev.mbi.edge.TestStack.USER_TOKEN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Who may do what, with which credential, on the real edge and control plane (token auth on, as
 * in every stack): users (tester, other) and an admin (operator) by API token, and sessions'
 * own tokens. Runners fail at once here (no Chromium is needed to check access).
 */
@Stack("RUNNER_JAR=pom.xml")
class AccessControlTest {
    private static final String URL_BODY = "{\"url\":\"http://127.0.0.1:9/\"}";
    private static final String OFFER = "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"}";
    /** Every per-session route: method, path (%s is the id), body. */
    private static final String[][] SESSION_ROUTES = {
        {"GET", "/api/sessions/%s", null},
        {"GET", "/api/sessions/%s/ice", null},
        {"POST", "/api/sessions/%s/offer", OFFER},
        {"POST", "/api/sessions/%s/fallback", "{\"reason\":\"timeout\"}"},
        {"DELETE", "/api/sessions/%s", null},
        {"GET", "/ws/sessions/%s", null},
    };

    private final TestStack stack;

    AccessControlTest(TestStack stack) {
        this.stack = stack;
    }

    record Created(String id, String token) {
    }

    private Created create(String userToken) throws Exception {
        TestStack.Response r = stack.requestAs(userToken, "POST", "/api/sessions", URL_BODY);
        assertEquals(201, r.status(), r.body());
        String token = r.json().path("sessionToken").asText();
        assertTrue(token.length() >= 32, "the create answer carries the session's own token: " + r.body());
        return new Created(r.json().get("sessionId").asText(), token);
    }

    private static void assertError(int status, TestStack.Response r, String what) {
        assertEquals(status, r.status(), what + " -> " + r.body());
        assertTrue(r.json() != null && r.json().path("error").isTextual(), what + " answers the JSON error: " + r.body());
    }

    private List<String> listed(String token) throws Exception {
        TestStack.Response r = stack.requestAs(token, "GET", "/api/sessions", null);
        assertEquals(200, r.status(), r.body());
        List<String> ids = new ArrayList<>();
        r.json().get("sessions").forEach(s -> ids.add(s.get("sessionId").asText()));
        return ids;
    }

    private int handshake(String id, String token) throws Exception {
        try (RawWebSocket ws = RawWebSocket.connect(stack.edge.port(), "/ws/sessions/" + id + (token == null ? "" : "?token=" + token),
                Map.of(), 0)) {
            return ws.status;
        }
    }

    @Test
    void creatingAndListingTakeAUserTokenAndNothingElse() throws Exception {
        Created session = create(USER_TOKEN);
        int before = listed(ADMIN_TOKEN).size();
        double failuresBefore = authFailures();
        for (String token : new String[] {null, "wrong-token", session.token(), USER_TOKEN + "x", USER_TOKEN.substring(1)}) {
            TestStack.Response created = stack.requestAs(token, "POST", "/api/sessions", URL_BODY);
            assertError(401, created, "create with " + token);
            assertEquals("Bearer", created.header("WWW-Authenticate"));
            assertError(401, stack.requestAs(token, "GET", "/api/sessions", null), "list with " + token);
        }
        assertEquals(before, listed(ADMIN_TOKEN).size(), "refused creates created nothing");
        // Another scheme is no bearer; and a ?token= is for browser WebSockets only.
        assertEquals(401, stack.http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(stack.base() + "/api/sessions"))
                .header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(("tester:" + USER_TOKEN).getBytes()))
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode());
        assertError(401, stack.requestAs(null, "GET", "/api/sessions?token=" + USER_TOKEN, null), "?token= on the REST API");
        assertError(401, stack.requestAs(null, "GET", "/api/sessions/" + session.id() + "?token=" + USER_TOKEN, null),
                "?token= on a session route");
        assertEquals(200, stack.requestAs(USER_TOKEN, "GET", "/api/sessions", null).status());
        // Ten refusals in the loop, three after it: each counted, once.
        assertEquals(failuresBefore + 13, authFailures());
    }

    private double authFailures() throws Exception {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^browser_auth_failures_total\\{[^}]*interface=\"http\"[^}]*\\} (\\S+)$")
                .matcher(stack.requestAs(ADMIN_TOKEN, "GET", "/metrics", null).body());
        assertTrue(m.find(), "browser_auth_failures_total{interface=\"http\"} is exported");
        return Double.parseDouble(m.group(1));
    }

    @Test
    void aSessionsTokenOpensThatSessionAndNothingElse() throws Exception {
        Created a = create(USER_TOKEN);
        Created b = create(USER_TOKEN);

        // Another session, on every route, and on the WebSocket: 404, as if it did not exist (never 403).
        for (String[] route : SESSION_ROUTES) {
            String what = route[0] + " " + route[1].formatted("<b>") + " with a's token";
            assertError(404, stack.requestAs(a.token(), route[0], route[1].formatted(b.id()), route[2]), what);
            assertError(404, stack.requestAs(a.token(), route[0], route[1].formatted("no-such-session"), route[2]), what);
        }
        assertEquals(404, handshake(b.id(), a.token()));
        // Nothing that is not the session's: no list, no create, no admin.
        assertError(401, stack.requestAs(a.token(), "GET", "/api/sessions", null), "list with a session token");
        assertError(401, stack.requestAs(a.token(), "POST", "/api/sessions", URL_BODY), "create with a session token");
        assertError(401, stack.requestAs(a.token(), "GET", "/api/admin/hosts", null), "admin with a session token");

        // Its own session, on every route and the WebSocket.
        TestStack.Response got = stack.requestAs(a.token(), "GET", "/api/sessions/" + a.id(), null);
        assertEquals(200, got.status(), got.body());
        assertEquals(a.id(), got.json().get("sessionId").asText());
        assertEquals("tester", got.json().get("owner").asText());
        assertFalse(got.body().contains(a.token()) || got.body().toLowerCase().contains("sha256"),
                "a session's token is told once, at create: " + got.body());
        assertEquals(200, stack.requestAs(a.token(), "GET", "/api/sessions/" + a.id() + "/ice", null).status());
        TestStack.Response offer = stack.requestAs(a.token(), "POST", "/api/sessions/" + a.id() + "/offer", OFFER);
        assertTrue(offer.status() != 401 && offer.status() != 404, "offer with the session's token -> " + offer.status() + " " + offer.body());
        assertEquals(204, stack.requestAs(a.token(), "POST", "/api/sessions/" + a.id() + "/fallback", "{\"reason\":\"timeout\"}").status());
        assertEquals(101, handshake(a.id(), a.token()));
        assertEquals(204, stack.requestAs(a.token(), "DELETE", "/api/sessions/" + a.id(), null).status());
        assertEquals(200, stack.request("GET", "/api/sessions/" + b.id(), null).status(), "b is still its owner's");
    }

    @Test
    void usersSeeAndUseOnlyTheirOwnSessionsAndAdminsSeeAll() throws Exception {
        Created mine = create(USER_TOKEN);
        Created theirs = create(OTHER_USER_TOKEN);

        List<String> myList = listed(USER_TOKEN);
        assertTrue(myList.contains(mine.id()) && !myList.contains(theirs.id()), myList.toString());
        List<String> theirList = listed(OTHER_USER_TOKEN);
        assertTrue(theirList.contains(theirs.id()) && !theirList.contains(mine.id()), theirList.toString());
        for (JsonNode s : stack.request("GET", "/api/sessions", null).json().get("sessions")) {
            assertEquals("tester", s.get("owner").asText(), s.toString());
            assertFalse(s.has("sessionToken"), s.toString());
        }

        for (String[] route : SESSION_ROUTES) {
            assertError(404, stack.requestAs(USER_TOKEN, route[0], route[1].formatted(theirs.id()), route[2]),
                    route[0] + " " + route[1] + " on someone else's session");
        }
        assertEquals(404, handshake(theirs.id(), USER_TOKEN));
        assertEquals(101, handshake(mine.id(), USER_TOKEN));
        assertEquals(200, stack.requestAs(OTHER_USER_TOKEN, "GET", "/api/sessions/" + theirs.id(), null).status());

        // An admin sees and manages every session.
        List<String> all = listed(ADMIN_TOKEN);
        assertTrue(all.contains(mine.id()) && all.contains(theirs.id()), all.toString());
        TestStack.Response theirsForAdmin = stack.requestAs(ADMIN_TOKEN, "GET", "/api/sessions/" + theirs.id(), null);
        assertEquals(200, theirsForAdmin.status());
        assertEquals("other", theirsForAdmin.json().get("owner").asText());
        assertEquals(101, handshake(mine.id(), ADMIN_TOKEN));
        assertNotEquals(404, stack.requestAs(ADMIN_TOKEN, "POST", "/api/sessions/" + theirs.id() + "/offer", OFFER).status());
        assertEquals(204, stack.requestAs(ADMIN_TOKEN, "DELETE", "/api/sessions/" + theirs.id(), null).status());
        String ended = stack.requestAs(OTHER_USER_TOKEN, "GET", "/api/sessions/" + theirs.id(), null).json().get("status").asText();
        assertTrue(ended.equals("terminated") || ended.equals("error"), ended);
    }

    @Test
    void adminRoutesAreForAdminsAndMetricsAreOpenByDefault() throws Exception {
        Created session = create(USER_TOKEN);
        assertError(401, stack.requestAs(null, "GET", "/api/admin/hosts", null), "admin route without a token");
        assertError(401, stack.requestAs("wrong", "GET", "/api/admin/hosts", null), "admin route with a wrong token");
        assertError(401, stack.requestAs(session.token(), "GET", "/api/admin/hosts", null), "admin route with a session token");
        assertError(403, stack.requestAs(USER_TOKEN, "GET", "/api/admin/hosts", null), "admin route as a user");
        assertError(403, stack.requestAs(USER_TOKEN, "POST", "/api/admin/hosts/local/drain", null), "drain as a user");
        TestStack.Response hosts = stack.requestAs(ADMIN_TOKEN, "GET", "/api/admin/hosts", null);
        assertEquals(200, hosts.status(), hosts.body());
        assertTrue(hosts.json().get("hosts").isArray());
        assertEquals(200, stack.requestAs(null, "GET", "/metrics", null).status());
        assertEquals(200, stack.requestAs(null, "GET", "/healthz", null).status());
        assertEquals(200, stack.requestAs(null, "GET", "/readyz", null).status());
    }

    @Test
    void withMetricsAuthOnlyAdminsReadMetrics(@Stack(value = "RUNNER_JAR=pom.xml", edge = "METRICS_AUTH=true") TestStack locked)
            throws Exception {
        assertError(401, locked.requestAs(null, "GET", "/metrics", null), "metrics without a token");
        assertError(403, locked.requestAs(USER_TOKEN, "GET", "/metrics", null), "metrics as a user");
        TestStack.Response metrics = locked.requestAs(ADMIN_TOKEN, "GET", "/metrics", null);
        assertEquals(200, metrics.status());
        assertTrue(metrics.body().contains("browser_sessions_total"), metrics.body());
    }
}
