package dev.mbi.runner.egress;

import dev.mbi.egress.Cidr;
import dev.mbi.runner.egress.Decision.Reason;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;

/** The ranges the egress policy denies by default, and the IPv4 addresses hidden inside IPv6 ones. */
final class SpecialAddresses {

    private record Range(Cidr cidr, Reason reason) {
        static Range of(String cidr, Reason reason) {
            return new Range(Cidr.parse(cidr), reason);
        }
    }

    /** In order: the first match names the rule (broadcast before the reserved 240/4 around it). */
    private static final List<Range> RANGES = List.of(
            Range.of("0.0.0.0/8", Reason.UNSPECIFIED),
            Range.of("127.0.0.0/8", Reason.LOOPBACK),
            Range.of("10.0.0.0/8", Reason.PRIVATE),
            Range.of("172.16.0.0/12", Reason.PRIVATE),
            Range.of("192.168.0.0/16", Reason.PRIVATE),
            Range.of("100.64.0.0/10", Reason.CGNAT),
            Range.of("169.254.0.0/16", Reason.LINK_LOCAL),
            Range.of("168.63.129.16/32", Reason.METADATA),
            Range.of("192.0.0.0/24", Reason.RESERVED),
            Range.of("198.18.0.0/15", Reason.RESERVED),
            Range.of("224.0.0.0/4", Reason.MULTICAST),
            Range.of("255.255.255.255/32", Reason.BROADCAST),
            Range.of("240.0.0.0/4", Reason.RESERVED),
            Range.of("::/128", Reason.UNSPECIFIED),
            Range.of("::1/128", Reason.LOOPBACK),
            Range.of("fe80::/10", Reason.LINK_LOCAL),
            Range.of("fec0::/10", Reason.PRIVATE),
            Range.of("fc00::/7", Reason.UNIQUE_LOCAL),
            Range.of("ff00::/8", Reason.MULTICAST),
            Range.of("64:ff9b:1::/48", Reason.PRIVATE),
            Range.of("100::/64", Reason.RESERVED));

    private static final Cidr NAT64 = Cidr.parse("64:ff9b::/96");
    private static final Cidr SIX_TO_FOUR = Cidr.parse("2002::/16");

    private SpecialAddresses() {
    }

    /** The built-in rule that denies this very address (not an embedded one), if any. */
    static Optional<Reason> classify(InetAddress address) {
        for (Range range : RANGES) {
            if (range.cidr().contains(address)) {
                return Optional.of(range.reason());
            }
        }
        return Optional.empty();
    }

    /**
     * The IPv4 address an IPv6 address carries and may deliver to: IPv4-mapped
     * ({@code ::ffff:a.b.c.d}), IPv4-compatible ({@code ::a.b.c.d}), NAT64 ({@code 64:ff9b::a.b.c.d})
     * and 6to4 ({@code 2002:AABB:CCDD::}). Teredo is not decoded.
     */
    static Optional<Inet4Address> embeddedIpv4(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return Optional.empty();
        }
        byte[] b = address.getAddress();
        int offset;
        // The JDK turns ::ffff:a.b.c.d into an Inet4Address almost everywhere, but
        // Inet6Address.getByAddress keeps it: look at the bytes, not at a Cidr (which would parse as IPv4).
        boolean zeros80 = true;
        for (int i = 0; i < 10; i++) {
            zeros80 &= b[i] == 0;
        }
        boolean mapped = zeros80 && b[10] == (byte) 0xff && b[11] == (byte) 0xff;
        boolean compatible = zeros80 && b[10] == 0 && b[11] == 0;
        if (mapped || NAT64.contains(address)) {
            offset = 12;
        } else if (compatible) {
            // :: and ::1 are IPv6's own; every other ::a.b.c.d is the old IPv4-compatible form.
            if (classify(address).isPresent()) {
                return Optional.empty();
            }
            offset = 12;
        } else if (SIX_TO_FOUR.contains(address)) {
            offset = 2;
        } else {
            return Optional.empty();
        }
        try {
            return Optional.of((Inet4Address) InetAddress.getByAddress(new byte[] {b[offset], b[offset + 1], b[offset + 2], b[offset + 3]}));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
