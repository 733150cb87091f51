package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A session opened at http://user:password@host/ through the edge, with real Chromium: the page
 * opens, and no answer of the edge (the create answer, the session, the list, the viewer's status
 * messages, after a navigation to another such URL too) shows the credentials.
 */
@Stack("MAX_SESSIONS=3")
class UrlCredentialsApiTest {
    private static final List<String> SECRETS = List.of("alice", "hunter2", "bob", "pa55word");
    private final TestStack stack;
    private final TestSite site;

    UrlCredentialsApiTest(TestStack stack) {
        this.stack = stack;
        this.site = stack.site;
    }

    private static String withUserInfo(String url, String userInfo) {
        return url.replaceFirst("^http://", "http://" + userInfo + "@");
    }

    private static void assertNoCredentials(String where, String text) {
        for (String secret : SECRETS) {
            assertFalse(text.contains(secret), where + " shows '" + secret + "': " + text);
        }
    }

    @Test
    void theEdgeNeverAnswersWithTheCredentialsOfAUrl() throws Exception {
        TestStack.Response created = stack.request("POST", "/api/sessions",
                "{\"url\":\"" + withUserInfo(site.pageUrl(), "alice:hunter2") + "\"}");
        assertEquals(201, created.status(), created.body());
        assertNoCredentials("the create answer", created.body());
        String id = created.json().get("sessionId").asText();
        try (ViewerClient viewer = new ViewerClient(stack.wsUrl(id))) {
            JsonNode ready = stack.awaitStatus(id, "ready", Duration.ofSeconds(30));
            assertEquals(site.pageUrl(), ready.get("url").asText());
            assertNoCredentials("the session", ready.toString());

            viewer.send("{\"type\":\"navigate\",\"url\":\"" + withUserInfo(site.pageUrl(), "bob:pa55word") + "?second\"}");
            TestStack.await("navigation reported", Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> stack.session(id).get("currentUrl").asText().endsWith("?second"));
            JsonNode navigated = stack.session(id);
            assertEquals(site.pageUrl() + "?second", navigated.get("currentUrl").asText());
            assertNoCredentials("the session after navigating", navigated.toString());
            assertNoCredentials("the session list", stack.request("GET", "/api/sessions", null).body());
            // The viewer's status messages, up to the one that follows the navigation (its url is the page's).
            JsonNode status;
            do {
                status = viewer.next("status", 5_000);
                assertNoCredentials("a viewer's status message", status.toString());
            } while (!status.path("url").asText().endsWith("?second"));
            assertEquals(site.pageUrl() + "?second", status.get("url").asText());
        } finally {
            assertEquals(204, stack.request("DELETE", "/api/sessions/" + id, null).status());
        }
    }
}
