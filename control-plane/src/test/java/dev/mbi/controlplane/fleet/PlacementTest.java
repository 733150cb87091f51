package dev.mbi.controlplane.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PlacementTest {
    private static RunnerHost host(String name, int capacity, int sessions, boolean healthy, boolean drained) {
        return new RunnerHost(name, "unix:///" + name, capacity, sessions, healthy, drained, healthy ? "" : "connection refused");
    }

    @Test
    void theHostWithTheMostFreePlacesComesFirstAndTiesGoByName() {
        List<RunnerHost> ranked = Placement.rank(List.of(
                host("c", 10, 8, true, false), host("b", 4, 0, true, false), host("a", 5, 1, true, false)));
        assertEquals(List.of("a", "b", "c"), ranked.stream().map(RunnerHost::name).toList());
    }

    @Test
    void unhealthyDrainedAndFullHostsAreNeverChosen() {
        List<RunnerHost> hosts = List.of(
                host("dead", 10, 0, false, false), host("drained", 10, 0, true, true), host("full", 2, 2, true, false),
                host("busy", 10, 9, true, false));
        assertEquals(List.of("busy"), Placement.rank(hosts).stream().map(RunnerHost::name).toList());
    }

    @Test
    void usableHostsAreTheHealthyUndrainedOnesInTheSameOrderFullOnesIncluded() {
        List<RunnerHost> hosts = List.of(
                host("dead", 10, 0, false, false), host("drained", 10, 0, true, true), host("full", 2, 2, true, false),
                host("busy", 10, 9, true, false), host("idle", 10, 0, true, false));
        assertEquals(List.of("idle", "busy", "full"), Placement.usable(hosts).stream().map(RunnerHost::name).toList());
    }

    @Test
    void whenNoHostCanTakeARunnerTheReasonNamesEachHost() {
        String why = Placement.whyNone(List.of(
                host("dead", 10, 0, false, false), host("drained", 10, 0, true, true), host("full", 2, 2, true, false)));
        assertTrue(why.contains("dead unhealthy (connection refused)"), why);
        assertTrue(why.contains("drained drained"), why);
        assertTrue(why.contains("full full (2/2)"), why);
        assertTrue(Placement.whyNone(List.of()).contains("DOCKER_HOSTS"));
    }
}
