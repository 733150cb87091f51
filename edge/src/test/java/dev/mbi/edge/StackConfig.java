package dev.mbi.edge;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What tells one test stack from another: the control plane's environment, the edge's, and the
 * address the test page is served on. Equal configurations share one running stack.
 */
record StackConfig(Map<String, String> controlPlaneEnv, Map<String, String> edgeEnv, String siteHost) {
    static final String LOOPBACK = "127.0.0.1";

    StackConfig {
        controlPlaneEnv = Map.copyOf(controlPlaneEnv);
        edgeEnv = Map.copyOf(edgeEnv);
        Objects.requireNonNull(siteHost);
    }

    static StackConfig of(Map<String, String> controlPlaneEnv) {
        return new StackConfig(controlPlaneEnv, Map.of(), LOOPBACK);
    }

    static StackConfig of(Stack annotation) {
        return new StackConfig(settings(annotation.value()), settings(annotation.edge()), LOOPBACK);
    }

    /** The same stack with its test page on another address of this machine (e.g. a Docker bridge's gateway). */
    StackConfig siteOn(String host) {
        return new StackConfig(controlPlaneEnv, edgeEnv, host);
    }

    private static Map<String, String> settings(String[] pairs) {
        Map<String, String> env = new TreeMap<>();
        for (String pair : pairs) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("a stack setting is NAME=value, not '" + pair + "'");
            }
            if (env.put(pair.substring(0, eq).trim(), pair.substring(eq + 1)) != null) {
                throw new IllegalArgumentException("stack setting " + pair.substring(0, eq) + " given twice");
            }
        }
        return env;
    }

    @Override
    public String toString() {
        return "control plane " + new TreeMap<>(controlPlaneEnv) + (edgeEnv.isEmpty() ? "" : ", edge " + new TreeMap<>(edgeEnv))
                + (siteHost.equals(LOOPBACK) ? "" : ", page on " + siteHost);
    }
}
