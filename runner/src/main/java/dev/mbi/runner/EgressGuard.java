package dev.mbi.runner;

import dev.mbi.contract.RunnerContract;
import dev.mbi.proto.v1.SessionMetrics;
import dev.mbi.runner.egress.Decision;
import dev.mbi.runner.egress.EgressPolicy;
import dev.mbi.runner.egress.EgressProxy;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;

/**
 * The runner's egress proxy: every connection its Chromium makes goes through it and is checked
 * against the session's policy (the operator's settings, narrowed so that the control plane can
 * never be reached from a page). What it blocked goes into the session's figures.
 */
final class EgressGuard implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EgressGuard.class.getName());

    private record Blocked(String host, String reason) {
    }

    private final String sessionId;
    private final EgressProxy proxy;
    private final AtomicLong blocked = new AtomicLong();
    private final AtomicReference<Blocked> last = new AtomicReference<>();

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
        blocked.incrementAndGet();
        last.set(new Blocked(host, reason.label()));
        LOG.fine(() -> "session " + sessionId + ": egress to " + host + " blocked (" + reason.label() + ")");
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
        if (b != null) {
            m.setEgressLastBlockedHost(b.host()).setEgressLastBlockedReason(b.reason());
        }
        return m.build();
    }

    @Override
    public void close() {
        proxy.close();
    }
}
