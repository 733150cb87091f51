package dev.mbi.controlplane.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Cutting what runners report to a size in UTF-8 bytes, never in the middle of a character. */
class LimitsTest {
    @Test
    void shortTextsStayAsTheyAre() {
        String s = "Example Domain";
        assertSame(s, Limits.truncate(s, 1024));
        assertEquals("", Limits.truncate(null, 10));
        assertEquals("é".repeat(512), Limits.truncate("é".repeat(512), 1024));
    }

    @Test
    void longTextsAreCutAtACharacterBoundary() {
        assertEquals("abc", Limits.truncate("abcdef", 3));
        // é is 2 bytes: 5 bytes hold two of them.
        assertEquals("éé", Limits.truncate("ééé", 5));
        // 😀 is 4 bytes (a surrogate pair in Java): never split.
        assertEquals("a", Limits.truncate("a😀b", 4));
        assertEquals("a😀", Limits.truncate("a😀b", 5));
        String cut = Limits.truncate("€".repeat(10_000), Limits.MAX_TITLE_BYTES);
        assertEquals(Limits.MAX_TITLE_BYTES / 3 * 3, cut.getBytes(StandardCharsets.UTF_8).length);
        assertEquals(Limits.utf8Length(cut), cut.getBytes(StandardCharsets.UTF_8).length);
    }
}
