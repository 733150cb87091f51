package dev.mbi.edge;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mbi.proto.v1.Frame;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Frames as WebSocket messages, made once per frame on this edge however many viewers its session
 * has here: each viewer's stream delivers the same frame, and the last one made for the session is
 * reused while the sequence number and size match. Two forms:
 * <ul>
 *   <li>text (the default): {@code {"type":"frame","format":"jpeg","data":<base64>,...}};</li>
 *   <li>binary ({@code ?frames=binary}): a 4-byte big-endian length, that many bytes of the same
 *       JSON without {@code data}, then the JPEG itself: a third smaller, and nothing to decode
 *       from base64.</li>
 * </ul>
 */
final class FrameMessages {
    private record Encoded(long seq, int size, String json, byte[] binary) {
        boolean isOf(Frame f) {
            return seq == f.getSeq() && size == f.getData().size();
        }
    }

    private final ConcurrentHashMap<String, Encoded> latest = new ConcurrentHashMap<>();
    private final AtomicLong encodings = new AtomicLong();

    String json(String sessionId, Frame frame) {
        return latest.compute(sessionId, (id, old) -> {
            if (old != null && old.isOf(frame) && old.json() != null) {
                return old;
            }
            encodings.incrementAndGet();
            return new Encoded(frame.getSeq(), frame.getData().size(), text(frame),
                    old != null && old.isOf(frame) ? old.binary() : null);
        }).json();
    }

    byte[] binary(String sessionId, Frame frame) {
        return latest.compute(sessionId, (id, old) -> {
            if (old != null && old.isOf(frame) && old.binary() != null) {
                return old;
            }
            encodings.incrementAndGet();
            return new Encoded(frame.getSeq(), frame.getData().size(), old != null && old.isOf(frame) ? old.json() : null,
                    binaryMessage(frame));
        }).binary();
    }

    /**
     * What both forms say of a frame besides its bytes. {@code timing} has the microseconds since
     * the epoch at which the browser captured it, the runner sent it, the control plane relayed it
     * and this edge made its message: with the viewer's own clock, where the frame's time went.
     */
    private static ObjectNode header(Frame f) {
        ObjectNode n = SessionJson.MAPPER.createObjectNode();
        n.put("type", "frame");
        n.put("format", "jpeg");
        n.put("width", f.getWidth());
        n.put("height", f.getHeight());
        n.put("seq", f.getSeq());
        n.put("capturedAt", f.getCaptureTimeUnixUs() / 1000);
        n.putObject("timing")
                .put("capturedUs", f.getCaptureTimeUnixUs())
                .put("runnerSentUs", f.getRunnerSentUnixUs())
                .put("relayedUs", f.getRelayedUnixUs())
                .put("edgeUs", dev.mbi.relay.UnixMicros.now());
        return n;
    }

    static String text(Frame f) {
        ObjectNode n = header(f);
        n.put("data", java.util.Base64.getEncoder().encodeToString(f.getData().toByteArray()));
        return n.toString();
    }

    static byte[] binaryMessage(Frame f) {
        byte[] header = header(f).toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(4 + header.length + f.getData().size());
        out.putInt(header.length).put(header);
        f.getData().copyTo(out);
        return out.array();
    }

    /** The session has no viewer here any more: its last frame's messages go. */
    void forget(String sessionId) {
        latest.remove(sessionId);
    }

    /** Frames encoded so far (each form counts). */
    long encodings() {
        return encodings.get();
    }

    int sessionsHeld() {
        return latest.size();
    }
}
