package dev.mbi.runner;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;

/**
 * An automation client in the test's own process: it sends DevTools calls to {@link CdpClients}
 * and collects what comes back, every message both ways cut into pieces and joined again as on the
 * runner's stream ({@link CdpPieces}).
 */
final class CdpTestClient implements CdpClients.Client {
    static final ObjectMapper JSON = new ObjectMapper();

    final String id;
    private final CdpClients devtools;
    private final CdpPieces.Assembler fromRunner = new CdpPieces.Assembler();
    private final CdpPieces.Assembler toRunner = new CdpPieces.Assembler();
    /** Everything received, in order. */
    final List<JsonNode> received = new CopyOnWriteArrayList<>();
    volatile String closedReason;

    private CdpTestClient(String id, CdpClients devtools) {
        this.id = id;
        this.devtools = devtools;
    }

    static CdpTestClient open(String id, CdpClients devtools) {
        CdpTestClient client = new CdpTestClient(id, devtools);
        devtools.open(id, client);
        return client;
    }

    @Override
    public synchronized void send(byte[] message) {
        try {
            List<ByteString> pieces = CdpPieces.split(message);
            for (int i = 0; i < pieces.size(); i++) {
                Optional<byte[]> whole = fromRunner.add(pieces.get(i), i == pieces.size() - 1);
                if (whole.isPresent()) {
                    received.add(JSON.readTree(whole.get()));
                }
            }
        } catch (IOException | CdpPieces.TooLarge e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void closed(String reason) {
        closedReason = reason;
    }

    /** Sends one call (raw JSON text) through pieces. */
    void sendRaw(String json) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        List<ByteString> pieces = CdpPieces.split(bytes);
        try {
            for (int i = 0; i < pieces.size(); i++) {
                Optional<byte[]> whole = toRunner.add(pieces.get(i), i == pieces.size() - 1);
                whole.ifPresent(m -> devtools.receive(id, m));
            }
        } catch (CdpPieces.TooLarge e) {
            throw new IllegalStateException(e);
        }
    }

    /** Sends a call and waits for the answer with its id. */
    JsonNode call(long callId, String method, ObjectNode params, String sessionId) {
        ObjectNode call = JSON.createObjectNode().put("id", callId).put("method", method);
        call.set("params", params == null ? JSON.createObjectNode() : params);
        if (sessionId != null) {
            call.put("sessionId", sessionId);
        }
        sendRaw(call.toString());
        return answer(callId);
    }

    JsonNode call(long callId, String method, ObjectNode params) {
        return call(callId, method, params, null);
    }

    JsonNode answer(long callId) {
        return Awaitility.await("the answer to call " + callId).atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(10))
                .until(() -> received.stream().filter(m -> m.path("id").asLong(-1) == callId).findFirst(), Optional::isPresent)
                .get();
    }

    /** Events of one method received so far. */
    List<JsonNode> events(String method) {
        return received.stream().filter(m -> method.equals(m.path("method").asText())).toList();
    }

    /**
     * Attaches to the first page target whose title passes {@code title} (flattened); returns its
     * session id. Uses call ids {@code callId} and {@code callId + 1}.
     */
    String attachToPage(long callId, java.util.function.Predicate<String> title) {
        JsonNode targets = call(callId, "Target.getTargets", null).path("result").path("targetInfos");
        String pageId = null;
        for (JsonNode t : targets) {
            if ("page".equals(t.path("type").asText()) && title.test(t.path("title").asText())) {
                pageId = t.path("targetId").asText();
                break;
            }
        }
        org.junit.jupiter.api.Assertions.assertNotNull(pageId, "the session's page is listed: " + targets);
        JsonNode attached = call(callId + 1, "Target.attachToTarget", params().put("targetId", pageId).put("flatten", true));
        String session = attached.path("result").path("sessionId").asText(null);
        org.junit.jupiter.api.Assertions.assertNotNull(session, attached.toString());
        return session;
    }

    static ObjectNode params() {
        return JSON.createObjectNode();
    }

    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
