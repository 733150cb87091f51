package dev.mbi.controlplane.core;

import dev.mbi.egress.HostPattern;
import java.util.ArrayList;
import java.util.List;

/**
 * What a session adds to the operator's egress policy at create: hosts it never reaches. It can
 * only narrow the policy (there is no way to allow anything here).
 */
final class EgressNarrowing {
    static final int MAX_HOSTS = 64;

    private EgressNarrowing() {
    }

    /** The patterns as given, each checked; INVALID when one is not a host name or `*.suffix`. */
    static List<String> check(List<String> denyHosts) throws SessionException {
        if (denyHosts.size() > MAX_HOSTS) {
            throw new SessionException(SessionException.Reason.INVALID,
                    "egress.denyHosts has " + denyHosts.size() + " entries; at most " + MAX_HOSTS);
        }
        List<String> checked = new ArrayList<>();
        for (String host : denyHosts) {
            try {
                checked.add(HostPattern.parse(host).toString());
            } catch (IllegalArgumentException e) {
                throw new SessionException(SessionException.Reason.INVALID,
                        "egress.denyHosts: " + Limits.truncate(String.valueOf(host), 80) + " is not a host name or *.suffix ("
                                + e.getMessage() + ")");
            }
        }
        return List.copyOf(checked);
    }
}
