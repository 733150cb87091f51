package dev.mbi.egress;

import dev.mbi.config.Env;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The operator's egress settings, read from the environment; {@link EgressPolicy#of} turns them
 * into a policy. Lists are separated by commas or white space.
 *
 * @param allowPrivate {@value #ALLOW_PRIVATE}: loopback, RFC 1918, unique-local and CGNAT
 *                     addresses are allowed (local development and tests); link-local, metadata,
 *                     multicast, broadcast, unspecified and reserved addresses stay denied
 * @param allowCidrs {@value #ALLOW_CIDRS}: ranges allowed although a built-in rule denies them
 *                   (an intranet); they never override {@code denyCidrs} or denied addresses
 * @param denyCidrs {@value #DENY_CIDRS}: ranges denied on top of the built-in rules
 * @param allowHosts {@value #ALLOW_HOSTS}: when not empty, only these hosts may be reached
 * @param denyHosts {@value #DENY_HOSTS}: hosts never reached
 * @param upstreamProxy {@value #PROXY}: an HTTP proxy that every connection goes through
 */
public record EgressSettings(
        boolean allowPrivate,
        List<Cidr> allowCidrs,
        List<Cidr> denyCidrs,
        List<HostPattern> allowHosts,
        List<HostPattern> denyHosts,
        Optional<UpstreamProxy> upstreamProxy) {

    public static final String ALLOW_PRIVATE = "EGRESS_ALLOW_PRIVATE";
    public static final String ALLOW_CIDRS = "EGRESS_ALLOW_CIDRS";
    public static final String DENY_CIDRS = "EGRESS_DENY_CIDRS";
    public static final String ALLOW_HOSTS = "EGRESS_ALLOW_HOSTS";
    public static final String DENY_HOSTS = "EGRESS_DENY_HOSTS";
    public static final String PROXY = "EGRESS_PROXY";

    /** Every variable read here, for launchers that pass them on to runners. */
    public static final List<String> VARIABLES = List.of(ALLOW_PRIVATE, ALLOW_CIDRS, DENY_CIDRS, ALLOW_HOSTS, DENY_HOSTS, PROXY);

    public EgressSettings {
        allowCidrs = List.copyOf(allowCidrs);
        denyCidrs = List.copyOf(denyCidrs);
        allowHosts = List.copyOf(allowHosts);
        denyHosts = List.copyOf(denyHosts);
        Objects.requireNonNull(upstreamProxy, "upstreamProxy");
    }

    /** Every built-in rule on, no lists, no upstream proxy. */
    public static EgressSettings defaults() {
        return new EgressSettings(false, List.of(), List.of(), List.of(), List.of(), Optional.empty());
    }

    /** Reads the settings, recording each bad value in {@code env} (the caller ends with {@link Env#requireValid}). */
    public static EgressSettings from(Env env) {
        Optional<UpstreamProxy> upstream = Optional.empty();
        String proxy = env.string(PROXY, "");
        if (!proxy.isEmpty()) {
            try {
                upstream = Optional.of(UpstreamProxy.parse(proxy));
            } catch (IllegalArgumentException e) {
                env.problem(PROXY + "=" + proxy + ": " + e.getMessage());
            }
        }
        return new EgressSettings(
                env.bool(ALLOW_PRIVATE, false),
                list(env, ALLOW_CIDRS, Cidr::parse),
                list(env, DENY_CIDRS, Cidr::parse),
                list(env, ALLOW_HOSTS, HostPattern::parse),
                list(env, DENY_HOSTS, HostPattern::parse),
                upstream);
    }

    /** The variables {@link #from} reads back; empty settings are left out. */
    public Map<String, String> toEnvironment() {
        Map<String, String> env = new LinkedHashMap<>();
        if (allowPrivate) {
            env.put(ALLOW_PRIVATE, "true");
        }
        put(env, ALLOW_CIDRS, allowCidrs);
        put(env, DENY_CIDRS, denyCidrs);
        put(env, ALLOW_HOSTS, allowHosts);
        put(env, DENY_HOSTS, denyHosts);
        upstreamProxy.ifPresent(p -> env.put(PROXY, p.toString()));
        return Map.copyOf(env);
    }

    private static void put(Map<String, String> env, String name, List<?> values) {
        if (!values.isEmpty()) {
            env.put(name, values.stream().map(Object::toString).collect(Collectors.joining(",")));
        }
    }

    /** Splits a list on commas and white space; each bad item is recorded as a problem naming the variable. */
    static <T> List<T> list(Env env, String name, Function<String, T> parse) {
        List<T> values = new ArrayList<>();
        for (String item : env.string(name, "").split("[,\\s]+")) {
            if (item.isEmpty()) {
                continue;
            }
            try {
                values.add(parse.apply(item));
            } catch (IllegalArgumentException e) {
                env.problem(name + ": " + e.getMessage());
            }
        }
        return values;
    }
}
