package dev.mbi.edge;

import dev.mbi.proto.v1.Frame;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Frames as WebSocket messages, encoded (base64 and JSON) once per frame on this edge however many
 * viewers its session has here: each viewer's stream delivers the same frame, and the last one
 * encoded for the session is reused when the sequence number and size match.
 */
final class FrameMessages {
    private record Encoded(long seq, int size, String json) {
    }

    private final ConcurrentHashMap<String, Encoded> latest = new ConcurrentHashMap<>();
    private final AtomicLong encodings = new AtomicLong();

    String json(String sessionId, Frame frame) {
        return latest.compute(sessionId, (id, old) -> {
            if (old != null && old.seq() == frame.getSeq() && old.size() == frame.getData().size()) {
                return old;
            }
            encodings.incrementAndGet();
            return new Encoded(frame.getSeq(), frame.getData().size(), ViewerSocket.frameMessage(frame));
        }).json();
    }

    /** The session has no viewer here any more: its last frame's text goes. */
    void forget(String sessionId) {
        latest.remove(sessionId);
    }

    /** Frames encoded so far. */
    long encodings() {
        return encodings.get();
    }

    int sessionsHeld() {
        return latest.size();
    }
}
