package dev.mbi.egress;

/**
 * A host in an allow or deny list: an exact name ({@code example.com}, also an address literal
 * such as {@code 192.0.2.7}) or {@code *.suffix}, which matches every name under the suffix but
 * not the suffix itself ({@code *.example.com} matches {@code a.example.com} and
 * {@code a.b.example.com}, not {@code example.com}: list both to allow both).
 */
public record HostPattern(String name, boolean subdomains) {

    /** @throws IllegalArgumentException when the text is neither a host nor {@code *.host} */
    public static HostPattern parse(String text) {
        String t = text.trim();
        boolean wildcard = t.startsWith("*.");
        String host = wildcard ? t.substring(2) : t;
        HostName parsed;
        try {
            parsed = HostName.parse(host);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("\"" + text + "\" is not a host or *.host (" + e.getMessage() + ")");
        }
        if (wildcard && parsed.isLiteral()) {
            throw new IllegalArgumentException("\"" + text + "\": *. goes before a name, not an address");
        }
        return new HostPattern(parsed.name(), wildcard);
    }

    public boolean matches(HostName host) {
        if (subdomains) {
            return !host.isLiteral() && host.name().endsWith("." + name);
        }
        return host.name().equals(name);
    }

    @Override
    public String toString() {
        return subdomains ? "*." + name : name;
    }
}
