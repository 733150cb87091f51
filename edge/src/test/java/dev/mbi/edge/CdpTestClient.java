package dev.mbi.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A DevTools client at the protocol level, for what Puppeteer and Playwright hide: answers with
 * their errors, custom events, and how the connection was closed.
 */
final class CdpTestClient implements AutoCloseable {
    /** How the server closed the connection. */
    record Closed(int code, String reason) {
    }

    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final BlockingQueue<JsonNode> events = new LinkedBlockingQueue<>();
    final CompletableFuture<Closed> closed = new CompletableFuture<>();

    CdpTestClient(String url) {
        socket = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
                .buildAsync(URI.create(url), new WebSocket.Listener() {
                    private final StringBuilder text = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                        text.append(data);
                        if (last) {
                            deliver(text.toString());
                            text.setLength(0);
                        }
                        ws.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
                        closed.complete(new Closed(code, reason));
                        pending.values().forEach(f -> f.completeExceptionally(new IllegalStateException("closed: " + reason)));
                        return null;
                    }

                    @Override
                    public void onError(WebSocket ws, Throwable error) {
                        closed.complete(new Closed(1006, String.valueOf(error)));
                    }
                }).join();
    }

    private void deliver(String message) {
        try {
            JsonNode m = SessionJson.MAPPER.readTree(message);
            if (m.has("id")) {
                CompletableFuture<JsonNode> f = pending.remove(m.get("id").asInt());
                if (f != null) {
                    f.complete(m);
                }
            } else {
                events.add(m);
            }
        } catch (Exception e) {
            events.add(SessionJson.MAPPER.createObjectNode().put("unreadable", message));
        }
    }

    /** Sends a command and waits for its whole answer ({"result"} or {"error"}). */
    JsonNode call(String method, ObjectNode params, String sessionId) throws Exception {
        int id = ids.incrementAndGet();
        ObjectNode m = SessionJson.MAPPER.createObjectNode();
        m.put("id", id);
        m.put("method", method);
        m.set("params", params == null ? SessionJson.MAPPER.createObjectNode() : params);
        if (sessionId != null) {
            m.put("sessionId", sessionId);
        }
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, answer);
        sendText(m.toString());
        return answer.get(30, TimeUnit.SECONDS);
    }

    JsonNode call(String method) throws Exception {
        return call(method, null, null);
    }

    void sendText(String text) {
        socket.sendText(text, true).join();
    }

    static ObjectNode params() {
        return SessionJson.MAPPER.createObjectNode();
    }

    /** The next event with this method on the client's root connection (not one of its sessions), skipping others. */
    JsonNode event(String method, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (true) {
            JsonNode e = events.poll(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
            if (e == null) {
                throw new AssertionError("no " + method + " event within " + timeoutMs + " ms");
            }
            if (method.equals(e.path("method").asText()) && !e.has("sessionId")) {
                return e;
            }
        }
    }

    Closed awaitClosed(long timeoutMs) throws Exception {
        return closed.get(timeoutMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        if (!closed.isDone()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
        }
    }
}
