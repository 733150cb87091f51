package dev.mbi.runner.egress;

import dev.mbi.egress.HostName;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Hosts are read as a URL parser (WHATWG, Chromium) reads them, not as the JDK or libc would. */
class EgressHostNameTest {

    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource({
            "127.0.0.1, 127.0.0.1",
            "2130706433, 127.0.0.1",
            "0x7f000001, 127.0.0.1",
            "0X7F000001, 127.0.0.1",
            "017700000001, 127.0.0.1",
            "0177.0.0.1, 127.0.0.1",      // octal, where InetAddress.getByName says 177.0.0.1
            "0x7f.0.0.1, 127.0.0.1",
            "0x7f.1, 127.0.0.1",
            "127.1, 127.0.0.1",
            "127.0.1, 127.0.0.1",
            "127.000.000.001, 127.0.0.1", // leading zeros: octal, still 127.0.0.1
            "127.0.0.1., 127.0.0.1",      // one trailing dot
            "0, 0.0.0.0",
            "0.0.0.0, 0.0.0.0",
            "0x, 0.0.0.0",
            "169.254.169.254, 169.254.169.254",
            "0xa9.0xfe.0xa9.0xfe, 169.254.169.254",
            "2852039166, 169.254.169.254",
            "10.1, 10.0.0.1",
            "0xc0.0250.1, 192.168.0.1",
            "4294967295, 255.255.255.255",
    })
    void ipv4SpellingsAreAddresses(String host, String address) {
        HostName h = HostName.parse(host);
        assertTrue(h.isLiteral(), host);
        assertEquals(address, h.literal().orElseThrow().getHostAddress());
        assertEquals(address, h.name());
    }

    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource({
            "[::1], 0:0:0:0:0:0:0:1",
            "::1, 0:0:0:0:0:0:0:1",
            "[0:0:0:0:0:0:0:1], 0:0:0:0:0:0:0:1",
            "[::], 0:0:0:0:0:0:0:0",
            "[::ffff:127.0.0.1], 127.0.0.1",
            "[::ffff:7f00:1], 127.0.0.1",
            "[::FFFF:169.254.169.254], 169.254.169.254",
            "[fe80::1], fe80:0:0:0:0:0:0:1",
            "[fd00:ec2::254], fd00:ec2:0:0:0:0:0:254",
            "[64:ff9b::7f00:1], 64:ff9b:0:0:0:0:7f00:1",
    })
    void ipv6Literals(String host, String address) {
        HostName h = HostName.parse(host);
        assertEquals(address, h.literal().orElseThrow().getHostAddress());
    }

    @Test
    void ipv6IsWrittenInBracketsForUrls() {
        assertEquals("[0:0:0:0:0:0:0:1]", HostName.parse("[::1]").forUrl());
        assertEquals("127.0.0.1", HostName.parse("[::ffff:127.0.0.1]").forUrl());
    }

    @ParameterizedTest
    @CsvSource({
            "Example.COM, example.com",
            "example.com., example.com",
            "localhost, localhost",
            "a-b_c.example, a-b_c.example",
            "1.2.3.example, 1.2.3.example",
            "0x7f.example, 0x7f.example",
            "bücher.example, xn--bcher-kva.example",
    })
    void namesAreCanonical(String host, String name) {
        HostName h = HostName.parse(host);
        assertFalse(h.isLiteral());
        assertEquals(name, h.name());
    }

    @Test
    void fullWidthDigitsAreAnAddress() {
        // UTS 46 maps full-width digits and dots to ASCII, as Chromium does.
        assertEquals("127.0.0.1", HostName.parse("\uff11\uff12\uff17\uff0e\uff10\uff0e\uff10\uff0e\uff11").name());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "", "256.0.0.1", "1.2.3.4.5", "4294967296", "0x100000000", "08.0.0.1", "0x7g.1", "1.2.3.256",
            "example.0x10", "foo.123", "127.0.0.1..", "[::1", "::1]", "[fe80::1%25lo]", "fe80::1%lo", "[::1]x", "[:::]",
            "exa mple.com", "exa/mple.com", "a@b", "-%2e.com", "a..b", ".", "..", "-1.0.0.1",
    })
    void invalidHostsAreRefused(String host) {
        assertThrows(IllegalArgumentException.class, () -> HostName.parse(host));
    }
}
