package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.mbi.proto.v1.Frame;
import org.junit.jupiter.api.Test;

class FrameMessagesTest {
    private static Frame frame(long seq, String bytes) {
        return Frame.newBuilder().setSeq(seq).setWidth(4).setHeight(2).setData(ByteString.copyFromUtf8(bytes)).build();
    }

    @Test
    void aFrameIsEncodedOnceForEveryViewerOfItsSession() throws Exception {
        FrameMessages messages = new FrameMessages();
        String first = messages.json("s1", frame(7, "jpeg-7"));
        assertSame(first, messages.json("s1", frame(7, "jpeg-7")), "the second viewer gets the same text");
        assertEquals(1, messages.encodings());
        var json = SessionJson.MAPPER.readTree(first);
        assertEquals("frame", json.get("type").asText());
        assertEquals(7, json.get("seq").asLong());
        assertEquals("jpeg-7", new String(java.util.Base64.getDecoder().decode(json.get("data").asText())));
    }

    @Test
    void aNewFrameOrAnotherSessionIsEncodedAgain() {
        FrameMessages messages = new FrameMessages();
        String seven = messages.json("s1", frame(7, "jpeg-7"));
        String eight = messages.json("s1", frame(8, "jpeg-8"));
        assertNotSame(seven, eight);
        assertTrue(eight.contains("\"seq\":8"));
        messages.json("s2", frame(8, "other"));
        assertTrue(messages.json("s2", frame(8, "other")).contains(java.util.Base64.getEncoder().encodeToString("other".getBytes())));
        assertEquals(3, messages.encodings());
        // Same number, other bytes (a runner that started over): encoded again, not served stale.
        assertTrue(messages.json("s1", frame(8, "jpeg-8b")).contains(java.util.Base64.getEncoder().encodeToString("jpeg-8b".getBytes())));
        assertEquals(4, messages.encodings());
    }

    @Test
    void forgettingASessionDropsItsText() {
        FrameMessages messages = new FrameMessages();
        messages.json("s1", frame(1, "a"));
        messages.json("s2", frame(1, "b"));
        messages.forget("s1");
        assertEquals(1, messages.sessionsHeld());
    }

    @Test
    void theBinaryFormIsALengthTheHeaderAndTheJpegMadeOncePerFrame() throws Exception {
        FrameMessages messages = new FrameMessages();
        Frame f = Frame.newBuilder().setSeq(9).setWidth(1280).setHeight(720).setCaptureTimeUnixUs(5_000_000)
                .setData(ByteString.copyFrom(new byte[] {(byte) 0xFF, (byte) 0xD8, 1, 2, 3})).build();
        byte[] binary = messages.binary("s1", f);
        assertSame(binary, messages.binary("s1", f));
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(binary);
        int headerLength = in.getInt();
        byte[] header = new byte[headerLength];
        in.get(header);
        var json = SessionJson.MAPPER.readTree(header);
        assertEquals("frame", json.get("type").asText());
        assertEquals(9, json.get("seq").asLong());
        assertEquals(1280, json.get("width").asInt());
        assertEquals(5000, json.get("capturedAt").asLong());
        assertTrue(json.get("data") == null, "no base64 in the binary form");
        byte[] jpeg = new byte[in.remaining()];
        in.get(jpeg);
        assertEquals(java.util.List.of((byte) 0xFF, (byte) 0xD8, (byte) 1, (byte) 2, (byte) 3),
                java.util.List.of(jpeg[0], jpeg[1], jpeg[2], jpeg[3], jpeg[4]));
        // A text viewer of the same session gets the same frame as text, also made once.
        String text = messages.json("s1", f);
        assertSame(text, messages.json("s1", f));
        assertSame(binary, messages.binary("s1", f), "both forms are kept for the frame");
        assertEquals(2, messages.encodings());
    }
}
