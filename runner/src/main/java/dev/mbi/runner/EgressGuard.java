package dev.mbi.runner;

import dev.mbi.contract.RunnerContract;
import dev.mbi.proto.v1.SessionMetrics;
import dev.mbi.runner.egress.BlockedPage;
import dev.mbi.runner.egress.Decision;
import dev.mbi.runner.egress.EgressPolicy;
import dev.mbi.runner.egress.EgressProxy;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;

/**
 * The runner's egress proxy: every connection its Chromium makes goes through it and is checked
 * against the session's policy (the operator's settings, narrowed so that the control plane can
 * never be reached from a page). What it blocked goes into the session's figures, and a top-level
 * page it refused, or one outside http and https, is replaced by a page that says which rule
 * refused which host.
 */
final class EgressGuard implements TopFrameGuard, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EgressGuard.class.getName());

    /** Schemes the top frame may show; anything else (file:, chrome:, devtools:, data:, ...) is replaced. */
    private static final Set<String> TOP_FRAME_SCHEMES = Set.of("http", "https", "about", "blob");
    /** How long a refusal explains a failed top-level load that follows it. */
    private static final long RECENT_MS = 60_000;
    /** Hosts remembered for that; the oldest is forgotten first. */
    private static final int RECENT_HOSTS = 64;

    private record Blocked(String host, String reason, long atMillis) {
    }

    private final String sessionId;
    private final EgressProxy proxy;
    private final AtomicLong blocked = new AtomicLong();
    private final AtomicReference<Blocked> last = new AtomicReference<>();
    private final Map<String, AtomicLong> blockedByReason = new ConcurrentHashMap<>();
    private final Map<String, Blocked> recent = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Blocked> eldest) {
            return size() > RECENT_HOSTS;
        }
    };

    private EgressGuard(String sessionId, EgressProxy.Builder builder) throws IOException {
        this.sessionId = sessionId;
        this.proxy = builder.listener(this::onBlocked).start();
    }

    static EgressGuard start(RunnerContract contract, RunnerExecutors executors) throws IOException {
        EgressPolicy policy = EgressPolicy.of(contract.settings().egress());
        policy = deny(policy, contract.controlPlaneAddr(), contract.settings().egress().allowPrivate());
        EgressProxy.Builder builder = EgressProxy.builder(policy)
                .upstream(contract.settings().egress().upstreamProxy())
                .executor(executors.tasks());
        EgressGuard guard = new EgressGuard(contract.sessionId(), builder);
        LOG.fine(() -> "session " + contract.sessionId() + ": egress proxy on " + guard.proxy.address());
        return guard;
    }

    /**
     * The control plane is never a destination: its endpoint is denied, and when it is not on
     * this machine, its whole address is (a page could otherwise probe its other ports), unless
     * private addresses are allowed (local development, where pages may live on that host).
     */
    private static EgressPolicy deny(EgressPolicy policy, String controlPlaneAddr, boolean allowPrivate) {
        int colon = controlPlaneAddr.lastIndexOf(':');
        String host = colon > 0 ? controlPlaneAddr.substring(0, colon).replace("[", "").replace("]", "") : controlPlaneAddr;
        int port = colon > 0 ? Integer.parseInt(controlPlaneAddr.substring(colon + 1)) : 443;
        List<InetAddress> addresses;
        try {
            addresses = List.of(InetAddress.getAllByName(host));
        } catch (UnknownHostException e) {
            return policy; // the runner cannot dial it either, and fails on its own
        }
        List<InetSocketAddress> endpoints = new ArrayList<>();
        for (InetAddress a : addresses) {
            endpoints.add(new InetSocketAddress(a, port));
        }
        for (InetSocketAddress endpoint : endpoints) {
            policy = policy.denyingEndpoint(endpoint);
        }
        if (!allowPrivate && addresses.stream().noneMatch(InetAddress::isLoopbackAddress)) {
            policy = policy.denyingAddresses(addresses);
        }
        return policy;
    }

    private void onBlocked(String host, Decision.Reason reason) {
        Blocked b = new Blocked(host, reason.label(), System.currentTimeMillis());
        blocked.incrementAndGet();
        blockedByReason.computeIfAbsent(reason.label(), r -> new AtomicLong()).incrementAndGet();
        last.set(b);
        synchronized (recent) {
            recent.put(hostKey(host), b);
        }
        LOG.fine(() -> "session " + sessionId + ": egress to " + host + " blocked (" + reason.label() + ")");
    }

    @Override
    public Optional<String> replacement(String url, boolean failed) {
        String scheme = schemeOf(url);
        if (!TOP_FRAME_SCHEMES.contains(scheme)) {
            String shown = scheme + ":";
            onBlocked(shown, Decision.Reason.SCHEME);
            return Optional.of(BlockedPage.blocked(shown, null, Decision.Reason.SCHEME.label(),
                    "only http and https pages can be opened"));
        }
        if (!failed) {
            return Optional.empty();
        }
        String host;
        try {
            host = URI.create(url).getHost();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        Blocked b;
        synchronized (recent) {
            b = host == null ? null : recent.get(hostKey(host));
        }
        if (b == null || System.currentTimeMillis() - b.atMillis() > RECENT_MS) {
            return Optional.empty(); // not refused by the policy: Chromium's own error page says why
        }
        return Optional.of(BlockedPage.blocked(b.host(), null, b.reason(), null));
    }

    private static String schemeOf(String url) {
        int colon = url.indexOf(':');
        return colon <= 0 ? "" : url.substring(0, colon).toLowerCase(Locale.ROOT);
    }

    /** One spelling per host: names in lower case, IPv6 literals in the JDK's full form (as the proxy reports them). */
    private static String hostKey(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]") && h.indexOf(':') > 0) {
            try {
                // A literal with colons is parsed, never looked up.
                return "[" + InetAddress.getByName(h.substring(1, h.length() - 1)).getHostAddress() + "]";
            } catch (UnknownHostException e) {
                return h;
            }
        }
        return h;
    }

    /** Hosts the session never reaches, on top of the operator's policy (it can only narrow it). */
    void denyHosts(List<String> patterns) {
        if (!patterns.isEmpty()) {
            proxy.denyHosts(patterns);
            LOG.info("session " + sessionId + ": egress also denies " + patterns.size() + " host pattern(s) of its own");
        }
    }

    /** The flags that send every connection of Chromium through the proxy, and nothing around it. */
    List<String> chromiumFlags() {
        return proxy.chromiumFlags();
    }

    /** The session's figures with what was blocked added. */
    SessionMetrics addTo(SessionMetrics metrics) {
        Blocked b = last.get();
        SessionMetrics.Builder m = metrics.toBuilder().setEgressBlocked(blocked.get());
        blockedByReason.forEach((reason, count) -> m.putEgressBlockedByReason(reason, count.get()));
        if (b != null) {
            m.setEgressLastBlockedHost(b.host()).setEgressLastBlockedReason(b.reason());
        }
        return m.build();
    }

    /** The policy the proxy applies now. */
    dev.mbi.runner.egress.EgressPolicy policy() {
        return proxy.currentPolicy();
    }

    @Override
    public void close() {
        proxy.close();
    }
}
