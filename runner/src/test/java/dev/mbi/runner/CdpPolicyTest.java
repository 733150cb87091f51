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

    @Test
    void anAgentsNavigationToAHostTheEgressPolicyDeniesIsRefusedNamingTheRule() {
        dev.mbi.runner.egress.EgressPolicy egress = dev.mbi.runner.egress.EgressPolicy.defaults()
                .denyingHosts(java.util.List.of("ads.example.com"));
        CdpPolicy policy = new CdpPolicy(java.nio.file.Path.of("/nonexistent"), () -> egress);
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        java.util.function.Function<String, java.util.Optional<CdpPolicy.Refusal>> navigate = url -> policy.judge("Page.navigate",
                json.createObjectNode().put("url", url), dev.mbi.proto.v1.ControlHolder.CONTROL_HOLDER_SHARED);
        String loopback = navigate.apply("http://127.0.0.1:8080/admin").orElseThrow().message();
        assertTrue(loopback.contains("egress") && loopback.contains("loopback"), loopback);
        String metadata = navigate.apply("http://169.254.169.254/latest/meta-data/").orElseThrow().message();
        assertTrue(metadata.contains("egress"), metadata);
        String denied = navigate.apply("https://ads.example.com/track").orElseThrow().message();
        assertTrue(denied.contains("ads.example.com"), denied);
        assertTrue(navigate.apply("https://example.com/").isEmpty(), "names are judged by the proxy after their lookup");
        assertTrue(policy.judge("Target.createTarget", json.createObjectNode().put("url", "http://[::1]/"),
                dev.mbi.proto.v1.ControlHolder.CONTROL_HOLDER_SHARED).isPresent());
    }
}
