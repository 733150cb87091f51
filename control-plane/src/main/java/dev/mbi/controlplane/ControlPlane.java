package dev.mbi.controlplane;

import dev.mbi.controlplane.core.ResumeTokens;
import dev.mbi.controlplane.core.SessionRegistry;
import dev.mbi.controlplane.fleet.RunnerFleet;
import dev.mbi.controlplane.grpc.AdminApiService;
import dev.mbi.controlplane.grpc.ApiAuthInterceptor;
import dev.mbi.controlplane.grpc.RunnerStreamService;
import dev.mbi.controlplane.grpc.SessionApiService;
import dev.mbi.controlplane.grpc.StreamLiveness;
import dev.mbi.controlplane.launch.RunnerLauncher;
import dev.mbi.controlplane.launch.RunnerLaunchers;
import dev.mbi.proto.v1.AdminServiceGrpc;
import dev.mbi.proto.v1.SessionServiceGrpc;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.TlsServerCredentials;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The running control plane: its two gRPC servers, the session registry and its reaper. Runners
 * dial GRPC_PORT, which serves RunnerService only; the edge and operators use API_GRPC_PORT
 * (SessionService, AdminService, gRPC health and reflection), where every call must carry
 * CONTROL_PLANE_TOKEN ({@link ApiAuthInterceptor}). Both are plain text or, with GRPC_TLS_CERT,
 * TLS (mutual with GRPC_TLS_CA). gRPC is served by grpc-java; the transports are
 * {@link ServerBuilder}s so that tests can mount the same services in-process (see
 * docs/decisions/0001-control-plane-grpc-on-grpc-java.md).
 */
