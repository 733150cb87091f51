package dev.mbi.controlplane.grpc;

import dev.mbi.controlplane.core.SessionSnapshot;
import dev.mbi.proto.v1.Session;
import dev.mbi.proto.v1.SessionStatus;
import java.time.Instant;

/** Snapshots of the core as wire messages. */
final class ProtoSessions {
    private ProtoSessions() {
    }

    static Session toProto(SessionSnapshot s) {
        Session.Builder b = Session.newBuilder()
                .setSessionId(s.id())
                .setStatus(switch (s.status()) {
                    case PENDING -> SessionStatus.SESSION_STATUS_PENDING;
                    case READY -> SessionStatus.SESSION_STATUS_READY;
                    case TERMINATED -> SessionStatus.SESSION_STATUS_TERMINATED;
                    case ERROR -> SessionStatus.SESSION_STATUS_ERROR;
                })
                .setCreatedAtUnixMs(s.createdAt().toEpochMilli())
                .setUrl(s.url())
                .setError(s.error())
                .setMetrics(s.metrics())
                .setUptimeSec(Math.round(s.uptimeSeconds(Instant.now()) * 10) / 10.0)
                .setRunnerHost(s.runnerHost())
                .setCurrentUrl(s.currentUrl())
                .setTitle(s.title())
                .setViewerCount(s.viewerCount());
        if (s.endedAt() != null) {
            b.setEndedAtUnixMs(s.endedAt().toEpochMilli());
        }
        return b.build();
    }
}
