package dev.mbi.edge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mbi.relay.UnixMicros;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.imageio.ImageIO;

/** A WebSocket viewer as a browser would be one: receives frames and status, sends input. */
final class ViewerClient implements AutoCloseable {
    final BlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
    final WebSocket socket;
    volatile boolean closed;

    record DecodedFrame(JsonNode message, BufferedImage image) {
    }

    /** A frame taken as a binary message ({@code ?frames=binary}): its JSON header, its JPEG's size, and when its last byte came (µs since the epoch). */
    record BinaryFrame(JsonNode header, int jpegBytes, long receivedUnixUs) {
    }

    ViewerClient(String wsUrl) {
        this(wsUrl, frame -> {
        });
    }

    /**
     * A viewer whose binary frames ({@code ?frames=binary} on the URL) go to {@code onBinaryFrame}
     * as they complete, on the socket's thread; they do not queue (benches take thousands of them).
     */
    ViewerClient(String wsUrl, Consumer<BinaryFrame> onBinaryFrame) {
        socket = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create(wsUrl), new WebSocket.Listener() {
                    private final StringBuilder partial = new StringBuilder();
                    private final ByteArrayOutputStream partialBinary = new ByteArrayOutputStream();

                    @Override
                    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
                        byte[] piece = new byte[data.remaining()];
                        data.get(piece);
                        partialBinary.writeBytes(piece);
                        if (last) {
                            long received = UnixMicros.now();
                            // A 4-byte big-endian length, that many bytes of JSON, then the JPEG (FrameMessages).
                            byte[] message = partialBinary.toByteArray();
                            partialBinary.reset();
                            int headerLength = ByteBuffer.wrap(message).getInt();
                            try {
                                JsonNode header = SessionJson.MAPPER.readTree(message, 4, headerLength);
                                onBinaryFrame.accept(new BinaryFrame(header, message.length - 4 - headerLength, received));
                            } catch (IOException e) {
                                throw new IllegalStateException("server sent a binary frame with a malformed header", e);
                            }
                        }
                        ws.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                        partial.append(data);
                        if (last) {
                            try {
                                messages.add(SessionJson.MAPPER.readTree(partial.toString()));
                            } catch (Exception e) {
                                throw new IllegalStateException("server sent malformed JSON: " + partial, e);
                            }
                            partial.setLength(0);
                        }
                        ws.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
                        closed = true;
                        return null;
                    }
                }).join();
    }

    void send(String json) {
        socket.sendText(json, true).join();
    }

    JsonNode next(String type, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (true) {
            JsonNode m = messages.poll(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
            if (m == null) {
                throw new AssertionError("no '" + type + "' message within " + timeoutMs + " ms");
            }
            if (type.equals(m.path("type").asText())) {
                return m;
            }
        }
    }

    DecodedFrame nextFrame(long timeoutMs) throws Exception {
        JsonNode m = next("frame", timeoutMs);
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(m.get("data").asText())));
        if (image == null) {
            throw new AssertionError("frame " + m.get("seq") + " is not a decodable JPEG");
        }
        return new DecodedFrame(m, image);
    }

    /** Waits for a frame whose pixel at (x, y) satisfies the test. */
    DecodedFrame awaitPixel(int x, int y, java.util.function.IntPredicate rgb, long timeoutMs) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        int seen = 0;
        DecodedFrame last = null;
        while (true) {
            DecodedFrame f;
            try {
                f = nextFrame(Math.max(1, deadline - System.currentTimeMillis()));
            } catch (AssertionError e) {
                throw new AssertionError("no frame with the expected colour at (" + x + "," + y + ") within " + timeoutMs
                        + " ms: " + seen + " other frame(s) came" + (last == null ? ""
                        : ", the last (seq " + last.message().get("seq") + ") " + String.format("#%06x", last.image().getRGB(x, y) & 0xFFFFFF)), e);
            }
            if (rgb.test(f.image().getRGB(x, y))) {
                return f;
            }
            seen++;
            last = f;
        }
    }

    static boolean reddish(int rgb) {
        return ((rgb >> 16) & 0xFF) > 180 && ((rgb >> 8) & 0xFF) < 80;
    }

    static boolean greenish(int rgb) {
        return ((rgb >> 8) & 0xFF) > 150 && ((rgb >> 16) & 0xFF) < 80;
    }

    @Override
    public void close() {
        if (!closed) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").exceptionally(e -> null);
        }
    }
}
