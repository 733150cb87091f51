package dev.mbi.edge;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.staticcontent.StaticContentService;
import io.helidon.webserver.websocket.WsRouting;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.logging.Logger;

/** The running edge: REST API, viewer WebSockets, metrics and the UI on one port. */
public final class Edge implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Edge.class.getName());

    private final WebServer server;
    private final ControlPlaneClient controlPlane;
    private final ViewerSockets sockets;
    private final EdgeMetrics metrics;

    private Edge(WebServer server, ControlPlaneClient controlPlane, ViewerSockets sockets, EdgeMetrics metrics) {
        this.server = server;
        this.controlPlane = controlPlane;
        this.sockets = sockets;
        this.metrics = metrics;
    }

    /** Starts an edge with a metrics registry of its own. */
    public static Edge start(EdgeConfig config) {
        return start(config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    /** Starts an edge that records its metrics in this registry (it closes the registry when it stops). */
    public static Edge start(EdgeConfig config, PrometheusMeterRegistry registry) {
        ControlPlaneClient controlPlane = new ControlPlaneClient(config.controlPlaneAddr(), config.controlPlaneTimeout());
        EdgeMetrics metrics = new EdgeMetrics(registry);
        ViewerSockets sockets = new ViewerSockets(config.heartbeatInterval(), config.wsPingInterval());
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
        return new Edge(server, controlPlane, sockets, metrics);
    }

    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        sockets.close();
        server.stop();
        controlPlane.close();
        metrics.close();
    }
}
