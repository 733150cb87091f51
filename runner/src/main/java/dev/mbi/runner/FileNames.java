package dev.mbi.runner;

import java.net.URLConnection;
import java.util.Optional;

/** Names of files that cross the isolation boundary: made safe to use as one path element, and typed. */
final class FileNames {
    private static final int MAX_LENGTH = 200;

    private FileNames() {
    }

    /**
     * The last path element of a name from outside (a page or a viewer), without control characters;
     * empty when nothing usable is left ("", ".", ".."), so that no name ever leaves its folder.
     */
    static Optional<String> safe(String name) {
        String last = name == null ? "" : name.substring(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
        StringBuilder clean = new StringBuilder();
        last.codePoints().filter(c -> c >= 0x20 && c != 0x7f).forEach(clean::appendCodePoint);
        String s = clean.toString().strip();
        if (s.length() > MAX_LENGTH) {
            s = s.substring(s.length() - MAX_LENGTH); // the end keeps the extension
        }
        return s.isEmpty() || s.equals(".") || s.equals("..") ? Optional.empty() : Optional.of(s);
    }

    /** The type a file's name suggests, or application/octet-stream. */
    static String mime(String name) {
        String guessed = URLConnection.getFileNameMap().getContentTypeFor(name);
        return guessed == null ? "application/octet-stream" : guessed;
    }
}
