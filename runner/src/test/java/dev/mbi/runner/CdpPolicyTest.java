package dev.mbi.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        CdpPolicy policy = new CdpPolicy(java.nio.file.Path.of("/nonexistent"), () -> egress, () -> DataPolicy.OPEN);
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

    @Test
    void downloadSettingsObeyTheSessionsPolicyAndKeepFilesInItsFolderUnderTheirIds(@org.junit.jupiter.api.io.TempDir java.nio.file.Path work) {
        java.util.concurrent.atomic.AtomicReference<DataPolicy> data = new java.util.concurrent.atomic.AtomicReference<>(DataPolicy.OPEN);
        java.nio.file.Path folder = work.resolve("downloads");
        CdpPolicy policy = new CdpPolicy(folder, null, data::get);
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        dev.mbi.proto.v1.ControlHolder shared = dev.mbi.proto.v1.ControlHolder.CONTROL_HOLDER_SHARED;

        // Puppeteer's "allow" with a path of the agent's machine: the session's folder, files named by id, events on.
        com.fasterxml.jackson.databind.node.ObjectNode allow = json.createObjectNode().put("behavior", "allow")
                .put("downloadPath", "/home/agent/Downloads").put("eventsEnabled", false);
        assertTrue(policy.judge("Browser.setDownloadBehavior", allow, shared).isEmpty());
        assertEquals("allowAndName", allow.get("behavior").asText());
        assertEquals(folder.toString(), allow.get("downloadPath").asText());
        assertTrue(allow.get("eventsEnabled").asBoolean());
        assertTrue(java.nio.file.Files.isDirectory(folder));
        // Chromium's default could save into the runner's home: it becomes the session's own setting.
        com.fasterxml.jackson.databind.node.ObjectNode fallback = json.createObjectNode().put("behavior", "default");
        assertTrue(policy.judge("Browser.setDownloadBehavior", fallback, shared).isEmpty());
        assertEquals("allowAndName", fallback.get("behavior").asText());
        // Turning downloads off is the client's choice.
        com.fasterxml.jackson.databind.node.ObjectNode deny = json.createObjectNode().put("behavior", "deny");
        assertTrue(policy.judge("Browser.setDownloadBehavior", deny, shared).isEmpty());
        assertEquals("deny", deny.get("behavior").asText());

        // With downloads denied by the session's policy, a client cannot turn them on.
        data.set(DataPolicy.DENY_ALL);
        String refused = policy.judge("Browser.setDownloadBehavior", json.createObjectNode().put("behavior", "allowAndName")
                .put("downloadPath", "/tmp/x"), shared).orElseThrow().message();
        assertTrue(refused.contains("policy.downloads = deny"), refused);
        assertTrue(policy.judge("Page.setDownloadBehavior", json.createObjectNode().put("behavior", "allow"), shared).isPresent());
        com.fasterxml.jackson.databind.node.ObjectNode denied = json.createObjectNode().put("behavior", "default");
        assertTrue(policy.judge("Browser.setDownloadBehavior", denied, shared).isEmpty());
        assertEquals("deny", denied.get("behavior").asText());
    }
}
