package dev.mbi.runner.egress;

import dev.mbi.egress.EgressSettings;
import dev.mbi.egress.Cidr;
import dev.mbi.egress.HostPattern;
import dev.mbi.egress.HostName;
import dev.mbi.runner.egress.Decision.Reason;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Which hosts and addresses the remote browser may reach. Immutable; the narrowing methods return
 * a new policy that denies more, and there is no way to make one that allows more.
 *
 * <p>A request is judged in two steps. Before any DNS lookup, {@link #checkHost}: the port, the
 * deny list and the allow list (so names off the allow-list are never even looked up). Then
 * {@link #checkAddress} for <em>every</em> address the name resolved to; one denied address
 * denies the request. Per address, in order:
 * <ol>
 *   <li>denied addresses and endpoints (the control plane, the edge, the proxy itself): always denied;</li>
 *   <li>{@code denyCidrs}: denied;</li>
 *   <li>{@code allowCidrs}: allowed;</li>
 *   <li>the built-in rules ({@link Reason}): loopback, private, unique-local and CGNAT (off with
 *       {@code allowPrivate}), link-local, metadata, unspecified, multicast, broadcast, reserved;</li>
 *   <li>otherwise allowed.</li>
 * </ol>
 * An IPv6 address that carries an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4) is
 * judged as both: it is allowed only when both are.
 */
public final class EgressPolicy {

    /** An address, or one port of it ({@code port == 0}: every port), denied whatever the other rules say. */
    private record Endpoint(Cidr range, int port) {
        boolean matches(InetAddress address, int p) {
            return (port == 0 || p == 0 || port == p) && range.contains(address);
        }
    }

    /**
     * A request judged with its addresses: the addresses are the ones looked up once and checked,
     * and the only ones a caller may connect to.
     */
    public record Verdict(HostName host, int port, Decision decision, List<InetAddress> addresses) {
        public Verdict {
            addresses = List.copyOf(addresses);
        }

        public boolean allowed() {
            return decision.allowed();
        }
    }

    private final boolean allowPrivate;
    private final List<Cidr> allowCidrs;
    private final List<Cidr> denyCidrs;
    private final List<HostPattern> allowHosts;
    private final List<HostPattern> denyHosts;
    private final List<Endpoint> denied;

    private EgressPolicy(boolean allowPrivate, List<Cidr> allowCidrs, List<Cidr> denyCidrs,
            List<HostPattern> allowHosts, List<HostPattern> denyHosts, List<Endpoint> denied) {
        this.allowPrivate = allowPrivate;
        this.allowCidrs = List.copyOf(allowCidrs);
        this.denyCidrs = List.copyOf(denyCidrs);
        this.allowHosts = List.copyOf(allowHosts);
        this.denyHosts = List.copyOf(denyHosts);
        this.denied = List.copyOf(denied);
    }

    public static EgressPolicy of(EgressSettings settings) {
        return new EgressPolicy(settings.allowPrivate(), settings.allowCidrs(), settings.denyCidrs(),
                settings.allowHosts(), settings.denyHosts(), List.of());
    }

    /** Every built-in rule, nothing else. */
    public static EgressPolicy defaults() {
        return of(EgressSettings.defaults());
    }

    // ---- narrowing

    /** This policy, also denying these hosts (exact names or {@code *.suffix}): a session's own deny list. */
    public EgressPolicy denyingHosts(Collection<String> patterns) {
        List<HostPattern> more = new ArrayList<>(denyHosts);
        for (String p : patterns) {
            more.add(HostPattern.parse(p));
        }
        return new EgressPolicy(allowPrivate, allowCidrs, denyCidrs, allowHosts, more, denied);
    }

    /** This policy, also denying every port of these addresses (e.g. the control plane's host). */
    public EgressPolicy denyingAddresses(Collection<InetAddress> addresses) {
        List<Endpoint> more = new ArrayList<>(denied);
        for (InetAddress a : addresses) {
            more.add(new Endpoint(Cidr.of(a), 0));
        }
        return new EgressPolicy(allowPrivate, allowCidrs, denyCidrs, allowHosts, denyHosts, more);
    }

    /**
     * This policy, also denying one port of an address (e.g. the control plane's gRPC port when
     * loopback is otherwise allowed for development). An unresolved address is looked up now.
     */
    public EgressPolicy denyingEndpoint(InetSocketAddress endpoint) {
        InetAddress address = endpoint.getAddress();
        if (address == null) {
            throw new IllegalArgumentException(endpoint + " is not resolved");
        }
        List<Endpoint> more = new ArrayList<>(denied);
        more.add(new Endpoint(Cidr.of(address), endpoint.getPort()));
        return new EgressPolicy(allowPrivate, allowCidrs, denyCidrs, allowHosts, denyHosts, more);
    }

    // ---- judging

    /** The rules that need no lookup: the port, then the host deny and allow lists. */
    public Decision checkHost(HostName host, int port) {
        if (port < 1 || port > 65535) {
            return Decision.deny(Reason.UNSUPPORTED);
        }
        for (HostPattern p : denyHosts) {
            if (p.matches(host)) {
                return Decision.deny(Reason.DENIED_HOST);
            }
        }
        if (!allowHosts.isEmpty() && allowHosts.stream().noneMatch(p -> p.matches(host))) {
            return Decision.deny(Reason.NOT_ALLOWED);
        }
        return Decision.ALLOW;
    }

    /** The address rules for one address, on every port. */
    public Decision checkAddress(InetAddress address) {
        return checkAddress(address, 0);
    }

    /** The address rules for one address and port ({@code 0}: any port). */
    public Decision checkAddress(InetAddress address, int port) {
        List<InetAddress> forms = new ArrayList<>(2);
        forms.add(address);
        SpecialAddresses.embeddedIpv4(address).ifPresent(forms::add);
        for (InetAddress a : forms) {
            for (Endpoint e : denied) {
                if (e.matches(a, port)) {
                    return Decision.deny(Reason.DENIED_ADDRESS);
                }
            }
            for (Cidr c : denyCidrs) {
                if (c.contains(a)) {
                    return Decision.deny(Reason.DENIED_RANGE);
                }
            }
        }
        for (InetAddress a : forms) {
            if (allowCidrs.stream().anyMatch(c -> c.contains(a))) {
                continue;
            }
            Optional<Reason> builtIn = SpecialAddresses.classify(a);
            if (builtIn.isPresent() && !(allowPrivate && builtIn.get().privateRange())) {
                return Decision.deny(builtIn.get());
            }
        }
        return Decision.ALLOW;
    }

    /** Both steps for a host whose addresses are known: one denied address denies. */
    public Decision check(HostName host, int port, List<InetAddress> addresses) {
        Decision d = checkHost(host, port);
        if (!d.allowed()) {
            return d;
        }
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("no addresses for " + host);
        }
        for (InetAddress a : addresses) {
            d = checkAddress(a, port);
            if (!d.allowed()) {
                return d;
            }
        }
        return Decision.ALLOW;
    }

    /**
     * Judges a host as written in a URL or CONNECT authority: parses it (an invalid host is
     * denied), checks the host rules, looks the name up ONCE with {@code resolver} (never for an
     * address literal, nor for a name the host rules deny) and checks every address.
     *
     * @throws UnknownHostException when the name does not resolve
     */
    public Verdict evaluate(String host, int port, HostResolver resolver) throws UnknownHostException {
        HostName name;
        try {
            name = HostName.parse(host);
        } catch (IllegalArgumentException e) {
            return new Verdict(new HostName(host, Optional.empty()), port, Decision.deny(Reason.INVALID_HOST), List.of());
        }
        Decision d = checkHost(name, port);
        if (!d.allowed()) {
            return new Verdict(name, port, d, List.of());
        }
        List<InetAddress> addresses = name.literal().isPresent()
                ? List.of(name.literal().get())
                : List.copyOf(Objects.requireNonNull(resolver.resolve(name.name()), "resolver returned null"));
        if (addresses.isEmpty()) {
            throw new UnknownHostException(name.name() + ": no addresses");
        }
        return new Verdict(name, port, check(name, port, addresses), addresses);
    }

    @Override
    public String toString() {
        return "EgressPolicy[allowPrivate=" + allowPrivate + ", allowCidrs=" + allowCidrs + ", denyCidrs=" + denyCidrs
                + ", allowHosts=" + allowHosts + ", denyHosts=" + denyHosts + ", denied=" + denied.size() + " endpoints]";
    }
}
