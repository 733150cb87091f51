package dev.mbi.controlplane.core;

import java.nio.charset.StandardCharsets;

/**
 * The sizes the control plane keeps: what a caller may send is refused beyond them, what a runner
 * reports (a page may grow its title without end) is cut to them, so that one session never
 * makes every listing large.
 */
public final class Limits {
    /** A URL a session is created with, or a viewer navigates to (UTF-8 bytes). */
    public static final int MAX_URL_BYTES = 2 * 1024;
    /** The page's address as stored and shown. */
    public static final int MAX_CURRENT_URL_BYTES = 8 * 1024;
    /** The page's title as stored and shown. */
    public static final int MAX_TITLE_BYTES = 1024;
    /** Why a session ended in error, and other texts a runner reports. */
    public static final int MAX_REASON_BYTES = 1024;
    /** The owner a session is recorded with. */
    public static final int MAX_OWNER_BYTES = 256;

    private Limits() {
    }

    static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    /** The longest prefix of {@code s} that is at most {@code maxBytes} in UTF-8, never splitting a character. */
    public static String truncate(String s, int maxBytes) {
        if (s == null) {
            return "";
        }
        if (s.length() * 3 <= maxBytes || utf8Length(s) <= maxBytes) {
            return s;
        }
        int n = 0;
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            int len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (n + len > maxBytes) {
                break;
            }
            n += len;
            i += Character.charCount(cp);
        }
        String cut = s.substring(0, i);
        assert cut.getBytes(StandardCharsets.UTF_8).length <= maxBytes;
        return cut;
    }
}
