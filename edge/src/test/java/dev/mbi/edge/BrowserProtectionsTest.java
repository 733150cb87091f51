package dev.mbi.edge;

import static dev.mbi.edge.TestStack.USER_TOKEN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What keeps other web pages out: WebSockets only from allowed origins (checked before the
 * upgrade), JSON routes only with a JSON body, and on every answer no caching and a
 * frame-ancestors policy.
 */
@Stack("RUNNER_JAR=pom.xml")
class BrowserProtectionsTest {
    private static final String PORTAL = "https://portal.example.com";

    private final TestStack stack;

    BrowserProtectionsTest(TestStack stack) {
        this.stack = stack;
    }

    private String session(TestStack s) throws Exception {
        return s.createSession("http://127.0.0.1:9/");
    }

    private static RawWebSocket upgrade(TestStack s, String id, String origin) throws Exception {
        return RawWebSocket.connect(s.edge.port(), "/ws/sessions/" + id + "?token=" + USER_TOKEN,
                origin == null ? Map.of() : Map.of("Origin", origin), 0);
    }

    @Test
    void aWebSocketFromAForeignOriginIsRefusedBeforeTheUpgrade() throws Exception {
        String id = session(stack);
        for (String foreign : new String[] {"http://evil.example", "http://localhost:1", "http://127.0.0.1:" + stack.edge.port(), "null"}) {
            try (RawWebSocket ws = upgrade(stack, id, foreign)) {
                assertEquals(403, ws.status, foreign + ": " + ws.body);
                assertNull(ws.headers.get("upgrade"), "no upgrade for " + foreign);
                assertTrue(ws.body.contains("\"error\"") && ws.body.contains("origin"), ws.body);
            }
        }
        // The edge's own origin, and clients that send none (not browsers), are let in.
        for (String own : new String[] {"http://localhost:" + stack.edge.port(), null}) {
            try (RawWebSocket ws = upgrade(stack, id, own)) {
                assertEquals(101, ws.status, own + ": " + ws.body);
                assertEquals("no-store", ws.headers.get("cache-control"));
            }
        }
    }

    @Test
    void allowedOriginsAndFrameAncestorsAreSettings(@Stack(value = "RUNNER_JAR=pom.xml",
            edge = {"ALLOWED_ORIGINS=" + PORTAL, "ALLOWED_FRAME_ANCESTORS='self' " + PORTAL}) TestStack portal) throws Exception {
        String id = session(portal);
        try (RawWebSocket ws = upgrade(portal, id, PORTAL)) {
            assertEquals(101, ws.status, ws.body);
        }
        try (RawWebSocket ws = upgrade(portal, id, "http://localhost:" + portal.edge.port())) {
            assertEquals(403, ws.status, "only the listed origins: " + ws.body);
        }
        assertEquals("frame-ancestors 'self' " + PORTAL,
                portal.requestAs(null, "GET", "/healthz", null).header("Content-Security-Policy"));
    }

    @Test
    void jsonRoutesRefuseOtherContentTypes() throws Exception {
        String id = session(stack);
        int before = stack.request("GET", "/api/sessions", null).json().get("sessions").size();
        String[][] posts = {
            {"/api/sessions", "{\"url\":\"http://127.0.0.1:9/\"}"},
            {"/api/sessions/" + id + "/offer", "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"}"},
            {"/api/sessions/" + id + "/fallback", "{\"reason\":\"timeout\"}"},
        };
        for (String[] post : posts) {
            for (String type : new String[] {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", null}) {
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(stack.base() + post[0]))
                        .header("Authorization", "Bearer " + USER_TOKEN)
                        .POST(HttpRequest.BodyPublishers.ofString(post[1]));
                if (type != null) {
                    b.header("Content-Type", type);
                }
                HttpResponse<String> r = stack.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(415, r.statusCode(), post[0] + " as " + type + " -> " + r.body());
                assertTrue(r.body().contains("\"error\":\"Content-Type must be application/json\""), r.body());
            }
        }
        assertEquals(before, stack.request("GET", "/api/sessions", null).json().get("sessions").size(), "nothing was created");
        // With a charset it is still JSON.
        HttpResponse<String> ok = stack.http.send(HttpRequest.newBuilder(URI.create(stack.base() + "/api/sessions/" + id + "/fallback"))
                .header("Authorization", "Bearer " + USER_TOKEN).header("Content-Type", "application/json; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString("{\"reason\":\"timeout\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(204, ok.statusCode(), ok.body());
    }

    @Test
    void everyAnswerIsUncachableAndFramedOnlyByTheEdgeItself() throws Exception {
        String id = session(stack);
        String[][] requests = {
            {null, "GET", "/"},
            {null, "GET", "/healthz"},
            {null, "GET", "/readyz"},
            {null, "GET", "/metrics"},
            {null, "GET", "/no-such-file.js"},
            {null, "GET", "/api/sessions"},
            {USER_TOKEN, "GET", "/api/sessions"},
            {USER_TOKEN, "GET", "/api/sessions/" + id},
            {USER_TOKEN, "GET", "/api/sessions/no-such-session"},
            {USER_TOKEN, "GET", "/ws/sessions/" + id},
            {USER_TOKEN, "GET", "/api/admin/hosts"},
            {USER_TOKEN, "DELETE", "/api/sessions/" + id},
        };
        for (String[] r : requests) {
            TestStack.Response answer = stack.requestAs(r[0], r[1], r[2], null);
            String what = r[1] + " " + r[2] + " (" + answer.status() + ")";
            assertEquals("no-store", answer.header("Cache-Control"), what);
            assertEquals("frame-ancestors 'self'", answer.header("Content-Security-Policy"), what);
            assertEquals("nosniff", answer.header("X-Content-Type-Options"), what);
            assertEquals("no-referrer", answer.header("Referrer-Policy"), what);
        }
    }
}
