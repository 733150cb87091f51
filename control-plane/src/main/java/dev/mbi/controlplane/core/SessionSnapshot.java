package dev.mbi.controlplane.core;

import dev.mbi.proto.v1.SessionMetrics;
import java.time.Instant;

/**
 * What a session looked like at one moment; immutable, safe to hand anywhere. It holds the
 * session token's SHA-256 (hex), never the token.
 */
public record SessionSnapshot(
        String id,
        SessionStatus status,
        Instant createdAt,
        String url,
        String error,
        SessionMetrics metrics,
        String runnerHost,
        String currentUrl,
        String title,
        Instant endedAt,
        int viewerCount,
        String owner,
        String sessionTokenSha256,
        ControlHolder controller,
        int cdpClients,
        PageOptions page,
        DataPolicy policy) {

    /** Seconds from creation to now, or to the end for an ended session. */
    public double uptimeSeconds(Instant now) {
        Instant until = endedAt != null ? endedAt : now;
        return Math.max(0, until.toEpochMilli() - createdAt.toEpochMilli()) / 1000.0;
    }
}
