package dev.mbi.controlplane.fleet;

import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/** Where the next runner goes: a healthy, undrained host with room, the one with the most room first. */
public final class Placement {
    private Placement() {
    }

    /** The hosts that may take a runner now, best first (most free places; ties by name). */
    public static List<RunnerHost> rank(List<RunnerHost> hosts) {
        return usable(hosts).stream().filter(h -> h.free() > 0).toList();
    }

    /**
     * The healthy, undrained hosts in the same order, full ones included: where a runner started
     * there already (one waiting in a warm pool) may still be used, though no new one fits.
     */
    public static List<RunnerHost> usable(List<RunnerHost> hosts) {
        return hosts.stream()
                .filter(h -> h.healthy() && !h.drained())
                .sorted(Comparator.comparingInt(RunnerHost::free).reversed().thenComparing(RunnerHost::name))
                .toList();
    }

    /** Why no host can take a runner, for the session's error. */
    public static String whyNone(List<RunnerHost> hosts) {
        if (hosts.isEmpty()) {
            return "no runner hosts are configured (set DOCKER_HOSTS)";
        }
        return "no runner host can take a runner: " + hosts.stream()
                .map(h -> h.name() + " " + whyNot(h))
                .collect(Collectors.joining(", "))
                + "; add capacity (RUNNER_HOST_CAPACITY, DOCKER_HOSTS) or undrain a host";
    }

    /** Why this host cannot take a runner: "unhealthy (its problem)", "drained" or "full (runners/capacity)". */
    public static String whyNot(RunnerHost h) {
        return !h.healthy() ? "unhealthy (" + h.problem() + ")"
                : h.drained() ? "drained" : "full (" + h.sessions() + "/" + h.capacity() + ")";
    }
}
