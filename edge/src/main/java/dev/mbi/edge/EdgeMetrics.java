package dev.mbi.edge;

import dev.mbi.proto.v1.Session;
import dev.mbi.proto.v1.SessionEvent;
import dev.mbi.proto.v1.SessionStatus;
import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The product's Prometheus metrics. Session lifecycle figures come from the control plane's
 * session events; request figures from the edge's own routes (labelled by route template, never
 * by session id).
 */
final class EdgeMetrics {
    private static final Duration[] HTTP_BUCKETS = {
        Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
        Duration.ofMillis(2500),
    };
    private static final Duration[] SESSION_BUCKETS = {
        Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(5),
        Duration.ofMinutes(15), Duration.ofMinutes(30), Duration.ofHours(1), Duration.ofHours(2), Duration.ofHours(8),
    };

    private final MeterRegistry registry;
    private final Set<String> live = ConcurrentHashMap.newKeySet();
    private final Timer sessionDuration;
    private final Counter spawnErrors;
    private final Counter webrtcFallbacks;

    EdgeMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (String result : List.of("created", "rejected", "error")) {
            sessionsCounter(result);
        }
        registry.getOrCreate(Gauge.builder("browser_sessions_active", () -> (double) live.size())
                .description("Sessions that are pending or ready"));
        sessionDuration = registry.getOrCreate(Timer.builder("browser_session_duration_seconds")
                .description("Lifetime of ended sessions")
                .buckets(SESSION_BUCKETS));
        spawnErrors = registry.getOrCreate(Counter.builder("browser_container_spawn_errors_total")
                .description("Runners that could not be started"));
        webrtcFallbacks = registry.getOrCreate(Counter.builder("browser_webrtc_fallbacks_total")
                .description("Clients that fell back from WebRTC to the WebSocket stream"));
    }

    private Counter sessionsCounter(String result) {
        return registry.getOrCreate(Counter.builder("browser_sessions_total")
                .description("Session creation attempts by result: created, rejected (limit) or error")
                .tags(List.of(Tag.create("result", result))));
    }

    void sessionCreateResult(String result) {
        sessionsCounter(result).increment();
    }

    void signalingRequest(String endpoint, int status) {
        registry.getOrCreate(Counter.builder("browser_signaling_requests_total")
                .description("WebRTC signalling requests by endpoint and HTTP status")
                .tags(List.of(Tag.create("endpoint", endpoint), Tag.create("status", Integer.toString(status)))))
                .increment();
    }

    void webrtcFallback() {
        webrtcFallbacks.increment();
    }

    void httpRequest(String method, String route, int status, long nanos) {
        registry.getOrCreate(Timer.builder("browser_http_request_duration_seconds")
                .description("HTTP request latency by method, route template and status")
                .buckets(HTTP_BUCKETS)
                .tags(List.of(Tag.create("method", method), Tag.create("path", route),
                        Tag.create("status", Integer.toString(status)))))
                .record(Duration.ofNanos(nanos));
    }

    /** Applies one lifecycle event from the control plane. */
    void onSessionEvent(SessionEvent event) {
        String id = event.getSession().getSessionId();
        switch (event.getKind()) {
            case KIND_CREATED, KIND_READY -> live.add(id);
            case KIND_ENDED -> {
                live.remove(id);
                sessionDuration.record(Duration.ofMillis(Math.round(event.getDurationSeconds() * 1000)));
                if (event.getLaunchFailed()) {
                    spawnErrors.increment();
                }
            }
            default -> {
            }
        }
    }

    /** Replaces the set of live sessions with the control plane's list (after a (re)subscription). */
    void resync(List<Session> sessions) {
        live.clear();
        for (Session s : sessions) {
            if (s.getStatus() == SessionStatus.SESSION_STATUS_PENDING || s.getStatus() == SessionStatus.SESSION_STATUS_READY) {
                live.add(s.getSessionId());
            }
        }
    }
}
