package dev.mbi.edge;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.staticcontent.StaticContentService;
import io.helidon.webserver.websocket.WsRouting;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/** The running edge: REST API, viewer WebSockets, metrics and the UI on one port. */
public final class Edge implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Edge.class.getName());

    private final WebServer server;
    private final ControlPlaneClient controlPlane;
    private final ViewerSockets sockets;
    private final EdgeMetrics metrics;
    private final ScheduledExecutorService timer;

    private Edge(WebServer server, ControlPlaneClient controlPlane, ViewerSockets sockets, EdgeMetrics metrics,
                 ScheduledExecutorService timer) {
        this.server = server;
        this.controlPlane = controlPlane;
        this.sockets = sockets;
        this.metrics = metrics;
        this.timer = timer;
    }

    /** Starts an edge with a metrics registry of its own. */
    public static Edge start(EdgeConfig config) {
        return start(config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    /** Starts an edge that records its metrics in this registry (it closes the registry when it stops). */
    public static Edge start(EdgeConfig config, PrometheusMeterRegistry registry) {
        // The edge's one timer (heartbeats, pings, re-subscribing), made here and stopped in close().
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("edge-timer").factory());
        ControlPlaneClient controlPlane = new ControlPlaneClient(config.controlPlaneAddr(), config.controlPlaneAccess(),
                config.controlPlaneTimeout(), timer);
        EdgeMetrics metrics = new EdgeMetrics(registry);
        ViewerSockets sockets = new ViewerSockets(config.heartbeatInterval(), config.wsPingInterval(), timer);
        StaticContentService ui = config.uiDir()
                .map(dir -> StaticContentService.builder(dir).welcomeFileName("index.html").build())
                .orElseGet(() -> StaticContentService.builder("static").welcomeFileName("index.html").build());

        WebServer server = WebServer.builder()
                .port(config.port())
                .maxPayloadSize(64 * 1024)
                .routing(routing -> routing
                        .get("/metrics", (req, res) -> res.header(HeaderNames.CONTENT_TYPE, EdgeMetrics.CONTENT_TYPE)
                                .send(metrics.scrape()))
                        .register(new SessionRoutes(controlPlane, metrics))
                        .register(new AdminRoutes(controlPlane, metrics))
                        .register("/", ui))
                .addRouting(WsRouting.builder()
                        .endpoint(ViewerSocket.PATH_PREFIX + "*", () -> new ViewerSocket(controlPlane, sockets)))
                .build()
                .start();

        controlPlane.watch(metrics::onSessionEvent, () -> {
            try {
                metrics.resync(controlPlane.list());
            } catch (ApiException e) {
                LOG.fine("session list for metrics not available yet: " + e.getMessage());
            }
        });
        LOG.info("edge listening on http://localhost:" + server.port() + "/ (control plane at "
                + config.controlPlaneAddr() + ", UI from " + config.uiDir().map(Object::toString).orElse("the built-in page") + ")");
        return new Edge(server, controlPlane, sockets, metrics, timer);
    }

    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        sockets.close();
        server.stop();
        controlPlane.close();
        timer.shutdownNow();
        try {
            timer.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        metrics.close();
    }
}
