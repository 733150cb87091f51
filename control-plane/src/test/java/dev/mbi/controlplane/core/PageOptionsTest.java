package dev.mbi.controlplane.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PageOptionsTest {
    private static String refusal(PageOptions options) {
        SessionException e = assertThrows(SessionException.class, options::checked);
        assertEquals(SessionException.Reason.INVALID, e.reason());
        return e.getMessage();
    }

    @Test
    void sensibleOptionsPassAndTheOperatorsViewportIsTheDefault() throws Exception {
        PageOptions asked = new PageOptions(390, 844, "Mozilla/5.0 (agent)", "de-DE", "Europe/Berlin").checked();
        assertEquals(390, asked.viewportOr(1280, 720).width());
        assertEquals(1280, PageOptions.DEFAULT.checked().viewportOr(1280, 720).width());
        new PageOptions(0, 0, "", "zh-Hant-TW", "America/New_York").checked();
    }

    @Test
    void eachBadOptionIsNamed() {
        assertTrue(refusal(new PageOptions(10, 10, "", "", "")).startsWith("viewport: viewport 10x10 is outside"));
        assertTrue(refusal(new PageOptions(99_999, 720, "", "", "")).startsWith("viewport:"));
        assertTrue(refusal(new PageOptions(0, 0, "a\r\nX-Injected: 1", "", "")).contains("control characters"));
        assertTrue(refusal(new PageOptions(0, 0, "x".repeat(513), "", "")).contains("longer than 512"));
        assertTrue(refusal(new PageOptions(0, 0, "", "not a locale!", "")).contains("is not a language tag"));
        assertTrue(refusal(new PageOptions(0, 0, "", "", "Mars/Olympus")).contains("is not an IANA time zone"));
        assertTrue(refusal(new PageOptions(0, 0, "", "", "+02:00")).contains("is not an IANA time zone"));
    }
}
