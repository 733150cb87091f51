package dev.mbi.egress;

import java.net.IDN;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A host as a URL parser reads it: either an address literal or a DNS name. Parsing follows the
 * WHATWG URL standard (what Chromium does), not {@link InetAddress#getByName}: a host whose last
 * label is a number is an IPv4 address in any of its spellings ({@code 2130706433},
 * {@code 0x7f.1}, {@code 0177.0.0.1} = 127.0.0.1, where the JDK would read 177.0.0.1), or invalid;
 * it is never sent to DNS, whose resolver might read it yet another way.
 *
 * @param name the canonical form: a lower-case ASCII name without a trailing dot, or the
 *             address's {@link InetAddress#getHostAddress()} for a literal
 * @param literal the address, when the host is an address literal
 */
public record HostName(String name, Optional<InetAddress> literal) {
    private static final int MAX_LENGTH = 253;

    /**
     * Reads a host as it appears in a URL or a CONNECT authority: IPv6 literals in brackets
     * ({@code [::1]}), or bare when they contain a colon.
     *
     * @throws IllegalArgumentException when no URL parser would accept it
     */
    public static HostName parse(String host) {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("empty host");
        }
        if (host.startsWith("[") || host.indexOf(':') >= 0) {
            InetAddress v6 = ipv6(host);
            return new HostName(v6.getHostAddress(), Optional.of(v6));
        }
        String ascii;
        try {
            ascii = IDN.toASCII(host, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("host " + quote(host) + " is not a valid name");
        }
        if (endsInNumber(ascii)) {
            InetAddress v4 = ipv4(ascii);
            return new HostName(v4.getHostAddress(), Optional.of(v4));
        }
        if (ascii.endsWith(".")) {
            ascii = ascii.substring(0, ascii.length() - 1);
        }
        if (ascii.isEmpty() || ascii.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("host " + quote(host) + " is not a valid name");
        }
        for (String label : ascii.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63) {
                throw new IllegalArgumentException("host " + quote(host) + " has an empty or overlong label");
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_')) {
                    throw new IllegalArgumentException("host " + quote(host) + " contains " + quote(String.valueOf(c)));
                }
            }
        }
        return new HostName(ascii, Optional.empty());
    }

    /** Whether this is an address literal. */
    public boolean isLiteral() {
        return literal.isPresent();
    }

    /** As written in a URL or a CONNECT authority: IPv6 literals in brackets. */
    public String forUrl() {
        return literal.filter(a -> a instanceof Inet6Address).isPresent() ? "[" + name + "]" : name;
    }

    @Override
    public String toString() {
        return forUrl();
    }

    private static InetAddress ipv6(String host) {
        boolean bracketed = host.startsWith("[") && host.endsWith("]") && host.length() > 2;
        if (host.startsWith("[") != bracketed) {
            throw new IllegalArgumentException("host " + quote(host) + " has an unmatched bracket");
        }
        String bare = bracketed ? host.substring(1, host.length() - 1) : host;
        for (int i = 0; i < bare.length(); i++) {
            char c = bare.charAt(i);
            // No zone ids ("%eth0"): URLs do not carry them, and they pick an interface, not a host.
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.')) {
                throw new IllegalArgumentException("host " + quote(host) + " is not a valid IPv6 address");
            }
        }
        try {
            // In brackets the JDK parses an IPv6 literal or fails; it never looks the text up.
            // IPv4-mapped literals (::ffff:127.0.0.1) come back as the IPv4 address.
            return InetAddress.getByName("[" + bare + "]");
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("host " + quote(host) + " is not a valid IPv6 address");
        }
    }

    /** WHATWG "ends in a number": the last label (after one trailing dot) is digits, or an IPv4 number. */
    private static boolean endsInNumber(String host) {
        List<String> parts = new ArrayList<>(List.of(host.split("\\.", -1)));
        if (parts.getLast().isEmpty()) {
            if (parts.size() == 1) {
                return false;
            }
            parts.removeLast();
        }
        String last = parts.getLast();
        if (!last.isEmpty() && last.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return true;
        }
        return ipv4Number(last) >= 0;
    }

    /** The WHATWG IPv4 parser: one to four parts, each decimal, octal (leading 0) or hex (0x). */
    private static InetAddress ipv4(String host) {
        List<String> parts = new ArrayList<>(List.of(host.split("\\.", -1)));
        if (parts.getLast().isEmpty() && parts.size() > 1) {
            parts.removeLast();
        }
        if (parts.size() > 4) {
            throw new IllegalArgumentException("host " + quote(host) + " is not a valid IPv4 address (more than four parts)");
        }
        long[] numbers = new long[parts.size()];
        for (int i = 0; i < numbers.length; i++) {
            numbers[i] = ipv4Number(parts.get(i));
            if (numbers[i] < 0) {
                throw new IllegalArgumentException("host " + quote(host) + " is not a valid IPv4 address");
            }
            if (i < numbers.length - 1 && numbers[i] > 255) {
                throw new IllegalArgumentException("host " + quote(host) + " is not a valid IPv4 address (part over 255)");
            }
        }
        long last = numbers[numbers.length - 1];
        if (last >= 1L << (8 * (5 - numbers.length))) {
            throw new IllegalArgumentException("host " + quote(host) + " is not a valid IPv4 address (out of range)");
        }
        long value = last;
        for (int i = 0; i < numbers.length - 1; i++) {
            value += numbers[i] << (8 * (3 - i));
        }
        byte[] bytes = {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value};
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One IPv4 part, or -1 when it is not a number (or too large to matter: anything over 2^32 fails anyway). */
    private static long ipv4Number(String part) {
        if (part.isEmpty()) {
            return -1;
        }
        int radix = 10;
        String digits = part;
        if (part.length() >= 2 && (part.startsWith("0x") || part.startsWith("0X"))) {
            radix = 16;
            digits = part.substring(2);
        } else if (part.length() >= 2 && part.startsWith("0")) {
            radix = 8;
            digits = part.substring(1);
        }
        if (digits.isEmpty()) {
            return 0;
        }
        long n = 0;
        for (int i = 0; i < digits.length(); i++) {
            char c = digits.charAt(i);
            int d = c >= '0' && c <= '9' ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                    : 99;
            if (d >= radix) {
                return -1;
            }
            n = n * radix + d;
            if (n > 0xFFFF_FFFFL) {
                n = 0x1_0000_0000L; // too large for any IPv4 part; keep scanning for bad digits
            }
        }
        return n;
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length() && i < 100; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c));
        }
        return b.append(s.length() > 100 ? "…\"" : "\"").toString();
    }
}
