package dev.mbi.runner.egress;

import dev.mbi.egress.EgressSettings;
import dev.mbi.egress.Cidr;
import dev.mbi.egress.UpstreamProxy;
import dev.mbi.egress.HostName;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.runner.egress.Decision.Reason;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class EgressPolicyTest {
    private static final EgressPolicy DEFAULTS = EgressPolicy.defaults();
    /** Resolves nothing: literals never reach a resolver. */
    private static final HostResolver NO_DNS = name -> {
        throw new AssertionError("looked up " + name);
    };

    private static InetAddress ip(String literal) {
        return HostName.parse(literal).literal().orElseThrow();
    }

    private static Reason reason(EgressPolicy policy, String literal) {
        return policy.checkAddress(ip(literal)).reason();
    }

    private static Reason evaluate(EgressPolicy policy, String host) throws UnknownHostException {
        return policy.evaluate(host, 443, NO_DNS).decision().reason();
    }

    private static EgressSettings settings(Map<String, String> env) {
        dev.mbi.config.Env e = new dev.mbi.config.Env(env);
        EgressSettings s = EgressSettings.from(e);
        e.requireValid("test");
        return s;
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource({
            // IPv4
            "0.0.0.0, UNSPECIFIED",
            "0.1.2.3, UNSPECIFIED",
            "127.0.0.1, LOOPBACK",
            "127.255.255.254, LOOPBACK",
            "10.0.0.1, PRIVATE",
            "10.255.255.255, PRIVATE",
            "172.16.0.1, PRIVATE",
            "172.31.255.255, PRIVATE",
            "192.168.1.1, PRIVATE",
            "100.64.0.1, CGNAT",
            "100.127.255.255, CGNAT",
            "100.100.100.200, CGNAT",       // Alibaba's metadata service
            "169.254.169.254, LINK_LOCAL",  // AWS, GCP, Azure metadata service
            "169.254.0.1, LINK_LOCAL",
            "168.63.129.16, METADATA",
            "224.0.0.1, MULTICAST",
            "239.255.255.250, MULTICAST",
            "255.255.255.255, BROADCAST",
            "240.0.0.1, RESERVED",
            "192.0.0.170, RESERVED",
            "198.18.0.1, RESERVED",
            // IPv6
            "[::], UNSPECIFIED",
            "[::1], LOOPBACK",
            "[fe80::1], LINK_LOCAL",
            "[febf:ffff::1], LINK_LOCAL",
            "[fec0::1], PRIVATE",
            "[fc00::1], UNIQUE_LOCAL",
            "[fd00:ec2::254], UNIQUE_LOCAL", // AWS's IPv6 metadata service
            "[ff02::1], MULTICAST",
            "[64:ff9b:1::1], PRIVATE",
            "[100::1], RESERVED",
            // IPv6 forms of IPv4 addresses
            "[::ffff:127.0.0.1], LOOPBACK",
            "[::ffff:7f00:1], LOOPBACK",
            "[::ffff:10.1.2.3], PRIVATE",
            "[::ffff:169.254.169.254], LINK_LOCAL",
            "[::ffff:0.0.0.0], UNSPECIFIED",
            "[::127.0.0.1], LOOPBACK",
            "[::7f00:1], LOOPBACK",
            "[::a9fe:a9fe], LINK_LOCAL",
            "[64:ff9b::127.0.0.1], LOOPBACK",
            "[64:ff9b::a00:1], PRIVATE",
            "[2002:7f00:1::], LOOPBACK",
            "[2002:a9fe:a9fe::1], LINK_LOCAL",
            "[2002:c0a8:101::], PRIVATE",
    })
    void builtInRulesDeny(String address, Reason reason) {
        assertEquals(reason, reason(DEFAULTS, address));
        assertFalse(DEFAULTS.checkAddress(ip(address)).allowed());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "1.1.1.1", "8.8.8.8", "93.184.216.34", "172.15.255.255", "172.32.0.1", "100.63.255.255", "100.128.0.1",
            "169.253.255.255", "192.0.1.1", "198.20.0.1", "223.255.255.255", "11.0.0.1", "126.255.255.255", "128.0.0.1",
            "[2606:4700:4700::1111]", "[2001:4860:4860::8888]", "[::ffff:8.8.8.8]", "[64:ff9b::8.8.8.8]", "[2002:808:808::]",
    })
    void publicAddressesAreAllowed(String address) {
        assertEquals(Decision.ALLOW, DEFAULTS.checkAddress(ip(address)));
    }

    @Test
    void mappedAddressKeptAsIpv6IsStillJudgedByItsIpv4() throws Exception {
        byte[] b = new byte[16];
        b[10] = (byte) 0xff;
        b[11] = (byte) 0xff;
        b[12] = 127;
        b[15] = 1;
        InetAddress mapped = Inet6Address.getByAddress(null, b, -1);
        assertTrue(mapped instanceof Inet6Address, "the JDK kept it as IPv6");
        assertEquals(Reason.LOOPBACK, DEFAULTS.checkAddress(mapped).reason());
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource({
            "2130706433, LOOPBACK",
            "0x7f000001, LOOPBACK",
            "0177.0.0.1, LOOPBACK",
            "0x7f.0.0.1, LOOPBACK",
            "0x7f.1, LOOPBACK",
            "127.1, LOOPBACK",
            "[::1], LOOPBACK",
            "[::ffff:127.0.0.1], LOOPBACK",
            "[0:0:0:0:0:ffff:7f00:1], LOOPBACK",
            "0.0.0.0, UNSPECIFIED",
            "0, UNSPECIFIED",
            "2852039166, LINK_LOCAL",
            "0xa9fea9fe, LINK_LOCAL",
            "0251.0376.0251.0376, LINK_LOCAL",
            "[::ffff:a9fe:a9fe], LINK_LOCAL",
            "167772161, PRIVATE",
            "exa mple.com, INVALID_HOST",
            "1.2.3.4.5, INVALID_HOST",
            "08.1.1.1, INVALID_HOST",
            "[fe80::1%eth0], INVALID_HOST",
    })
    void oddSpellingsAreJudgedAsTheAddressTheyAre(String host, Reason reason) throws Exception {
        assertEquals(reason, evaluate(DEFAULTS, host));
    }

    @Test
    void localhostIsLoopbackByWhatItResolvesTo() throws Exception {
        EgressPolicy.Verdict v = DEFAULTS.evaluate("localhost", 80, HostResolver.system());
        assertEquals(Reason.LOOPBACK, v.decision().reason());
        assertFalse(v.addresses().isEmpty());
    }

    @Test
    void everyResolvedAddressIsChecked() throws Exception {
        HostResolver twoFaced = name -> List.of(ip("93.184.216.34"), ip("10.0.0.5"));
        EgressPolicy.Verdict v = DEFAULTS.evaluate("mixed.example", 443, twoFaced);
        assertEquals(Reason.PRIVATE, v.decision().reason());
        assertEquals(2, v.addresses().size());

        EgressPolicy.Verdict ok = DEFAULTS.evaluate("public.example", 443, name -> List.of(ip("93.184.216.34"), ip("[2606:4700::1]")));
        assertTrue(ok.allowed());
        assertEquals(List.of(ip("93.184.216.34"), ip("[2606:4700::1]")), ok.addresses());
    }

    @Test
    void literalsAreNeverLookedUpAndNamesOnlyOnce() throws Exception {
        List<String> lookups = new ArrayList<>();
        HostResolver counting = name -> {
            lookups.add(name);
            return List.of(ip("93.184.216.34"));
        };
        DEFAULTS.evaluate("2130706433", 80, counting);
        DEFAULTS.evaluate("[::1]", 80, counting);
        DEFAULTS.evaluate("Example.COM.", 80, counting);
        assertEquals(List.of("example.com"), lookups);
    }

    @Test
    void unresolvableNamesThrow() {
        assertThrows(UnknownHostException.class, () -> DEFAULTS.evaluate("nx.example", 80, name -> {
            throw new UnknownHostException(name);
        }));
        assertThrows(UnknownHostException.class, () -> DEFAULTS.evaluate("empty.example", 80, name -> List.of()));
    }

    @Test
    void allowPrivateTurnsOffOnlyThePrivateAndLoopbackRules() {
        EgressPolicy dev = EgressPolicy.of(settings(Map.of(EgressSettings.ALLOW_PRIVATE, "true")));
        for (String allowed : List.of("127.0.0.1", "[::1]", "10.0.0.1", "172.16.0.1", "192.168.0.1", "100.64.0.1",
                "[fd00::1]", "[fec0::1]", "[::ffff:127.0.0.1]", "[2002:7f00:1::]")) {
            assertEquals(Decision.ALLOW, dev.checkAddress(ip(allowed)), allowed);
        }
        assertEquals(Reason.LINK_LOCAL, reason(dev, "169.254.169.254"));
        assertEquals(Reason.LINK_LOCAL, reason(dev, "[fe80::1]"));
        assertEquals(Reason.METADATA, reason(dev, "168.63.129.16"));
        assertEquals(Reason.UNSPECIFIED, reason(dev, "0.0.0.0"));
        assertEquals(Reason.MULTICAST, reason(dev, "224.0.0.1"));
        assertEquals(Reason.BROADCAST, reason(dev, "255.255.255.255"));
    }

    @Test
    void allowCidrsOpenARangeAndNothingElse() {
        EgressPolicy p = EgressPolicy.of(settings(Map.of(EgressSettings.ALLOW_CIDRS, "10.1.0.0/16, 127.0.0.2 fd12::/16")));
        assertTrue(p.checkAddress(ip("10.1.2.3")).allowed());
        assertTrue(p.checkAddress(ip("[::ffff:10.1.2.3]")).allowed());
        assertTrue(p.checkAddress(ip("127.0.0.2")).allowed());
        assertTrue(p.checkAddress(ip("[fd12::1]")).allowed());
        assertEquals(Reason.PRIVATE, reason(p, "10.2.0.1"));
        assertEquals(Reason.LOOPBACK, reason(p, "127.0.0.1"));
        assertEquals(Reason.UNIQUE_LOCAL, reason(p, "[fd13::1]"));
    }

    @Test
    void denyRulesWinOverAllowRules() {
        EgressPolicy p = EgressPolicy.of(settings(Map.of(
                EgressSettings.ALLOW_PRIVATE, "true",
                EgressSettings.ALLOW_CIDRS, "10.0.0.0/8",
                EgressSettings.DENY_CIDRS, "10.9.0.0/16,203.0.113.0/24")))
                .denyingAddresses(List.of(ip("10.1.1.1")));
        assertEquals(Reason.DENIED_RANGE, reason(p, "10.9.8.7"));
        assertEquals(Reason.DENIED_RANGE, reason(p, "[::ffff:10.9.8.7]"));
        assertEquals(Reason.DENIED_RANGE, reason(p, "203.0.113.5"));
        assertEquals(Reason.DENIED_ADDRESS, reason(p, "10.1.1.1"));
        assertEquals(Reason.DENIED_ADDRESS, reason(p, "[2002:a01:101::]"));
        assertTrue(p.checkAddress(ip("10.1.1.2")).allowed());
    }

    @Test
    void deniedEndpointsDenyOnePort() {
        EgressPolicy p = EgressPolicy.of(settings(Map.of(EgressSettings.ALLOW_PRIVATE, "true")))
                .denyingEndpoint(new InetSocketAddress(ip("127.0.0.1"), 50051));
        assertEquals(Reason.DENIED_ADDRESS, p.checkAddress(ip("127.0.0.1"), 50051).reason());
        assertEquals(Reason.DENIED_ADDRESS, p.checkAddress(ip("[::ffff:127.0.0.1]"), 50051).reason());
        assertEquals(Reason.DENIED_ADDRESS, p.checkAddress(ip("127.0.0.1")).reason(), "any port includes the denied one");
        assertTrue(p.checkAddress(ip("127.0.0.1"), 8080).allowed());
        assertThrows(IllegalArgumentException.class, () -> p.denyingEndpoint(InetSocketAddress.createUnresolved("x", 1)));
    }

    @Test
    void hostRules() throws Exception {
        HostResolver publicDns = name -> List.of(ip("93.184.216.34"));
        EgressPolicy p = EgressPolicy.of(settings(Map.of(EgressSettings.DENY_HOSTS, "evil.example,*.tracker.example")));
        assertEquals(Reason.DENIED_HOST, p.evaluate("EVIL.example.", 443, publicDns).decision().reason());
        assertEquals(Reason.DENIED_HOST, p.evaluate("a.b.tracker.example", 443, publicDns).decision().reason());
        assertTrue(p.evaluate("tracker.example", 443, publicDns).allowed(), "*.x does not match x itself");
        assertTrue(p.evaluate("notevil.example", 443, publicDns).allowed());

        EgressPolicy only = EgressPolicy.of(settings(Map.of(EgressSettings.ALLOW_HOSTS, "example.com *.example.com 93.184.216.34")));
        assertTrue(only.evaluate("example.com", 443, publicDns).allowed());
        assertTrue(only.evaluate("www.example.com", 443, publicDns).allowed());
        assertTrue(only.evaluate("93.184.216.34", 443, NO_DNS).allowed());
        assertTrue(only.evaluate("1572395042", 443, NO_DNS).allowed(), "the same address spelled in decimal");
        assertEquals(Reason.NOT_ALLOWED, evaluate(only, "example.org"));
        assertEquals(Reason.NOT_ALLOWED, evaluate(only, "example.com.evil.org"));
        assertEquals(Reason.NOT_ALLOWED, evaluate(only, "1.1.1.1"));
    }

    @Test
    void namesOffTheAllowListAreNeverLookedUp() throws Exception {
        EgressPolicy only = EgressPolicy.of(settings(Map.of(EgressSettings.ALLOW_HOSTS, "example.com")));
        assertEquals(Reason.NOT_ALLOWED, only.evaluate("secret-data.attacker.example", 443, NO_DNS).decision().reason());
        assertEquals(Reason.DENIED_HOST, only.denyingHosts(List.of("example.com")).evaluate("example.com", 443, NO_DNS).decision().reason());
    }

    @Test
    void anAllowedNameThatResolvesPrivatelyIsDenied() throws Exception {
        EgressPolicy only = EgressPolicy.of(settings(Map.of(EgressSettings.ALLOW_HOSTS, "intranet.example")));
        assertEquals(Reason.PRIVATE, only.evaluate("intranet.example", 443, name -> List.of(ip("10.0.0.1"))).decision().reason());
    }

    @Test
    void narrowingOnlyNarrows() throws Exception {
        HostResolver publicDns = name -> List.of(ip("93.184.216.34"));
        EgressPolicy base = EgressPolicy.of(settings(Map.of(EgressSettings.ALLOW_PRIVATE, "true")));
        EgressPolicy session = base.denyingHosts(List.of("*.social.example", "news.example"));
        assertEquals(Reason.DENIED_HOST, session.evaluate("m.social.example", 443, publicDns).decision().reason());
        assertEquals(Reason.DENIED_HOST, session.evaluate("news.example", 443, publicDns).decision().reason());
        assertTrue(session.evaluate("other.example", 443, publicDns).allowed());
        assertTrue(session.checkAddress(ip("127.0.0.1")).allowed(), "what the base allowed and the session did not deny");
        assertTrue(base.evaluate("news.example", 443, publicDns).allowed(), "the base policy is unchanged");
        assertThrows(IllegalArgumentException.class, () -> base.denyingHosts(List.of("bad host")));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, 65536, 100000})
    void portsOutsideTheRangeAreUnsupported(int port) throws Exception {
        assertEquals(Reason.UNSUPPORTED, DEFAULTS.evaluate("93.184.216.34", port, NO_DNS).decision().reason());
    }

    @Test
    void decisionsAreConsistent() {
        assertThrows(IllegalArgumentException.class, () -> new Decision(true, Reason.LOOPBACK));
        assertThrows(IllegalArgumentException.class, () -> new Decision(false, Reason.ALLOWED));
        assertEquals("private address", Decision.deny(Reason.PRIVATE).label());
        assertEquals("not on allow-list", Reason.NOT_ALLOWED.label());
    }

    @Test
    void cidrs() {
        assertEquals("10.0.0.0/8", Cidr.parse("10.1.2.3/8").toString());
        assertEquals("127.0.0.1/32", Cidr.parse("127.0.0.1").toString());
        assertEquals("0:0:0:0:0:0:0:1/128", Cidr.parse("::1").toString());
        assertEquals("fd00:0:0:0:0:0:0:0/8", Cidr.parse("[fd00::]/8").toString());
        assertEquals("10.0.0.0/8", Cidr.parse("::ffff:10.0.0.0/104").toString());
        assertTrue(Cidr.parse("0.0.0.0/0").contains(ip("8.8.8.8")));
        assertFalse(Cidr.parse("0.0.0.0/0").contains(ip("[2606:4700::1]")));
        assertTrue(Cidr.parse("172.16.0.0/12").contains(ip("172.31.0.1")));
        assertFalse(Cidr.parse("172.16.0.0/12").contains(ip("172.32.0.1")));
        for (String bad : List.of("10.0.0.0/33", "::/129", "example.com/8", "10.0.0.0/", "10.0.0.0/x", "")) {
            assertThrows(IllegalArgumentException.class, () -> Cidr.parse(bad), bad);
        }
    }

    @Test
    void settingsFromTheEnvironment() {
        EgressSettings s = settings(Map.of(
                EgressSettings.ALLOW_PRIVATE, "yes",
                EgressSettings.ALLOW_CIDRS, "10.0.0.0/8",
                EgressSettings.DENY_CIDRS, " 10.9.0.0/16 ,\n203.0.113.0/24 ",
                EgressSettings.ALLOW_HOSTS, "*.example.com",
                EgressSettings.DENY_HOSTS, "bad.example.com",
                EgressSettings.PROXY, "proxy.internal:3128"));
        assertTrue(s.allowPrivate());
        assertEquals(2, s.denyCidrs().size());
        assertEquals(Optional.of(new UpstreamProxy("proxy.internal", 3128)), s.upstreamProxy());
        assertEquals(s, settings(s.toEnvironment()), "toEnvironment reads back");
        assertEquals(EgressSettings.defaults(), settings(Map.of()));
        assertEquals(Map.of(), EgressSettings.defaults().toEnvironment());
    }

    @Test
    void badSettingsNameEveryVariable() {
        dev.mbi.config.Env env = new dev.mbi.config.Env(Map.of(
                EgressSettings.ALLOW_PRIVATE, "maybe",
                EgressSettings.ALLOW_CIDRS, "10.0.0.0/8,10.0.0.0/40",
                EgressSettings.DENY_CIDRS, "nope",
                EgressSettings.ALLOW_HOSTS, "*.1.2.3.4",
                EgressSettings.DENY_HOSTS, "a b,c/d",
                EgressSettings.PROXY, "proxy.internal"));
        EgressSettings.from(env);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> env.requireValid("runner"));
        for (String name : EgressSettings.VARIABLES) {
            assertTrue(e.getMessage().contains(name), name + " in " + e.getMessage());
        }
    }

    @Test
    void upstreamProxies() {
        assertEquals(new UpstreamProxy("10.0.0.1", 3128), UpstreamProxy.parse("http://10.0.0.1:3128/"));
        assertEquals(new UpstreamProxy("[::1]", 8080), UpstreamProxy.parse("[::1]:8080"));
        for (String bad : List.of("proxy", "proxy:", "proxy:0", "proxy:70000", "[::1]", "a b:80", ":80")) {
            assertThrows(IllegalArgumentException.class, () -> UpstreamProxy.parse(bad), bad);
        }
    }
}
