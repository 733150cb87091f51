package dev.mbi.controlplane.core;

import dev.mbi.controlplane.launch.RunnerLauncher.RunnerHandle;
import dev.mbi.proto.v1.Capability;
import dev.mbi.proto.v1.Frame;
import dev.mbi.proto.v1.SessionMetrics;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.List;
import java.util.Set;

/** One session's mutable state. Every field is guarded by the session's own lock. */
final class Session {
    final String id;
    final String url;
    final String joinToken;
    final Instant createdAt;
    final long createdNanos;

    SessionStatus status = SessionStatus.PENDING;
    String error = "";
    Instant endedAt;
    boolean tokenUsed;
    RunnerHandle runnerHandle;
    String runnerHost = "";
    RunnerChannel runner;
    String currentUrl;
    String title = "";
    SessionMetrics metrics = SessionMetrics.getDefaultInstance();
    Frame lastFrame;
    /** Last time a viewer attached, detached or sent input; the idle reaper measures from here. */
    long lastActivityNanos;
    final Set<Viewer> viewers = new LinkedHashSet<>();
    Set<Capability> capabilities = Set.of();
    /** WebRTC offers sent to the runner and not answered yet, by viewer id. */
    final Map<String, CompletableFuture<SessionRegistry.Answer>> pendingOffers = new HashMap<>();

    Session(String id, String url, String joinToken, Instant createdAt, long nowNanos) {
        this.id = id;
        this.url = url;
        this.joinToken = joinToken;
        this.createdAt = createdAt;
        this.createdNanos = nowNanos;
        this.currentUrl = url;
        this.lastActivityNanos = nowNanos;
    }

    synchronized SessionSnapshot snapshot() {
        return new SessionSnapshot(id, status, createdAt, url, error, metrics, runnerHost, currentUrl, title,
                endedAt, viewers.size());
    }

    synchronized List<Viewer> viewersCopy() {
        return List.copyOf(viewers);
    }
}
