package dev.mbi.runner;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CdpPolicyTest {

    @Test
    void onlyHttpAndHttpsPagesWithAHostOrAboutBlankAreNavigable() {
        for (String url : new String[] {"https://example.com", "http://example.com:8080/a b?c#d", "HTTPS://user@host/",
                "http://[::1]:80/", "about:blank"}) {
            assertTrue(CdpPolicy.navigable(url, false), url);
        }
        for (String url : new String[] {"file:///etc/passwd", "chrome://version", "javascript:alert(1)", "data:text/html,x",
                "http:///nohost", "https://:443/", "about:blank#x", "about:srcdoc", "", "view-source:https://example.com",
                "http:example.com"}) {
            assertFalse(CdpPolicy.navigable(url, false), url);
        }
        assertTrue(CdpPolicy.navigable("", true), "Target.createTarget's empty url is about:blank");
    }
}
