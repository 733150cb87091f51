package dev.mbi.runner.egress;

import java.util.Objects;

/**
 * What the egress policy said about one destination, and the rule that said it. Reasons form a
 * small closed set, so a metric can count blocks by {@link Reason#label()} without host labels.
 */
public record Decision(boolean allowed, Reason reason) {

    /** The rule that decided. Only {@link #ALLOWED} allows. */
    public enum Reason {
        ALLOWED("allowed", false),
        /** 127.0.0.0/8, ::1 (and their IPv4-mapped and embedded forms). */
        LOOPBACK("loopback", true),
        /** RFC 1918: 10/8, 172.16/12, 192.168/16; also fec0::/10 and local-use NAT64 64:ff9b:1::/48. */
        PRIVATE("private address", true),
        /** fc00::/7. */
        UNIQUE_LOCAL("unique-local address", true),
        /** 100.64.0.0/10, shared address space (RFC 6598). */
        CGNAT("carrier-grade NAT address", true),
        /** 169.254.0.0/16 (cloud metadata services live here) and fe80::/10. */
        LINK_LOCAL("link-local", false),
        /** Cloud host endpoints outside the link-local range: Azure's 168.63.129.16. */
        METADATA("cloud metadata service", false),
        /** 0.0.0.0/8 and :: (on Linux, connecting to them reaches this machine). */
        UNSPECIFIED("unspecified address", false),
        /** 224.0.0.0/4 and ff00::/8. */
        MULTICAST("multicast", false),
        /** 255.255.255.255. */
        BROADCAST("broadcast", false),
        /** 240.0.0.0/4, 192.0.0.0/24, 198.18.0.0/15 (benchmarking), 100::/64 (discard). */
        RESERVED("reserved address", false),
        /** An address (or address and port) denied when the policy was made: the control plane, the edge, the proxy itself. */
        DENIED_ADDRESS("denied address", false),
        /** A range in EGRESS_DENY_CIDRS. */
        DENIED_RANGE("denied range", false),
        /** A name in EGRESS_DENY_HOSTS or the session's own deny list. */
        DENIED_HOST("denied host", false),
        /** EGRESS_ALLOW_HOSTS is set and does not name this host. */
        NOT_ALLOWED("not on allow-list", false),
        /** A host no URL parser accepts (bad characters, a bad IPv4 number, an IPv6 zone). */
        INVALID_HOST("invalid host", false),
        /** A scheme, method or port the proxy does not carry (only http, and https/ws/wss tunnelled with CONNECT). */
        UNSUPPORTED("unsupported request", false),
        /** A top-level page outside http and https (file:, chrome:, devtools:, data: and the like). */
        SCHEME("scheme not allowed", false);

        private final String label;
        private final boolean privateRange;

        Reason(String label, boolean privateRange) {
            this.label = label;
            this.privateRange = privateRange;
        }

        /** Words for people and a value for metrics, e.g. "private address". */
        public String label() {
            return label;
        }

        /** Whether EGRESS_ALLOW_PRIVATE turns this rule off. */
        boolean privateRange() {
            return privateRange;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    public static final Decision ALLOW = new Decision(true, Reason.ALLOWED);

    public Decision {
        Objects.requireNonNull(reason, "reason");
        if (allowed != (reason == Reason.ALLOWED)) {
            throw new IllegalArgumentException("a decision allows exactly when its reason is ALLOWED: " + reason);
        }
    }

    public static Decision deny(Reason reason) {
        return new Decision(false, reason);
    }

    /** Same as {@code reason().label()}. */
    public String label() {
        return reason.label();
    }
}
