package dev.mbi.controlplane.launch.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.egress.Cidr;
import dev.mbi.egress.EgressSettings;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The rules the runner firewall installs (DockerEgressFirewallTest installs them on a real host). */
class RunnerFirewallTest {
    private static final List<InetAddress> CONTROL_PLANE = RunnerFirewall.resolve("10.213.0.2:50051");

    private static EgressSettings egress(boolean allowPrivate, List<String> allow, List<String> deny) {
        return new EgressSettings(allowPrivate, allow.stream().map(Cidr::parse).toList(), deny.stream().map(Cidr::parse).toList(),
                List.of(), List.of(), Optional.empty());
    }

    @Test
    void byDefaultRunnersReachTheControlPlanesPortAndRepliesButNoPrivateRangeNorTheHost() {
        RunnerFirewall.Rules v4 = RunnerFirewall.rules(false, EgressSettings.defaults(), CONTROL_PLANE, 50051);
        for (List<String> chain : List.of(v4.forward(), v4.input())) {
            assertEquals("-m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT", chain.getFirst());
            assertEquals("-d 10.213.0.2/32 -p tcp --dport 50051 -j ACCEPT", chain.get(1), "before any drop");
            assertEquals("-d 169.254.169.254/32 -j DROP", chain.get(2));
            for (String range : List.of("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
                    "169.254.0.0/16", "0.0.0.0/8", "224.0.0.0/4", "240.0.0.0/4")) {
                assertTrue(chain.contains("-d " + range + " -j DROP"), range + " in " + chain);
            }
        }
        assertEquals("-j DROP", v4.input().getLast(), "no port of the host");
        assertFalse(v4.forward().contains("-j DROP"), "public addresses stay reachable");
    }

    @Test
    void allowingPrivateRangesStillDropsTheMetadataServiceAndLinkLocal() {
        RunnerFirewall.Rules v4 = RunnerFirewall.rules(false, egress(true, List.of(), List.of()), CONTROL_PLANE, 50051);
        for (List<String> chain : List.of(v4.forward(), v4.input())) {
            assertTrue(chain.contains("-d 169.254.169.254/32 -j DROP"));
            assertTrue(chain.contains("-d 169.254.0.0/16 -j DROP"));
            assertFalse(chain.contains("-d 10.0.0.0/8 -j DROP"));
            assertFalse(chain.contains("-j DROP"));
        }
    }

    @Test
    void operatorRangesComeBeforeTheBuiltInRulesAndEachFamilyGetsItsOwn() {
        EgressSettings egress = egress(false, List.of("10.8.0.0/16", "fd00:1::/64"), List.of("203.0.113.0/24"));
        List<String> v4 = RunnerFirewall.rules(false, egress, CONTROL_PLANE, 50051).forward();
        int deny = v4.indexOf("-d 203.0.113.0/24 -j DROP");
        int allow = v4.indexOf("-d 10.8.0.0/16 -j RETURN");
        assertTrue(v4.indexOf("-d 169.254.169.254/32 -j DROP") < deny && deny < allow && allow < v4.indexOf("-d 10.0.0.0/8 -j DROP"), v4.toString());
        assertFalse(v4.toString().contains("fd00"), v4.toString());

        RunnerFirewall.Rules v6 = RunnerFirewall.rules(true, egress, CONTROL_PLANE, 50051);
        assertTrue(v6.forward().contains("-d fd00:1:0:0:0:0:0:0/64 -j RETURN"), v6.forward().toString());
        assertTrue(v6.forward().contains("-d fc00::/7 -j DROP") && v6.forward().contains("-d fe80::/10 -j DROP"));
        assertTrue(v6.input().contains("-p ipv6-icmp --icmpv6-type neighbour-solicitation -j ACCEPT"), "neighbour discovery");
        assertFalse(v6.forward().toString().contains("10.213.0.2"), "IPv4 addresses only in IPv4 rules");
    }
}
