package dev.mbi.edge;

import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the file parts of a multipart/form-data body as a stream (RFC 7578): each part's
 * headers, then its bytes in pieces handed to a consumer, never a whole file in memory. Only what
 * an upload form sends is understood; anything else is refused with 400.
 */
final class MultipartFiles {
    /** What one part is, from its headers. */
    record Part(String field, String fileName, String contentType) {
    }

    interface Consumer {
        void start(Part part) throws ApiException;

        void bytes(byte[] data, int length) throws ApiException;

        void end(Part part) throws ApiException;
    }

    private static final Pattern BOUNDARY = Pattern.compile("(?i)boundary=(?:\"([^\"]{1,70})\"|([^;\\s]{1,70}))");
    private static final Pattern NAME = Pattern.compile("(?i)(?:^|;)\\s*name=\"([^\"]*)\"");
    private static final Pattern FILE_NAME = Pattern.compile("(?i)(?:^|;)\\s*filename=\"([^\"]*)\"");
    private static final int MAX_HEADER_BYTES = 8 * 1024;
    private static final int PIECE = 64 * 1024;

    private MultipartFiles() {
    }

    static String boundary(Optional<String> contentType) throws ApiException {
        String type = contentType.orElse("");
        if (!type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
            throw new ApiException(415, "Content-Type must be multipart/form-data (a form with files)");
        }
        Matcher m = BOUNDARY.matcher(type);
        if (!m.find()) {
            throw ApiException.badRequest("multipart/form-data needs a boundary");
        }
        return m.group(1) != null ? m.group(1) : m.group(2);
    }

    /** Reads every part, in order; returns how many there were. */
    static int read(InputStream body, String boundary, Consumer consumer) throws ApiException, IOException {
        byte[] delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        PushbackInputStream in = new PushbackInputStream(body, delimiter.length + PIECE);
        // The body starts with the first delimiter (without the CRLF before it).
        skipPreamble(in, ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1));
        int parts = 0;
        while (true) {
            int a = in.read();
            int b = in.read();
            if (a == '-' && b == '-') {
                return parts; // the closing delimiter
            }
            if (a != '\r' || b != '\n') {
                throw ApiException.badRequest("malformed multipart body: a delimiter must end its line");
            }
            Part part = headers(in);
            consumer.start(part);
            copyUntil(in, delimiter, consumer);
            consumer.end(part);
            parts++;
        }
    }

    private static void skipPreamble(PushbackInputStream in, byte[] first) throws IOException, ApiException {
        byte[] start = in.readNBytes(first.length);
        if (!java.util.Arrays.equals(start, first)) {
            throw ApiException.badRequest("malformed multipart body: it must start with its boundary");
        }
    }

    private static Part headers(InputStream in) throws IOException, ApiException {
        StringBuilder headers = new StringBuilder();
        int n = 0;
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw ApiException.badRequest("malformed multipart body: it ends inside a part's headers");
            }
            headers.append((char) c);
            if (++n > MAX_HEADER_BYTES) {
                throw ApiException.badRequest("a part's headers are longer than " + MAX_HEADER_BYTES + " bytes");
            }
            if (n >= 4 && headers.substring(n - 4).equals("\r\n\r\n")) {
                break;
            }
        }
        String field = "";
        String fileName = null;
        String type = "application/octet-stream";
        for (String line : new String(headers.toString().getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8).split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            if (name.equals("content-disposition")) {
                Matcher f = NAME.matcher(value);
                field = f.find() ? f.group(1) : "";
                Matcher fn = FILE_NAME.matcher(value);
                fileName = fn.find() ? fn.group(1) : null;
            } else if (name.equals("content-type")) {
                type = value;
            }
        }
        if (fileName == null) {
            throw ApiException.badRequest("every part must be a file (Content-Disposition with a filename)");
        }
        return new Part(field, fileName, type);
    }

    /** Hands the part's bytes to the consumer up to the next delimiter, which is consumed. */
    private static void copyUntil(PushbackInputStream in, byte[] delimiter, Consumer consumer) throws IOException, ApiException {
        byte[] buffer = new byte[PIECE + delimiter.length];
        while (true) {
            int filled = in.readNBytes(buffer, 0, buffer.length);
            int at = indexOf(buffer, filled, delimiter);
            if (at >= 0) {
                if (at > 0) {
                    consumer.bytes(buffer, at);
                }
                in.unread(buffer, at + delimiter.length, filled - at - delimiter.length);
                return;
            }
            if (filled < delimiter.length) {
                throw ApiException.badRequest("malformed multipart body: a part does not end with its boundary");
            }
            // Keep the tail: a delimiter may start in it.
            int safe = filled - delimiter.length + 1;
            consumer.bytes(buffer, safe);
            in.unread(buffer, safe, filled - safe);
        }
    }

    private static int indexOf(byte[] data, int length, byte[] pattern) {
        outer:
        for (int i = 0; i + pattern.length <= length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
