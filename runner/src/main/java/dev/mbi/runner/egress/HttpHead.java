package dev.mbi.runner.egress;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The start line and headers of an HTTP/1.x message, read byte by byte so that nothing after
 * them is consumed: what follows is relayed untouched.
 */
record HttpHead(String startLine, List<Header> headers) {
    /** Largest head accepted (start line and headers). */
    static final int MAX_BYTES = 64 * 1024;
    static final int MAX_HEADERS = 200;

    record Header(String name, String value) {
    }

    /** A message the peer sent that this proxy will not read. */
    static final class MalformedException extends IOException {
        MalformedException(String message) {
            super(message);
        }
    }

    /** Hop-by-hop headers (RFC 9110 7.6.1), and proxy ones; never relayed. */
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "proxy-connection", "keep-alive",
            "proxy-authenticate", "proxy-authorization", "te", "trailer", "upgrade");

    HttpHead {
        headers = List.copyOf(headers);
    }

    /**
     * Reads one head, or returns null when the stream ends before its first byte.
     *
     * @throws MalformedException when it is too large or not HTTP/1.x
     */
    static HttpHead read(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(256);
        List<String> lines = new ArrayList<>();
        int total = 0;
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (total == 0) {
                    return null;
                }
                throw new MalformedException("the connection ended inside the message head");
            }
            if (++total > MAX_BYTES) {
                throw new MalformedException("message head larger than " + MAX_BYTES + " bytes");
            }
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                String text = new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
                line.reset();
                if (text.isEmpty()) {
                    if (lines.isEmpty()) {
                        continue; // RFC 9112 2.2: ignore empty lines before the start line
                    }
                    return parse(lines);
                }
                lines.add(text);
                if (lines.size() > MAX_HEADERS + 1) {
                    throw new MalformedException("more than " + MAX_HEADERS + " header fields");
                }
            } else {
                line.write(b);
            }
        }
    }

    private static HttpHead parse(List<String> lines) throws MalformedException {
        String start = lines.getFirst();
        for (int i = 0; i < start.length(); i++) {
            char c = start.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new MalformedException("control character in the start line");
            }
        }
        List<Header> headers = new ArrayList<>(lines.size() - 1);
        for (String l : lines.subList(1, lines.size())) {
            if (l.startsWith(" ") || l.startsWith("\t")) {
                throw new MalformedException("folded header line");
            }
            int colon = l.indexOf(':');
            if (colon <= 0) {
                throw new MalformedException("header line without a name");
            }
            String name = l.substring(0, colon);
            for (int i = 0; i < name.length(); i++) {
                char c = name.charAt(i);
                if (c <= 0x20 || c >= 0x7f || "\"(),/:;<=>?@[\\]{}".indexOf(c) >= 0) {
                    throw new MalformedException("bad header name");
                }
            }
            String value = l.substring(colon + 1).strip();
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c < 0x20 && c != '\t' || c == 0x7f) {
                    throw new MalformedException("control character in a header value");
                }
            }
            headers.add(new Header(name, value));
        }
        return new HttpHead(start, headers);
    }

    /** The start line's three parts: method, target, version (request) or version, status, reason (response). */
    String[] startParts() throws MalformedException {
        String[] parts = startLine.split(" ", 3);
        if (parts.length < 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new MalformedException("bad start line");
        }
        return parts;
    }

    /** The response's status code, or -1 if this is not an HTTP/1.x status line. */
    int status() {
        String[] parts = startLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || !parts[1].matches("\\d{3}")) {
            return -1;
        }
        return Integer.parseInt(parts[1]);
    }

    /** The headers without hop-by-hop ones, nor those named in Connection, nor {@code drop}. */
    List<Header> endToEnd(String... drop) {
        Set<String> named = headers.stream()
                .filter(h -> h.name().equalsIgnoreCase("connection") || h.name().equalsIgnoreCase("proxy-connection"))
                .flatMap(h -> List.of(h.value().split(",")).stream())
                .map(s -> s.trim().toLowerCase(Locale.ROOT))
                .collect(Collectors.toSet());
        Set<String> dropped = Set.of(drop).stream().map(s -> s.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
        return headers.stream()
                .filter(h -> {
                    String n = h.name().toLowerCase(Locale.ROOT);
                    return !HOP_BY_HOP.contains(n) && !named.contains(n) && !dropped.contains(n);
                })
                .toList();
    }

    /** A head as bytes: start line, headers, blank line. */
    static byte[] encode(String startLine, List<Header> headers) {
        StringBuilder b = new StringBuilder(startLine).append("\r\n");
        for (Header h : headers) {
            b.append(h.name()).append(": ").append(h.value()).append("\r\n");
        }
        return b.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }
}
