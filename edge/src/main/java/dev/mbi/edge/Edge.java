package dev.mbi.edge;

import dev.mbi.edge.auth.AccessConfig;
import dev.mbi.edge.auth.Authenticator;
import dev.mbi.edge.auth.OidcAuthenticator;
import dev.mbi.edge.auth.TokenAuthenticator;
import dev.mbi.edge.auth.Tokens;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.staticcontent.StaticContentService;
import io.helidon.webserver.websocket.WsRouting;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
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
    private final RateLimits limits;

    private Edge(WebServer server, ControlPlaneClient controlPlane, ViewerSockets sockets, EdgeMetrics metrics,
                 ScheduledExecutorService timer, RateLimits limits) {
        this.server = server;
        this.controlPlane = controlPlane;
        this.sockets = sockets;
        this.metrics = metrics;
        this.timer = timer;
        this.limits = limits;
    }

    /** Starts an edge with a metrics registry of its own. */
    public static Edge start(EdgeConfig config) {
        return start(config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    /** Starts an edge that records its metrics in this registry (it closes the registry when it stops). */
    /** The largest request body: an upload's form (the session's policy may allow less). */
    static final long MAX_UPLOAD_BYTES = Integer.MAX_VALUE;

    public static Edge start(EdgeConfig config, PrometheusMeterRegistry registry) {
        // Who may call: made first, so a mode that cannot start stops the edge before anything runs.
        AccessConfig accessConfig = config.access();
        // Token mode with no token configured: one admin token for this run, told in the log (like Jupyter's).
        String madeToken = accessConfig.mode() == AccessConfig.AuthMode.TOKEN && accessConfig.tokens().isEmpty()
                ? Tokens.random() : null;
        Authenticator authenticator = switch (accessConfig.mode()) {
            case TOKEN -> new TokenAuthenticator(madeToken == null ? accessConfig.tokens()
                    : List.of(new AccessConfig.ApiToken("admin", madeToken, true)));
            case OIDC -> {
                AccessConfig.Oidc oidc = accessConfig.oidc().orElseThrow();
                yield new OidcAuthenticator(oidc.issuer(), oidc.audience(), oidc.rolesClaim(), oidc.adminRole());
            }
            case NONE -> null;
        };
        // The edge's one timer (heartbeats, pings, re-subscribing), made here and stopped in close().
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("edge-timer").factory());
        ControlPlaneClient controlPlane = new ControlPlaneClient(config.controlPlaneAddr(), config.controlPlaneAccess(),
                config.controlPlaneTimeout(), timer);
        EdgeMetrics metrics = new EdgeMetrics(registry);
        ViewerSockets sockets = new ViewerSockets(config.heartbeatInterval(), config.wsPingInterval(), timer);
        Access access = new Access(accessConfig, authenticator, controlPlane, metrics);
        RateLimits limits = new RateLimits(accessConfig.createRatePerMinute(), accessConfig.offerRatePerMinute(), metrics, timer);
        StaticContentService ui = config.uiDir()
                .map(dir -> StaticContentService.builder(dir).welcomeFileName("index.html").build())
                .orElseGet(() -> StaticContentService.builder("static").welcomeFileName("index.html").build());

        EdgeTls tls = config.tlsCert().map(cert -> new EdgeTls(cert, config.tlsKey().orElseThrow())).orElse(null);
        var serverBuilder = WebServer.builder();
        if (tls != null) {
            serverBuilder.tls(tls.load());
        }
        WebServer server = serverBuilder
                .port(config.port())
                .maxPayloadSize(MAX_UPLOAD_BYTES) // uploads; JSON bodies are read with a 64 KiB bound
                .routing(routing -> routing
                        .addFilter(new SecurityHeaders(accessConfig))
                        .get("/metrics", (req, res) -> {
                            if (accessConfig.metricsAuth()) {
                                try {
                                    access.admin(req);
                                } catch (ApiException e) {
                                    e.headers().forEach(res::header);
                                    SessionRoutes.json(res, e.status(), SessionJson.error(e.getMessage()));
                                    return;
                                }
                            }
                            res.header(HeaderNames.CONTENT_TYPE, EdgeMetrics.CONTENT_TYPE).send(metrics.scrape());
                        })
                        .register(new SessionRoutes(controlPlane, metrics, access, limits, new LiveView(config.uiDir())))
                        .register(new AdminRoutes(controlPlane, metrics, access))
                        .register("/", ui)
                        // Nothing else here: the one JSON error (and the headers every answer has).
                        .any((req, res) -> SessionRoutes.json(res, 404, SessionJson.error("not found"))))
                // DevTools messages (screenshots, PDFs) may be large: up to 64 MiB in one frame, as clients send them.
                .addProtocol(io.helidon.webserver.websocket.WsConfig.builder().maxFrameLength(CdpSocket.MAX_MESSAGE_BYTES).build())
                .addRouting(WsRouting.builder()
                        .endpoint(ViewerSocket.PATH_PREFIX + "*", () -> new ViewerSocket(controlPlane, sockets, access, metrics,
                                config.inputMessagesPerSecond()))
                        .endpoint(CdpSocket.PATH_PREFIX + "{id}" + CdpSocket.PATH_SUFFIX, () -> new CdpSocket(controlPlane, access,
                                limits, metrics, timer, config.heartbeatInterval(), config.cdpMessagesPerSecond())))
                .build()
                .start();

        if (tls != null) {
            tls.watch(server, timer, config.tlsReloadInterval());
        }
        controlPlane.watch(metrics::onSessionEvent, () -> {
            try {
                metrics.resync(controlPlane.list());
            } catch (ApiException e) {
                LOG.fine("session list for metrics not available yet: " + e.getMessage());
            }
        });
        LOG.info("edge listening on " + (tls != null ? "https" : "http") + "://localhost:" + server.port() + "/ (control plane at "
                + config.controlPlaneAddr() + ", UI from " + config.uiDir().map(Object::toString).orElse("the built-in page") + ")");
        switch (accessConfig.mode()) {
            case NONE -> LOG.warning("AUTH_MODE=none: anyone who reaches http://localhost:" + server.port()
                    + "/ may start, watch and end every session and use the admin routes; use it only on a trusted network");
            case TOKEN -> {
                if (madeToken != null) {
                    LOG.info("no API_TOKENS or ADMIN_TOKENS set: made an admin token for this run; log in at "
                            + "http://localhost:" + server.port() + "/?token=" + madeToken);
                } else {
                    LOG.info("API tokens: " + accessConfig.tokens().size() + " ("
                            + accessConfig.tokens().stream().filter(AccessConfig.ApiToken::admin).count() + " admin)");
                }
            }
            case OIDC -> LOG.info("OIDC: JWTs from " + accessConfig.oidc().orElseThrow().issuer());
        }
        return new Edge(server, controlPlane, sockets, metrics, timer, limits);
    }

    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        sockets.close();
        limits.close();
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
