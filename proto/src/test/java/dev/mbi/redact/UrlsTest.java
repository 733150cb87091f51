package dev.mbi.redact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class UrlsTest {
    @Test
    void theUserInfoGoesAndEveryOtherCharacterStays() {
        assertEquals("http://host/path", Urls.withoutUserInfo("http://user:pass@host/path"));
        assertEquals("https://host:8443/a%20b?q=1&r=%2F#frag",
                Urls.withoutUserInfo("https://us%40er:p%3Ass@host:8443/a%20b?q=1&r=%2F#frag"));
        assertEquals("http://host", Urls.withoutUserInfo("http://user@host"));
        assertEquals("HTTP://host/", Urls.withoutUserInfo("HTTP://:pass@host/"));
        assertEquals("//host/x", Urls.withoutUserInfo("//user:pass@host/x"));
        assertEquals("http://[::1]:8080/", Urls.withoutUserInfo("http://u:p@[::1]:8080/"));
    }

    @Test
    void urlsWithoutUserInfoAndNonUrlsAreLeftAlone() {
        for (String same : new String[] {
            "https://example.com/a?b=c#d", "https://example.com/@user", "https://example.com/?mail=a@b.c",
            "mailto:someone@example.com", "", "not a url", "about:blank"}) {
            assertEquals(same, Urls.withoutUserInfo(same));
        }
        assertNull(Urls.withoutUserInfo(null));
        assertNull(Urls.withoutUserInfoIn(null));
    }

    @Test
    void oddInputLosesItsUserInfoToo() {
        // '@' inside the password: browsers take the last '@' of the authority, so must we.
        assertEquals("http://evil.example/", Urls.withoutUserInfo("http://user:p@ss@evil.example/"));
        // Not URIs for java.net.URI (a space, a backslash, a '|'), still URLs for a browser or a log line.
        assertEquals("http://host/a b", Urls.withoutUserInfo("http://us er:pw@host/a b"));
        assertEquals("http://host\\path", Urls.withoutUserInfo("http://user:pw@host\\path"));
        assertEquals("https://host/a|b", Urls.withoutUserInfo("https://user:pw@host/a|b"));
        assertEquals(" https://host/", Urls.withoutUserInfo(" https://user:pw@host/"));
        assertEquals("http:\\\\host/x", Urls.withoutUserInfo("http:\\\\user:pw@host/x"));
    }

    @Test
    void everyUrlInAFreeTextLosesItsUserInfo() {
        assertEquals("net::ERR_NAME_NOT_RESOLVED at https://host/x; then ftp://files.example/ and \"http://h2\"",
                Urls.withoutUserInfoIn("net::ERR_NAME_NOT_RESOLVED at https://a:b@host/x; then ftp://c@files.example/ and \"http://d:e@h2\""));
        assertEquals("write to someone@example.com", Urls.withoutUserInfoIn("write to someone@example.com"));
        assertEquals("opening http://host/?next=http://other/", Urls.withoutUserInfoIn("opening http://u:p@host/?next=http://x:y@other/"));
    }

    @Test
    void aHugeHostileUrlTakesLinearTime() {
        String letters = "a".repeat(2_000_000);
        String colons = "a:".repeat(1_000_000);
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            assertEquals("https://", Urls.withoutUserInfo("https://x|" + letters + "@"));
            assertEquals("https://h/" + letters, Urls.withoutUserInfo("https://u:p@h/" + letters));
            Urls.withoutUserInfoIn(letters + "@" + letters);
            Urls.withoutUserInfoIn("a://" + colons + "@");
            Urls.withoutUserInfoIn(("a://" + "b".repeat(1000)).repeat(2000) + "@");
        });
    }
}