public final class ControlPlane implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ControlPlane.class.getName());
    /** The largest message accepted from a peer (a frame is a few hundred KiB); larger ones end the call. */
    public static final int MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

    private final Server runnerServer;
    /** The same server as {@link #runnerServer} when one transport serves both (tests). */
    private final Server apiServer;
    private final HealthStatusManager health;
    private final SessionRegistry registry;
    private final StreamLiveness liveness;
    private final ControlPlaneExecutors executors;
    private final ControlPlaneMetrics metrics;

    private ControlPlane(Server runnerServer, Server apiServer, HealthStatusManager health, SessionRegistry registry,
                         StreamLiveness liveness, ControlPlaneExecutors executors, ControlPlaneMetrics metrics) {
        this.metrics = metrics;
        this.runnerServer = runnerServer;
        this.apiServer = apiServer;
        this.health = health;
        this.registry = registry;
        this.liveness = liveness;
        this.executors = executors;
    }

    /** The control plane on its configured ports, with the launcher RUNNER_LAUNCHER names. */
    public static ControlPlane start(ControlPlaneConfig config) {
        ControlPlaneExecutors executors = ControlPlaneExecutors.create();
        RunnerLauncher launcher;
        try {
            launcher = RunnerLaunchers.create(config, executors.work(), executors.timer());
        } catch (RuntimeException e) {
            executors.close();
            throw e;
        }
        return start(config, launcher, executors);
    }

    /** With a launcher of the caller's (tests), on the configured ports. */
    public static ControlPlane start(ControlPlaneConfig config, RunnerLauncher launcher) {
        return start(config, launcher, ControlPlaneExecutors.create());
    }

    private static ControlPlane start(ControlPlaneConfig config, RunnerLauncher launcher, ControlPlaneExecutors executors) {
        ServerBuilder<?> runnerSocket;
        ServerBuilder<?> apiSocket;
        try {
            runnerSocket = socket(config.grpcPort(), config.tls());
            apiSocket = socket(config.apiGrpcPort(), config.tls());
        } catch (RuntimeException e) {
            executors.close();
            throw e;
        }
        return start(config, launcher, runnerSocket, apiSocket, executors);
    }

    /**
     * Serves runners and the API on one transport (in-process in tests). The API's services still
     * require the token; RunnerService does not.
     */
    public static ControlPlane start(ControlPlaneConfig config, RunnerLauncher launcher, ServerBuilder<?> transport) {
        return start(config, launcher, transport, transport, ControlPlaneExecutors.create());
    }

    /** Serves runners on one transport and the API on another. */
    public static ControlPlane start(ControlPlaneConfig config, RunnerLauncher launcher, ServerBuilder<?> runnerTransport,
                                     ServerBuilder<?> apiTransport) {
        return start(config, launcher, runnerTransport, apiTransport, ControlPlaneExecutors.create());
    }

    private static ServerBuilder<?> socket(int port, Optional<ControlPlaneConfig.ServerTls> tls) {
        NettyServerBuilder b;
        if (tls.isEmpty()) {
            b = NettyServerBuilder.forPort(port);
        } else {
            try {
                b = NettyServerBuilder.forPort(port, credentials(tls.get()));
            } catch (IOException | RuntimeException e) {
                throw new IllegalStateException("cannot serve TLS with GRPC_TLS_CERT=" + tls.get().cert() + " and GRPC_TLS_KEY="
                        + tls.get().key() + tls.get().clientCa().map(ca -> " and GRPC_TLS_CA=" + ca).orElse("")
                        + " (PEM: a certificate chain, an unencrypted PKCS#8 key, CA certificates): " + e.getMessage(), e);
            }
        }
        // Runners and edges ping every 10-20 s to keep their one long stream alive.
        return b.permitKeepAliveTime(5, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true);
    }

    private static ServerCredentials credentials(ControlPlaneConfig.ServerTls tls) throws IOException {
        TlsServerCredentials.Builder b = TlsServerCredentials.newBuilder().keyManager(tls.cert().toFile(), tls.key().toFile());
        if (tls.clientCa().isPresent()) {
            b.trustManager(tls.clientCa().get().toFile()).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
        }
        return b.build();
    }

    private static ControlPlane start(ControlPlaneConfig config, RunnerLauncher launcher, ServerBuilder<?> runnerTransport,
                                      ServerBuilder<?> apiTransport, ControlPlaneExecutors executors) {
        StreamLiveness liveness = new StreamLiveness(config.heartbeatInterval(), executors.timer());
        // Runners dial the port actually bound (GRPC_PORT=0 picks a free one), known only after start.
        AtomicInteger boundPort = new AtomicInteger(config.grpcPort());
        SessionRegistry registry = new SessionRegistry(
                new SessionRegistry.Settings(
                        config.maxSessions(),
                        config.sessionTimeout(),
                        config.runnerStartTimeout(),
                        config.endedRetention(),
                        config.heartbeatInterval(),
                        config.fallbackFps(),
                        config.runner().viewport().width(),
                        config.runner().viewport().height(),
                        config.ice(),
                        config.offerTimeout(),
                        config.runner(),
                        config.reconnectWindow(),
                        config.warmPoolSize(),
                        config.cdpMaxClients(),
                        config.policy(),
                        config.viewportMax()),
                launcher,
                () -> config.runnerDialAddress(boundPort.get()),
                Clock.systemUTC(),
                System::nanoTime,
                executors.work(),
                executors.timer(),
                new ResumeTokens(config.signingKey().bytes(), SessionRegistry.RESUME_TOKEN_LIFETIME, Clock.systemUTC()));
        if (config.signingKey().given()) {
            registry.expectSessionsBack();
        } else {
            LOG.warning("CONTROL_PLANE_SIGNING_KEY is not set: runners survive a lost stream but not a restart of the control"
                    + " plane; set it (or CONTROL_PLANE_SIGNING_KEY_FILE) to the same random value on every start");
        }

        // The API's services, each behind the token; health and reflection for probes and operators.
        ApiAuthInterceptor auth = new ApiAuthInterceptor(config.apiToken());
        HealthStatusManager health = new HealthStatusManager();
        List<ServerServiceDefinition> api = List.of(
                ServerInterceptors.intercept(new SessionApiService(registry, liveness), auth),
                ServerInterceptors.intercept(new AdminApiService(registry,
                        launcher instanceof RunnerFleet fleet ? fleet : null, config.launcher().name().toLowerCase(java.util.Locale.ROOT)), auth),
                ServerInterceptors.intercept(health.getHealthService(), auth),
                ServerInterceptors.intercept(ProtoReflectionServiceV1.newInstance(), auth));
        RunnerStreamService runnerStreams = new RunnerStreamService(registry, liveness);
        ServerServiceDefinition runners = runnerStreams.bindService();

        boolean oneTransport = runnerTransport == apiTransport;
        Server runnerServer;
        Server apiServer;
        try {
            runnerTransport.maxInboundMessageSize(MAX_MESSAGE_BYTES).addService(runners);
            if (oneTransport) {
                api.forEach(runnerTransport::addService);
            }
            runnerServer = serve(runnerTransport, "GRPC_PORT", config.grpcPort());
        } catch (RuntimeException e) {
            executors.close();
            throw e;
        }
        if (oneTransport) {
            apiServer = runnerServer;
        } else {
            try {
                apiTransport.maxInboundMessageSize(MAX_MESSAGE_BYTES);
                api.forEach(apiTransport::addService);
                apiServer = serve(apiTransport, "API_GRPC_PORT", config.apiGrpcPort());
            } catch (RuntimeException e) {
                runnerServer.shutdownNow();
                executors.close();
                throw e;
            }
        }
        boundPort.set(runnerServer.getPort());
        ControlPlaneMetrics metrics;
        try {
            metrics = new ControlPlaneMetrics(config.metricsPort(), config.metricsAuth() ? config.apiToken() : null,
                    config.launcher().name().toLowerCase(java.util.Locale.ROOT), registry, runnerStreams, auth,
                    launcher instanceof RunnerFleet fleet ? fleet : null);
        } catch (RuntimeException e) {
            runnerServer.shutdownNow();
            apiServer.shutdownNow();
            executors.close();
            throw e;
        }
        health.setStatus(AdminServiceGrpc.SERVICE_NAME, HealthCheckResponse.ServingStatus.SERVING);
        reportCapacity(health, launcher);
        registry.startWarmPool();
        if (launcher instanceof RunnerFleet) {
            executors.timer().scheduleWithFixedDelay(() -> reportCapacity(health, launcher),
                    HEALTH_INTERVAL.toMillis(), HEALTH_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        }

        long tickMs = Math.clamp(config.sessionTimeout().toMillis() / 4, 250, 5_000);
        executors.timer().scheduleWithFixedDelay(() -> {
            try {
                registry.reap();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "reaping sessions failed", e);
            }
        }, tickMs, tickMs, TimeUnit.MILLISECONDS);

        String security = config.tls().map(t -> t.clientCa().isPresent() ? "mutual TLS" : "TLS").orElse("plain text");
        LOG.info("control plane listening for runners on gRPC port " + runnerServer.getPort() + " and for the API on port "
                + apiServer.getPort() + " (" + security + "; max " + config.maxSessions()
                + " sessions, idle timeout " + describe(config.sessionTimeout()) + ", runners dial "
                + config.runnerDialAddress(runnerServer.getPort()) + ")");
        return new ControlPlane(runnerServer, apiServer, health, registry, liveness, executors, metrics);
    }

    /** How often health follows the fleet's hosts. */
    private static final Duration HEALTH_INTERVAL = Duration.ofSeconds(2);

    /**
     * The control plane (and SessionService, which creates sessions) serves while the launcher can
     * start a runner somewhere: for a fleet, while one host is healthy and not drained.
     */
    private static void reportCapacity(HealthStatusManager health, RunnerLauncher launcher) {
        boolean canLaunch;
        try {
            canLaunch = !(launcher instanceof RunnerFleet fleet) || fleet.hosts().stream().anyMatch(h -> h.healthy() && !h.drained());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "reading the runner hosts' health failed", e);
            canLaunch = false;
        }
        HealthCheckResponse.ServingStatus status = canLaunch
                ? HealthCheckResponse.ServingStatus.SERVING : HealthCheckResponse.ServingStatus.NOT_SERVING;
        health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, status);
        health.setStatus(SessionServiceGrpc.SERVICE_NAME, status);
    }

    private static Server serve(ServerBuilder<?> transport, String setting, int port) {
        try {
            return transport.build().start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot serve gRPC on port " + port + " (" + e.getMessage()
                    + "): choose a free " + setting, e);
        }
    }

    private static String describe(Duration d) {
        return d.toSeconds() >= 60 ? d.toMinutes() + "m" : d.toMillis() + "ms";
    }

    /** The port of /metrics (METRICS_PORT, or the one bound for 0). */
    public int metricsPort() {
        return metrics.port();
    }

    /** The port runners dial (GRPC_PORT, or the one bound for 0). */
    public int grpcPort() {
        return runnerServer.getPort();
    }

    /** The API's port (API_GRPC_PORT, or the one bound for 0); the runners' port when one transport serves both. */
    public int apiPort() {
        return apiServer.getPort();
    }

    public SessionRegistry registry() {
        return registry;
    }

    /**
     * Stops serving without ending anything: what SIGTERM means (a restart, an upgrade). Every
     * runner keeps its browser and dials again, with its resume token, for up to
     * RUNNER_RECONNECT_WINDOW; a control plane started in time with the same signing key takes
     * the sessions back. Ending every session on purpose is TerminateAll.
     */
    public void stopForRestart() {
        health.enterTerminalState();
        liveness.close();
        int live = registry.liveCount();
        LOG.info("control plane stopping for a restart: " + live + " live session(s) keep running, their runners dial"
                + " again until a control plane takes them back");
        runnerServer.shutdownNow();
        apiServer.shutdownNow();
        try {
            runnerServer.awaitTermination(2, TimeUnit.SECONDS);
            apiServer.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        executors.close();
        metrics.close();
    }

    /** Ends every session (stopping its runner) and stops: for tests and embedding; SIGTERM is {@link #stopForRestart()}. */
    @Override
    public void close() {
        // Probes see the control plane go before its sessions do.
        health.enterTerminalState();
        liveness.close();
        registry.close();
        runnerServer.shutdown();
        apiServer.shutdown();
        try {
            awaitOrForce(runnerServer);
            awaitOrForce(apiServer);
        } catch (InterruptedException e) {
            runnerServer.shutdownNow();
            apiServer.shutdownNow();
            Thread.currentThread().interrupt();
        }
        executors.close();
        metrics.close();
    }

    private static void awaitOrForce(Server server) throws InterruptedException {
        if (!server.awaitTermination(2, TimeUnit.SECONDS)) {
            server.shutdownNow();
        }
    }
}
