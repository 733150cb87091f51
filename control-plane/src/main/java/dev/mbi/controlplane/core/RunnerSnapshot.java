package dev.mbi.controlplane.core;

import java.time.Instant;

/**
 * A registered runner as operators see it.
 *
 * @param host     where the launcher placed it
 * @param lastHeard the last message from it, heartbeats included
 */
public record RunnerSnapshot(String sessionId, String host, Identity identity, Instant lastHeard) {

    /** What the runner said about itself when it registered. */
    public record Identity(String hostname, String version, Instant registeredAt) {
    }
}
