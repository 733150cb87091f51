package dev.mbi.controlplane.grpc;

import dev.mbi.controlplane.core.IceSettings;
import dev.mbi.controlplane.core.RunnerWelcome;
import dev.mbi.controlplane.core.SessionRegistry;
import dev.mbi.controlplane.core.SessionSnapshot;
import dev.mbi.proto.v1.ControlHolder;
import dev.mbi.proto.v1.IceServer;
import dev.mbi.proto.v1.IceTransportPolicy;
import dev.mbi.proto.v1.Welcome;
import dev.mbi.redact.Urls;
import java.util.List;
import dev.mbi.proto.v1.Session;
import dev.mbi.proto.v1.SessionStatus;
import java.time.Instant;

/** The core's values as wire messages: the one place the session rules' words become protos. */
final class ProtoSessions {
    private ProtoSessions() {
    }

    /**
     * A session as every API caller sees it: its addresses without the userinfo they may carry
     * ({@code http://user:password@host/}), in the error too. Only the runner gets the URL whole,
     * in its welcome.
     */
    static SessionStatus toProto(dev.mbi.controlplane.core.SessionStatus status) {
        return switch (status) {
            case PENDING -> SessionStatus.SESSION_STATUS_PENDING;
            case READY -> SessionStatus.SESSION_STATUS_READY;
            case TERMINATED -> SessionStatus.SESSION_STATUS_TERMINATED;
            case ERROR -> SessionStatus.SESSION_STATUS_ERROR;
        };
    }

    static Session toProto(SessionSnapshot s) {
        Session.Builder b = Session.newBuilder()
                .setSessionId(s.id())
                .setStatus(toProto(s.status()))
                .setCreatedAtUnixMs(s.createdAt().toEpochMilli())
                .setUrl(Urls.withoutUserInfo(s.url()))
                .setError(Urls.withoutUserInfoIn(s.error()))
                .setMetrics(s.metrics())
                .setUptimeSec(Math.round(s.uptimeSeconds(Instant.now()) * 10) / 10.0)
                .setRunnerHost(s.runnerHost())
                .setCurrentUrl(Urls.withoutUserInfo(s.currentUrl()))
                .setTitle(s.title())
                .setViewerCount(s.viewerCount())
                .setOwner(s.owner())
                .setSessionTokenSha256(s.sessionTokenSha256())
                .setController(toProto(s.controller()))
                .setCdpClients(s.cdpClients())
                .setViewportWidth(s.page().viewportWidth())
                .setViewportHeight(s.page().viewportHeight())
                .setUserAgent(s.page().userAgent())
                .setLocale(s.page().locale())
                .setTimezone(s.page().timezone())
                .setPolicy(s.policy().toProto());
        if (s.endedAt() != null) {
            b.setEndedAtUnixMs(s.endedAt().toEpochMilli());
        }
        return b.build();
    }

    /** A create's answer: the only message that carries the session's own token. */
    static Session toProto(SessionRegistry.Created c) {
        return toProto(c.session()).toBuilder().setSessionToken(c.sessionToken()).build();
    }

    static Welcome toProto(RunnerWelcome w) {
        return Welcome.newBuilder()
                .setUrl(w.url())
                .setViewportWidth(w.viewportWidth())
                .setViewportHeight(w.viewportHeight())
                .setMaxFps(w.maxFps())
                .setHeartbeatIntervalMs((int) w.heartbeatInterval().toMillis())
                .addAllIceServers(toProto(w.iceServers()))
                .setIceTransportPolicy(transportPolicy(w.relayOnly()))
                .addAllEgressDenyHosts(w.egressDenyHosts())
                .setResumeToken(w.resumeToken())
                .setResumed(w.resumed())
                .setReconnectWindowMs((int) Math.min(Integer.MAX_VALUE, w.reconnectWindow().toMillis()))
                .setPooled(w.pooled())
                .setController(toProto(w.controller()))
                .setUserAgent(w.page().userAgent())
                .setLocale(w.page().locale())
                .setTimezone(w.page().timezone())
                .setPolicy(w.policy().toProto())
                .setViewportMaxWidth(w.viewportMax().width())
                .setViewportMaxHeight(w.viewportMax().height())
                .build();
    }

    static ControlHolder toProto(dev.mbi.controlplane.core.ControlHolder holder) {
        return switch (holder) {
            case SHARED -> ControlHolder.CONTROL_HOLDER_SHARED;
            case AGENT -> ControlHolder.CONTROL_HOLDER_AGENT;
            case HUMAN -> ControlHolder.CONTROL_HOLDER_HUMAN;
        };
    }

    static dev.mbi.controlplane.core.ControlHolder fromProto(ControlHolder holder) {
        return switch (holder) {
            case CONTROL_HOLDER_AGENT -> dev.mbi.controlplane.core.ControlHolder.AGENT;
            case CONTROL_HOLDER_HUMAN -> dev.mbi.controlplane.core.ControlHolder.HUMAN;
            default -> dev.mbi.controlplane.core.ControlHolder.SHARED;
        };
    }

    static List<IceServer> toProto(List<IceSettings.Server> servers) {
        return servers.stream()
                .map(s -> IceServer.newBuilder().addAllUrls(s.urls()).setUsername(s.username()).setCredential(s.credential()).build())
                .toList();
    }

    static IceTransportPolicy transportPolicy(boolean relayOnly) {
        return relayOnly ? IceTransportPolicy.ICE_TRANSPORT_POLICY_RELAY : IceTransportPolicy.ICE_TRANSPORT_POLICY_ALL;
    }
}
