package dev.mbi.egress;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Arrays;

/**
 * A range of addresses, {@code 10.0.0.0/8} or {@code fd00::/8}; a bare address is a range of one.
 * IPv4 ranges match IPv4 addresses, IPv6 ranges IPv6 addresses; the policy compares the IPv4
 * address embedded in an IPv6 one ({@code ::ffff:10.0.0.1}) with IPv4 ranges itself.
 */
public record Cidr(InetAddress network, int prefix) {

    public Cidr {
        int bits = network.getAddress().length * 8;
        if (prefix < 0 || prefix > bits) {
            throw new IllegalArgumentException("prefix /" + prefix + " is outside 0.." + bits);
        }
        network = masked(network, prefix);
    }

    /** A single address. */
    public static Cidr of(InetAddress address) {
        return new Cidr(address, address.getAddress().length * 8);
    }

    /**
     * Reads {@code address/prefix} or a bare address; the address may be spelled as a URL host
     * ({@code [::1]}, {@code 0x7f.1}). Bits past the prefix are ignored.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static Cidr parse(String text) {
        String t = text.trim();
        int slash = t.indexOf('/');
        String addressPart = slash < 0 ? t : t.substring(0, slash);
        HostName host;
        try {
            host = HostName.parse(addressPart);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("\"" + text + "\" is not an address range (" + e.getMessage() + ")");
        }
        InetAddress address = host.literal().orElseThrow(() ->
                new IllegalArgumentException("\"" + text + "\" is not an address range: give an address, e.g. 10.0.0.0/8 or fd00::/8"));
        if (slash < 0) {
            return of(address);
        }
        String prefixPart = t.substring(slash + 1);
        if (!prefixPart.matches("\\d{1,3}")) {
            throw new IllegalArgumentException("\"" + text + "\" has no valid prefix length after '/'");
        }
        int prefix = Integer.parseInt(prefixPart);
        // "::ffff:10.0.0.0/104" comes back from the parser as an IPv4 address: take the IPv4 part of the prefix.
        if (address instanceof Inet4Address && addressPart.indexOf(':') >= 0) {
            prefix -= 96;
        }
        try {
            return new Cidr(address, prefix);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("\"" + text + "\": " + e.getMessage());
        }
    }

    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        byte[] n = network.getAddress();
        if (a.length != n.length) {
            return false;
        }
        int full = prefix / 8;
        for (int i = 0; i < full; i++) {
            if (a[i] != n[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xFF << (8 - rest)) & 0xFF;
        return (a[full] & mask) == (n[full] & mask);
    }

    @Override
    public String toString() {
        return network.getHostAddress() + "/" + prefix;
    }

    private static InetAddress masked(InetAddress address, int prefix) {
        byte[] b = address.getAddress();
        byte[] m = Arrays.copyOf(b, b.length);
        for (int i = 0; i < m.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - i * 8));
            m[i] = (byte) (m[i] & ((0xFF << (8 - keep)) & 0xFF));
        }
        try {
            return Arrays.equals(b, m) ? address : InetAddress.getByAddress(m);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
