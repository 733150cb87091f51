package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Relay-only WebRTC through a real coturn with short-lived REST-API credentials, the secret given to
 * the control plane as a file (TURN_SECRET_FILE), and a wrong secret.
 */
@ExtendWith(StackExtension.class)
class TurnRelayTest {
    private static final String SECRET = Coturn.randomSecret();
    private static Coturn coturn;
    private static Path secretFile;

    @BeforeAll
    static void start() throws Exception {
        coturn = Coturn.start(SECRET);
        secretFile = Coturn.secretFile(SECRET);
    }

    @AfterAll
    static void stop() {
        coturn.close();
    }

    /**
     * The stack whose control plane hands out credentials for this coturn, signed with the secret
     * given by the variable (TURN_SECRET or TURN_SECRET_FILE).
     */
    private static StackConfig relay(String variable, String value) {
        return StackConfig.of(Map.of(
                "TURN_ENABLED", "true",
                "TURN_HOST", "127.0.0.1",
                "TURN_PORT", Integer.toString(coturn.port),
                variable, value,
                "TURN_TTL", "10m",
                "ICE_TRANSPORT_POLICY", "relay"));
    }

    @Test
    void relayOnlyVideoFlowsThroughTurn(Stacks stacks) throws Exception {
        TestStack stack = stacks.get(relay("TURN_SECRET_FILE", secretFile.toString()));
        TestSite site = stack.site;
        String id = stack.createSession(site.pageUrl());
        stack.awaitStatus(id, "ready", Duration.ofSeconds(30));
        JsonNode ice = stack.request("GET", "/api/sessions/" + id + "/ice", null).json();
        assertEquals("relay", ice.get("iceTransportPolicy").asText());
        JsonNode turn = ice.get("iceServers").get(0);
        assertTrue(turn.get("urls").get(0).asText().startsWith("turn:127.0.0.1:" + coturn.port), ice.toString());
        String username = turn.get("username").asText();
        long expiry = Long.parseLong(username.substring(0, username.indexOf(':')));
        assertTrue(username.endsWith(":" + id), username);
        long ttl = expiry - System.currentTimeMillis() / 1000;
        assertTrue(ttl > 500 && ttl <= 600, "credentials should live 10 minutes, not " + ttl + " s");

        try (WebRtcViewer viewer = WebRtcTest.connect(stack, id, true)) {
            assertTrue(viewer.answerSdp.contains("typ relay"), viewer.answerSdp);
            assertFalse(viewer.answerSdp.contains("typ host"), viewer.answerSdp);
            int[] frame = viewer.awaitPixel(ViewerClient::greenish, 20_000);
            assertEquals(1280, frame[0]);
            viewer.click(200, 100);
            site.awaitReport("click", 10_000);
            viewer.awaitPixel(ViewerClient::reddish, 10_000);
        }
        String turnLog = coturn.log();
        assertTrue(turnLog.toLowerCase().contains("allocat"), "coturn saw no allocation: " + turnLog);
        stack.request("DELETE", "/api/sessions/" + id, null);
    }

    @Test
    void aWrongTurnSecretIsReportedInsteadOfHanging(Stacks stacks) throws Exception {
        // A proper secret (the control plane refuses weak ones), but not coturn's.
        TestStack stack = stacks.get(relay("TURN_SECRET", Coturn.randomSecret()));
        String id = stack.createSession(stack.site.pageUrl());
        stack.awaitStatus(id, "ready", Duration.ofSeconds(30));
        long start = System.nanoTime();
        // Gathering is bounded, so the offer is answered even though no relay candidate exists.
        try (WebRtcViewer viewer = WebRtcTest.connect(stack, id, true)) {
            long answeredMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(answeredMs < 10_000, "the offer took " + answeredMs + " ms");
            assertFalse(viewer.answerSdp.contains("typ relay"), viewer.answerSdp);
            TestStack.await("the session reports the TURN failure", Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> !stack.session(id).get("metrics").get("webrtc").get("error").asText().isEmpty());
            String error = stack.session(id).get("metrics").get("webrtc").get("error").asText();
            assertTrue(error.contains("401") || error.contains("ICE failed"), error);
            assertFalse(viewer.iceErrors.isEmpty(), "the viewer's own TURN allocation should fail too");
        }
        assertEquals("ready", stack.session(id).get("status").asText());
        stack.request("DELETE", "/api/sessions/" + id, null);
    }
}
