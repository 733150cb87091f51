package dev.mbi.egress;

/**
 * An HTTP proxy the egress proxy sends every allowed connection through ({@code EGRESS_PROXY},
 * {@code host:port}). It is asked to {@code CONNECT} to the very address the policy checked, never
 * to a name, so it cannot resolve a name differently; it must therefore allow CONNECT to port 80
 * as well as 443, since plain HTTP goes through it the same way.
 */
public record UpstreamProxy(String host, int port) {

    public UpstreamProxy {
        HostName.parse(host);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is outside 1..65535");
        }
    }

    /** Reads {@code host:port}, {@code [v6]:port}, optionally after {@code http://}. */
    public static UpstreamProxy parse(String text) {
        String t = text.trim();
        if (t.regionMatches(true, 0, "http://", 0, 7)) {
            t = t.substring(7);
        }
        if (t.endsWith("/")) {
            t = t.substring(0, t.length() - 1);
        }
        int colon = t.lastIndexOf(':');
        if (colon <= 0 || t.indexOf(']', colon) >= 0 || !t.substring(colon + 1).matches("\\d{1,5}")) {
            throw new IllegalArgumentException("give the proxy as host:port, e.g. proxy.internal:3128");
        }
        try {
            return new UpstreamProxy(t.substring(0, colon), Integer.parseInt(t.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("give the proxy as host:port (" + e.getMessage() + ")");
        }
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}
