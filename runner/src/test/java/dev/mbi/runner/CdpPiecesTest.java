package dev.mbi.runner;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CdpPiecesTest {

    @Test
    void aMessageIsCutIntoBoundedPiecesAndJoinedWholeEvenAcrossMultiByteCharacters() throws Exception {
        // 3-byte characters: piece borders fall inside them.
        String text = "{\"v\":\"" + "€".repeat(CdpPieces.PIECE_BYTES) + "\"}";
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        List<ByteString> pieces = CdpPieces.split(bytes);
        assertEquals(4, pieces.size());
        assertTrue(pieces.stream().allMatch(p -> p.size() <= CdpPieces.PIECE_BYTES));
        CdpPieces.Assembler assembler = new CdpPieces.Assembler();
        for (int i = 0; i < pieces.size() - 1; i++) {
            assertEquals(Optional.empty(), assembler.add(pieces.get(i), false));
        }
        byte[] whole = assembler.add(pieces.get(pieces.size() - 1), true).orElseThrow();
        assertEquals(text, new String(whole, StandardCharsets.UTF_8));
        // The next message starts afresh.
        assertArrayEquals("{}".getBytes(StandardCharsets.UTF_8), assembler.add(ByteString.copyFromUtf8("{}"), true).orElseThrow());
        assertEquals(1, CdpPieces.split(new byte[0]).size());
    }

    @Test
    void aMessageOverTheLimitIsRefused() {
        CdpPieces.Assembler assembler = new CdpPieces.Assembler();
        ByteString piece = ByteString.copyFrom(new byte[CdpPieces.PIECE_BYTES]);
        assertThrows(CdpPieces.TooLarge.class, () -> {
            for (int i = 0; i <= CdpPieces.MAX_MESSAGE_BYTES / CdpPieces.PIECE_BYTES; i++) {
                assembler.add(piece, false);
            }
        });
    }
}
