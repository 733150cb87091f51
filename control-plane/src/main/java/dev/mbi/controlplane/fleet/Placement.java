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
        return hosts.stream()
                .filter(h -> h.healthy() && !h.drained() && h.free() > 0)
                .sorted(Comparator.comparingInt(RunnerHost::free).reversed().thenComparing(RunnerHost::name))
                .toList();
    }

    /** Why no host can take a runner, for the session's error. */
    public static String whyNone(List<RunnerHost> hosts) {
        if (hosts.isEmpty()) {
            return "no runner hosts are configured (set DOCKER_HOSTS)";
        }
        return "no runner host can take a runner: " + hosts.stream()
                .map(h -> h.name() + " " + (!h.healthy() ? "unhealthy (" + h.problem() + ")"
                        : h.drained() ? "drained" : "full (" + h.sessions() + "/" + h.capacity() + ")"))
                .collect(Collectors.joining(", "))
                + "; add capacity (RUNNER_HOST_CAPACITY, DOCKER_HOSTS) or undrain a host";
    }
}
