package dev.mbi.controlplane;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.mbi.controlplane.core.RunnerFigures;
import dev.mbi.controlplane.core.SessionListener;
import dev.mbi.controlplane.core.SessionRegistry;
import dev.mbi.controlplane.core.SessionSnapshot;
import dev.mbi.controlplane.fleet.RunnerFleet;
import dev.mbi.controlplane.fleet.RunnerHost;
import dev.mbi.controlplane.grpc.ApiAuthInterceptor;
import dev.mbi.controlplane.grpc.ApiToken;
import dev.mbi.controlplane.grpc.RunnerStreamService;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.logging.Logger;

/**
 * The control plane's own Prometheus metrics, on METRICS_PORT at /metrics: sessions, how long
 * they take to start, what runners send (frames and bytes by transport, input-to-frame time),
 * runners connected and dialing again, refused credentials, egress refusals, WebRTC peers, each
 * runner host's capacity and health, and the JVM's and process's own. No label carries a session
 * id, URL or token.
 */
final class ControlPlaneMetrics implements SessionListener, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ControlPlaneMetrics.class.getName());
    /** Prometheus text exposition format 0.0.4. */
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    private static final Duration[] START_BUCKETS = {
        Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofMillis(750), Duration.ofSeconds(1),
        Duration.ofMillis(1500), Duration.ofSeconds(2), Duration.ofSeconds(3), Duration.ofSeconds(5),
        Duration.ofSeconds(10), Duration.ofSeconds(30),
    };
    private static final Duration[] INPUT_BUCKETS = {
        Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(35), Duration.ofMillis(50),
        Duration.ofMillis(75), Duration.ofMillis(100), Duration.ofMillis(150), Duration.ofMillis(250),
        Duration.ofMillis(500), Duration.ofSeconds(1),
    };
    private static final String[] TRANSPORTS = {"websocket", "webrtc"};

    private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final String launcher;
    private final HttpServer server;

    /**
     * @param port     METRICS_PORT (0: any free port)
     * @param token    when not null, /metrics needs {@code authorization: Bearer <CONTROL_PLANE_TOKEN>} (METRICS_AUTH=true)
     */
    ControlPlaneMetrics(int port, ApiToken token, String launcher, SessionRegistry registry, RunnerStreamService runners,
                        ApiAuthInterceptor auth, RunnerFleet fleet) {
        this.launcher = launcher;
        meters.config().commonTags("scope", "application");
        for (var binder : new io.micrometer.core.instrument.binder.MeterBinder[] {new ClassLoaderMetrics(),
                new JvmMemoryMetrics(), new JvmThreadMetrics(), new ProcessorMetrics(), new UptimeMetrics(),
                new FileDescriptorMetrics()}) {
            binder.bindTo(meters);
        }
        new JvmGcMetrics().bindTo(meters);
        Gauge.builder("browser_sessions_active", registry, SessionRegistry::liveCount)
                .description("Sessions that are pending or ready").register(meters);
        Gauge.builder("browser_runners_connected", runners, RunnerStreamService::connected)
                .description("Runners with an open stream to this control plane").register(meters);
        Gauge.builder("browser_webrtc_peers", registry, r -> r.list().stream()
                        .filter(s -> !s.status().ended()).mapToLong(s -> s.metrics().getWebrtcPeers()).sum())
                .description("WebRTC viewers connected to runners, as the runners last reported").register(meters);
        Gauge.builder("browser_warm_pool_runners", registry, r -> r.warmPool().ready()).tag("state", "waiting")
                .description("Runners in the warm pool, by state").register(meters);
        Gauge.builder("browser_warm_pool_runners", registry, r -> r.warmPool().starting()).tag("state", "starting")
                .description("Runners in the warm pool, by state").register(meters);
        FunctionCounter.builder("browser_warm_pool_claims_total", registry, r -> r.warmPool().claims()).tag("result", "taken")
                .description("Sessions created with the warm pool on, by whether a waiting runner was there").register(meters);
        FunctionCounter.builder("browser_warm_pool_claims_total", registry, r -> r.warmPool().misses()).tag("result", "missed")
                .description("Sessions created with the warm pool on, by whether a waiting runner was there").register(meters);
        FunctionCounter.builder("browser_runner_reconnects_total", registry, SessionRegistry::resumesAccepted)
                .tag("result", "resumed").description("Runners that dialed again with a resume token, by result")
                .register(meters);
        FunctionCounter.builder("browser_runner_reconnects_total", registry, SessionRegistry::resumesRefused)
                .tag("result", "refused").description("Runners that dialed again with a resume token, by result")
                .register(meters);
        FunctionCounter.builder("browser_auth_failures_total", auth, ApiAuthInterceptor::refused)
                .tag("interface", "grpc_api").description("Credentials refused, by interface").register(meters);
        FunctionCounter.builder("browser_auth_failures_total", registry, SessionRegistry::joinsRefused)
                .tag("interface", "runner").description("Credentials refused, by interface").register(meters);
        for (String t : TRANSPORTS) {
            framesCounter(t);
            bytesCounter(t);
            inputToFrameTimer(t);
        }
        startTimer();
        if (fleet == null) {
            // The process launcher's one host: this machine, as big as MAX_SESSIONS.
            Gauge.builder("browser_runner_host_capacity", registry, r -> r.settings().maxSessions())
                    .tag("host", "local").description("Most runners a host takes").register(meters);
            Gauge.builder("browser_runner_host_used", registry, SessionRegistry::liveCount)
                    .tag("host", "local").description("Runners on a host now").register(meters);
            Gauge.builder("browser_runner_host_healthy", registry, r -> 1)
                    .tag("host", "local").description("1 while a host takes new runners (healthy, not drained)").register(meters);
        } else {
            for (RunnerHost h : fleet.hosts()) {
                String name = h.name();
                Gauge.builder("browser_runner_host_capacity", fleet, f -> host(f, name).capacity())
                        .tag("host", name).description("Most runners a host takes").register(meters);
                Gauge.builder("browser_runner_host_used", fleet, f -> host(f, name).sessions())
                        .tag("host", name).description("Runners on a host now").register(meters);
                Gauge.builder("browser_runner_host_healthy", fleet, f -> host(f, name).healthy() && !host(f, name).drained() ? 1 : 0)
                        .tag("host", name).description("1 while a host takes new runners (healthy, not drained)").register(meters);
            }
        }
        registry.addListener(this);
        try {
            server = HttpServer.create(new InetSocketAddress(port), 16);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serve metrics on port " + port + " (" + e.getMessage()
                    + "): choose a free METRICS_PORT", e);
        }
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", exchange -> serve(exchange, token));
        server.start();
        LOG.info("control plane metrics on port " + server.getAddress().getPort() + " at /metrics"
                + (token == null ? "" : " (with the CONTROL_PLANE_TOKEN bearer)"));
    }

    private static RunnerHost host(RunnerFleet fleet, String name) {
        return fleet.hosts().stream().filter(h -> h.name().equals(name)).findFirst()
                .orElse(new RunnerHost(name, "", 0, 0, false, false, "gone"));
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** GET /metrics only; nothing is read from the request but its method, path and credential. */
    private void serve(HttpExchange exchange, ApiToken token) throws IOException {
        try (exchange) {
            if (!"/metrics".equals(exchange.getRequestURI().getPath())) {
                respond(exchange, 404, "not found: the metrics are at /metrics\n");
            } else if (!"GET".equals(exchange.getRequestMethod())) {
                exchange.getResponseHeaders().add("Allow", "GET");
                respond(exchange, 405, "only GET\n");
            } else if (token != null && !bearer(exchange, token)) {
                exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer");
                respond(exchange, 401, "the metrics need 'authorization: Bearer <CONTROL_PLANE_TOKEN>' (METRICS_AUTH=true)\n");
            } else {
                exchange.getResponseHeaders().add("Content-Type", CONTENT_TYPE);
                respond(exchange, 200, meters.scrape());
            }
        }
    }

    private static boolean bearer(HttpExchange exchange, ApiToken token) {
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        return header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) && token.matches(header.substring(7).trim());
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Cache-Control", "no-store");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Every series in Prometheus text format. */
    String scrape() {
        return meters.scrape();
    }

    private Timer startTimer() {
        return Timer.builder("browser_session_start_seconds")
                .description("From creating a session to its first frame, by launcher")
                .tag("launcher", launcher)
                .serviceLevelObjectives(START_BUCKETS)
                .register(meters);
    }

    private Timer inputToFrameTimer(String transport) {
        return Timer.builder("browser_input_to_frame_seconds")
                .description("From an input injected in the browser to the first frame after it, by transport")
                .tag("transport", transport)
                .serviceLevelObjectives(INPUT_BUCKETS)
                .register(meters);
    }

    private Counter framesCounter(String transport) {
        return Counter.builder("browser_frames_sent_total").description("Frames runners sent, by transport")
                .tag("transport", transport).register(meters);
    }

    private Counter bytesCounter(String transport) {
        return Counter.builder("browser_frame_bytes_total").description("Bytes of frames runners sent, by transport")
                .tag("transport", transport).register(meters);
    }

    @Override
    public void onStarted(SessionSnapshot session, Duration createToFirstFrame) {
        startTimer().record(createToFirstFrame);
    }

    @Override
    public void onFigures(SessionSnapshot session, RunnerFigures news) {
        framesCounter("websocket").increment(news.jpegFrames());
        bytesCounter("websocket").increment(news.jpegBytes());
        framesCounter("webrtc").increment(news.webrtcFrames());
        bytesCounter("webrtc").increment(news.webrtcBytes());
        if (news.inputToFrameMs() > 0) {
            inputToFrameTimer("webrtc".equals(news.transport()) ? "webrtc" : "websocket")
                    .record(Duration.ofNanos(Math.round(news.inputToFrameMs() * 1e6)));
        }
        news.egressBlocked().forEach((rule, count) -> Counter.builder("browser_egress_blocked_total")
                .description("Connections and pages the remote browsers' egress policy refused, by rule (never by host)")
                .tag("reason", rule).register(meters).increment(count));
    }

    /** The action's name comes from a small fixed set the runner uses (download, upload, print, clipboard…). */
    @Override
    public void onBlocked(SessionSnapshot session, String action) {
        Counter.builder("browser_policy_blocked_total")
                .description("Actions the sessions' data policy refused (downloads, uploads, prints, clipboard, keyboard), by action")
                .tag("action", action.matches("[a-z][a-z -]{0,39}") ? action : "other").register(meters).increment();
    }

    @Override
    public void close() {
        server.stop(0);
        meters.close();
    }
}
