package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The egress policy as it is by default (every other full-stack test allows private addresses
 * because its page is served on this machine): the remote browser cannot reach this machine,
 * in any spelling, and the session says which host was blocked by which rule.
 */
@Stack("EGRESS_ALLOW_PRIVATE=false")
class EgressTest {

    private static JsonNode egress(TestStack stack, String id) throws Exception {
        return stack.session(id).get("metrics").get("egress");
    }

    /** Waits for the runner to report one more blocked connection than before (figures come every 2 s). */
    private static JsonNode awaitBlockedMoreThan(TestStack stack, String id, long before, String what) {
        return Awaitility.await(what).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> egress(stack, id), e -> e.get("blocked").asLong() > before);
    }

    @Test
    void aPageOnThisMachineIsBlockedInEverySpelling(TestStack stack) throws Exception {
        int port = URI.create(stack.site.pageUrl()).getPort();
        int requestsBefore = stack.site.requests();

        String id = stack.createSession(stack.site.pageUrl());
        stack.awaitStatus(id, "ready", Duration.ofSeconds(30));
        JsonNode first = awaitBlockedMoreThan(stack, id, 0, "the start page blocked");
        assertEquals("127.0.0.1", first.get("lastBlockedHost").asText(), first.toString());
        assertEquals("loopback", first.get("lastBlockedReason").asText(), first.toString());

        try (ViewerClient viewer = new ViewerClient(stack.wsUrl(id))) {
            // Each address a different path: spellings of one address are one URL to the browser. (Hex and
            // octal spellings such as 0x7f.1 are refused as navigations before they reach the browser; the
            // proxy's own tests cover them.)
            for (String url : List.of("http://localhost:" + port + "/a", "http://2130706433:" + port + "/b",
                    "http://[::1]:" + port + "/d",
                    "http://[::ffff:127.0.0.1]:" + port + "/e", "https://127.0.0.1:" + port + "/f")) {
                long before = egress(stack, id).get("blocked").asLong();
                viewer.send("{\"type\":\"navigate\",\"url\":\"" + url + "\"}");
                JsonNode after = awaitBlockedMoreThan(stack, id, before, url + " blocked");
                assertEquals("loopback", after.get("lastBlockedReason").asText(), url + " -> " + after);
            }
        }
        assertEquals(requestsBefore, stack.site.requests(), "the page on this machine was reached");
    }

    @Test
    void aSessionMayNarrowThePolicyButNeverWidenIt(@Stack("MAX_SESSIONS=3") TestStack open) throws Exception {
        // On a stack that allows this machine, a session that denies the host never reaches its page.
        int requestsBefore = open.site.requests();
        TestStack.Response created = open.request("POST", "/api/sessions",
                "{\"url\":\"" + open.site.pageUrl() + "\",\"egress\":{\"denyHosts\":[\"127.0.0.1\",\"*.ads.example\"]}}");
        assertEquals(201, created.status(), created.body());
        String id = created.json().get("sessionId").asText();
        open.awaitStatus(id, "ready", Duration.ofSeconds(30));
        JsonNode blocked = awaitBlockedMoreThan(open, id, 0, "the session's own denied host blocked");
        assertEquals("127.0.0.1", blocked.get("lastBlockedHost").asText(), blocked.toString());
        assertEquals("denied host", blocked.get("lastBlockedReason").asText(), blocked.toString());
        assertEquals(requestsBefore, open.site.requests(), "a host the session denied was reached");

        // There is nothing to widen with, and a bad pattern is refused before anything starts.
        for (String bad : List.of("{\"url\":\"https://example.com/\",\"egress\":{\"denyHosts\":[\"not a host\"]}}",
                "{\"url\":\"https://example.com/\",\"egress\":{\"denyHosts\":\"example.com\"}}",
                "{\"url\":\"https://example.com/\",\"egress\":[\"example.com\"]}")) {
            TestStack.Response r = open.request("POST", "/api/sessions", bad);
            assertEquals(400, r.status(), bad + " -> " + r.body());
            assertTrue(r.json().get("error").asText().startsWith("egress"), r.body());
        }
    }
}
