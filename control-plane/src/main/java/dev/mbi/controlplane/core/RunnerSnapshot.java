package dev.mbi.controlplane.core;

import java.time.Instant;

/**
 * A registered runner as operators see it.
 *
 * @param sessionId the session it serves, or (pooled) the id of the session that will take it
 * @param host      where the launcher placed it
 * @param lastHeard the last message from it, heartbeats included
 * @param pooled    waiting in the warm pool: no session has taken it yet
 */
public record RunnerSnapshot(String sessionId, String host, Identity identity, Instant lastHeard, boolean pooled) {

    /** What the runner said about itself when it registered. */
    public record Identity(String hostname, String version, Instant registeredAt) {
    }
}
