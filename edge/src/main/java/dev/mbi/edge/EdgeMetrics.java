package dev.mbi.edge;

import dev.mbi.proto.v1.Session;
import dev.mbi.proto.v1.SessionEvent;
import dev.mbi.proto.v1.SessionStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The product's Prometheus metrics, in a registry of this edge's own. Session lifecycle figures
 * come from the control plane's session events; request figures from the edge's own routes
 * (labelled by route template, never by session id).
 */
final class EdgeMetrics implements AutoCloseable {
    /** The content type of {@link #scrape()}: Prometheus text exposition format 0.0.4. */
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private static final Duration[] HTTP_BUCKETS = {
        Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
        Duration.ofMillis(2500),
    };
    private static final Duration[] SESSION_BUCKETS = {
        Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(5),
        Duration.ofMinutes(15), Duration.ofMinutes(30), Duration.ofHours(1), Duration.ofHours(2), Duration.ofHours(8),
    };

    private final PrometheusMeterRegistry registry;
    private final java.util.concurrent.atomic.AtomicInteger cdpClients = new java.util.concurrent.atomic.AtomicInteger();
    private final Set<String> live = ConcurrentHashMap.newKeySet();
    private final Timer sessionDuration;
    private final Counter spawnErrors;
    private final Counter webrtcFallbacks;
    private final Counter viewerOverflows;
    private final Counter authFailures;

    /** A new, empty registry for one edge. */
    EdgeMetrics() {
        this(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    EdgeMetrics(PrometheusMeterRegistry registry) {
        this.registry = registry;
        // Every series keeps the label it has always had, so existing queries and recorded data still match.
        registry.config().commonTags("scope", "application");
        // The JVM's and the process's own figures, as the control plane exports them.
        for (var binder : new io.micrometer.core.instrument.binder.MeterBinder[] {
                new io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics(),
                new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics(),
                new io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics(),
                new io.micrometer.core.instrument.binder.system.ProcessorMetrics(),
                new io.micrometer.core.instrument.binder.system.UptimeMetrics(),
                new io.micrometer.core.instrument.binder.system.FileDescriptorMetrics()}) {
            binder.bindTo(registry);
        }
        for (String result : List.of("created", "rejected", "error")) {
            sessionsCounter(result);
        }
        for (String result : List.of("opened", "refused")) {
            cdpConnection(result, 0);
        }
        Gauge.builder("browser_cdp_clients", cdpClients, java.util.concurrent.atomic.AtomicInteger::get)
                .description("DevTools (automation) clients connected through this edge now")
                .strongReference(true)
                .register(registry);
        Gauge.builder("browser_sessions_active", live, Set::size)
                .description("Sessions that are pending or ready")
                .strongReference(true)
                .register(registry);
        sessionDuration = Timer.builder("browser_session_duration_seconds")
                .description("Lifetime of ended sessions")
                .serviceLevelObjectives(SESSION_BUCKETS)
                .register(registry);
        spawnErrors = Counter.builder("browser_container_spawn_errors_total")
                .description("Runners that could not be started")
                .register(registry);
        webrtcFallbacks = Counter.builder("browser_webrtc_fallbacks_total")
                .description("Clients that fell back from WebRTC to the WebSocket stream")
                .register(registry);
        for (String route : List.of("create", "offer")) {
            rateLimitedCounter(route);
        }
        authFailures = Counter.builder("browser_auth_failures_total")
                .description("Credentials refused, by interface: missing or unknown tokens, and session tokens that are not the session's")
                .tag("interface", "http")
                .register(registry);
        viewerOverflows = Counter.builder("browser_viewer_overflows_total")
                .description("Viewer WebSockets closed (1008) because the client let its message queue fill")
                .register(registry);
    }

    private Counter rateLimitedCounter(String route) {
        return Counter.builder("browser_rate_limited_total")
                .description("Calls refused with 429 by the per-caller rate limits, by what was refused: create or offer")
                .tag("what", route)
                .register(registry);
    }

    void rateLimited(String route) {
        rateLimitedCounter(route).increment();
    }

    /** A DevTools client's connection: opened, or refused (credential, rate, limit, session not ready). */
    void cdpConnection(String result) {
        cdpConnection(result, 1);
    }

    private void cdpConnection(String result, int count) {
        Counter.builder("browser_cdp_connections_total")
                .description("DevTools (automation) client connections to sessions, by result")
                .tag("result", result)
                .register(registry).increment(count);
    }

    /** A viewer's message the session's data policy refused at the edge (clipboard, keyboard), by action. */
    void policyBlocked(String action) {
        Counter.builder("browser_policy_blocked_total")
                .description("Actions the sessions' data policy refused at this edge, by action")
                .tag("action", action)
                .register(registry).increment();
    }

    void cdpClientsChanged(int delta) {
        cdpClients.addAndGet(delta);
    }

    void authFailure() {
        authFailures.increment();
    }

    void viewerOverflow() {
        viewerOverflows.increment();
    }

    /** A viewer's input message dropped: beyond INPUT_MESSAGES_PER_SECOND, or a pointer move while the control plane is behind. */
    void viewerInputDropped() {
        Counter.builder("browser_viewer_input_dropped_total")
                .description("Viewers' input messages dropped at this edge (beyond INPUT_MESSAGES_PER_SECOND, or stale pointer moves)")
                .register(registry).increment();
    }

    /** Every series of this edge in Prometheus text format. */
    String scrape() {
        return registry.scrape();
    }

    private Counter sessionsCounter(String result) {
        return Counter.builder("browser_sessions_total")
                .description("Session creation attempts by result: created, rejected (limit) or error")
                .tag("result", result)
                .register(registry);
    }

    void sessionCreateResult(String result) {
        sessionsCounter(result).increment();
    }

    void signalingRequest(String endpoint, int status) {
        Counter.builder("browser_signaling_requests_total")
                .description("WebRTC signalling requests by endpoint and HTTP status")
                .tags("endpoint", endpoint, "status", Integer.toString(status))
                .register(registry)
                .increment();
    }

    private Counter egressBlockedCounter(String rule) {
        return Counter.builder("browser_egress_blocked_total")
                .description("Connections and pages the remote browsers' egress policy refused, by rule (never by host)")
                .tag("reason", rule)
                .register(registry);
    }

    void webrtcFallback() {
        webrtcFallbacks.increment();
    }

    void httpRequest(String method, String route, int status, long nanos) {
        Timer.builder("browser_http_request_duration_seconds")
                .description("HTTP request latency by method, route template and status")
                .serviceLevelObjectives(HTTP_BUCKETS)
                .tags("method", method, "path", route, "status", Integer.toString(status))
                .register(registry)
                .record(Duration.ofNanos(nanos));
    }

    /** Applies one lifecycle event from the control plane. */
    void onSessionEvent(SessionEvent event) {
        String id = event.getSession().getSessionId();
        switch (event.getKind()) {
            case KIND_CREATED, KIND_READY -> live.add(id);
            case KIND_EGRESS_BLOCKED -> event.getEgressBlockedMap().forEach((rule, count) ->
                    egressBlockedCounter(rule).increment(count));
            case KIND_ENDED -> {
                // Counted before it leaves the live set: once browser_sessions_active drops, its end is fully recorded.
                sessionDuration.record(Duration.ofMillis(Math.round(event.getDurationSeconds() * 1000)));
                if (event.getLaunchFailed()) {
                    spawnErrors.increment();
                }
                live.remove(id);
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

    @Override
    public void close() {
        registry.close();
    }
}
