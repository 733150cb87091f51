package dev.mbi.controlplane;

import dev.mbi.controlplane.core.SessionRegistry;
import dev.mbi.controlplane.fleet.RunnerFleet;
import dev.mbi.controlplane.grpc.AdminApiService;
import dev.mbi.controlplane.grpc.RunnerStreamService;
import dev.mbi.controlplane.grpc.SessionApiService;
import dev.mbi.controlplane.grpc.StreamLiveness;
import dev.mbi.controlplane.launch.RunnerLauncher;
import dev.mbi.controlplane.launch.RunnerLaunchers;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.grpc.GrpcRouting;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The running control plane: the gRPC server, the session registry and its reaper. */
public final class ControlPlane implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ControlPlane.class.getName());

    private final WebServer server;
    private final SessionRegistry registry;
    private final StreamLiveness liveness;
    private final ScheduledExecutorService reaper;

    private ControlPlane(WebServer server, SessionRegistry registry, StreamLiveness liveness, ScheduledExecutorService reaper) {
        this.server = server;
        this.registry = registry;
        this.liveness = liveness;
        this.reaper = reaper;
    }

    public static ControlPlane start(ControlPlaneConfig config) {
        return start(config, RunnerLaunchers.create(config));
    }

    public static ControlPlane start(ControlPlaneConfig config, RunnerLauncher launcher) {
        StreamLiveness liveness = new StreamLiveness(config.heartbeatInterval());
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
                        config.runner()),
                launcher,
                () -> config.runnerDialAddress(boundPort.get()),
                Clock.systemUTC(),
                System::nanoTime);
        WebServer server = WebServer.builder()
                .port(config.grpcPort())
                .addRouting(GrpcRouting.builder()
                        .service(new RunnerStreamService(registry, liveness))
                        .service(new SessionApiService(registry, liveness))
                        .service(new AdminApiService(launcher instanceof RunnerFleet fleet ? fleet : null)))
                .build()
                .start();
        boundPort.set(server.port());

        ScheduledExecutorService reaper = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("session-reaper").factory());
        long tickMs = Math.clamp(config.sessionTimeout().toMillis() / 4, 250, 5_000);
        reaper.scheduleWithFixedDelay(() -> {
            try {
                registry.reap();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "reaping sessions failed", e);
            }
        }, tickMs, tickMs, TimeUnit.MILLISECONDS);

        LOG.info("control plane listening for gRPC on port " + server.port() + " (max " + config.maxSessions()
                + " sessions, idle timeout " + describe(config.sessionTimeout()) + ", runners dial "
                + config.runnerDialAddress(server.port()) + ")");
        return new ControlPlane(server, registry, liveness, reaper);
    }

    private static String describe(Duration d) {
        return d.toSeconds() >= 60 ? d.toMinutes() + "m" : d.toMillis() + "ms";
    }

    public int grpcPort() {
        return server.port();
    }

    public SessionRegistry registry() {
        return registry;
    }

    @Override
    public void close() {
        reaper.shutdownNow();
        registry.close();
        liveness.close();
        server.stop();
    }
}
