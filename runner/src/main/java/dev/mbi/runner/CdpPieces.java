package dev.mbi.runner;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * How one DevTools message travels on the runner's stream (CdpData): its UTF-8 bytes cut into
 * pieces of at most {@value #PIECE_BYTES} bytes, in order, the last one marked. Bytes are cut,
 * not characters: the receiver joins the bytes before it decodes them.
 */
final class CdpPieces {
    /** The largest piece on the stream. */
    static final int PIECE_BYTES = 256 * 1024;
    /** The largest whole message either way. */
    static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

    private CdpPieces() {
    }

    /** The pieces of one message, in order; an empty message is one empty piece. */
    static List<ByteString> split(byte[] message) {
        List<ByteString> pieces = new ArrayList<>(message.length / PIECE_BYTES + 1);
        int at = 0;
        do {
            int length = Math.min(PIECE_BYTES, message.length - at);
            pieces.add(ByteString.copyFrom(message, at, length));
            at += length;
        } while (at < message.length);
        return pieces;
    }

    /** The message was larger than {@link #MAX_MESSAGE_BYTES}. */
    static final class TooLarge extends Exception {
        TooLarge() {
            super("a DevTools message was larger than " + (MAX_MESSAGE_BYTES >> 20) + " MiB");
        }
    }

    /** Joins the pieces of one client's messages, one message at a time. Not thread-safe: one stream feeds it. */
    static final class Assembler {
        private final ByteArrayOutputStream message = new ByteArrayOutputStream();

        /** Adds a piece; returns the whole message when this piece completes it. */
        Optional<byte[]> add(ByteString piece, boolean last) throws TooLarge {
            if ((long) message.size() + piece.size() > MAX_MESSAGE_BYTES) {
                message.reset();
                throw new TooLarge();
            }
            if (last && message.size() == 0) {
                return Optional.of(piece.toByteArray());
            }
            message.writeBytes(piece.toByteArray());
            if (!last) {
                return Optional.empty();
            }
            byte[] whole = message.toByteArray();
            message.reset();
            return Optional.of(whole);
        }
    }
}
