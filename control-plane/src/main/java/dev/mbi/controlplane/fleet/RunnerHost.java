package dev.mbi.controlplane.fleet;

/**
 * One place runners run, as operators see it.
 *
 * @param capacity most runners placed there at once
 * @param sessions runners there now
 * @param problem why it is not healthy (empty when it is)
 */
public record RunnerHost(String name, String endpoint, int capacity, int sessions, boolean healthy, boolean drained,
                         String problem) {

    /** Room for more runners, never negative. */
    public int free() {
        return Math.max(0, capacity - sessions);
    }
}
