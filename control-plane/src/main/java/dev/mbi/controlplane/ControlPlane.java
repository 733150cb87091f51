package dev.mbi.controlplane;

import dev.mbi.controlplane.core.SessionRegistry;
import dev.mbi.controlplane.fleet.RunnerFleet;
import dev.mbi.controlplane.grpc.AdminApiService;
import dev.mbi.controlplane.grpc.RunnerStreamService;
import dev.mbi.controlplane.grpc.SessionApiService;
import dev.mbi.controlplane.grpc.StreamLiveness;
import dev.mbi.controlplane.launch.RunnerLauncher;
import dev.mbi.controlplane.launch.RunnerLaunchers;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The running control plane: the gRPC server, the session registry and its reaper. gRPC is served
 * by grpc-java; the transport is a {@link ServerBuilder} so that tests can mount the same services
 * in-process (see docs/decisions/0001-control-plane-grpc-on-grpc-java.md).
 */
public final class ControlPlane implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ControlPlane.class.getName());
    /** The largest message accepted from a peer (a frame is a few hundred KiB); larger ones end the call. */
    public static final int MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

    private final Server server;
    private final SessionRegistry registry;
    private final StreamLiveness liveness;
    private final ControlPlaneExecutors executors;

    private ControlPlane(Server server, SessionRegistry registry, StreamLiveness liveness, ControlPlaneExecutors executors) {
        this.server = server;
        this.registry = registry;
        this.liveness = liveness;
        this.executors = executors;
    }

    /** The control plane on its configured port, with the launcher RUNNER_LAUNCHER names. */
    public static ControlPlane start(ControlPlaneConfig config) {
        ControlPlaneExecutors executors = ControlPlaneExecutors.create();
        RunnerLauncher launcher;
        try {
            launcher = RunnerLaunchers.create(config, executors.work(), executors.timer());
        } catch (RuntimeException e) {
            executors.close();
            throw e;
        }
        return start(config, launcher, socket(config), executors);
    }

    /** With a launcher of the caller's (tests). */
    public static ControlPlane start(ControlPlaneConfig config, RunnerLauncher launcher) {
        return start(config, launcher, socket(config), ControlPlaneExecutors.create());
    }

    /** Serves the control plane on the given transport (a socket, or in-process in tests). */
    public static ControlPlane start(ControlPlaneConfig config, RunnerLauncher launcher, ServerBuilder<?> transport) {
        return start(config, launcher, transport, ControlPlaneExecutors.create());
    }

    private static ServerBuilder<?> socket(ControlPlaneConfig config) {
        return NettyServerBuilder.forPort(config.grpcPort())
                // Runners and edges ping every 10-20 s to keep their one long stream alive.
                .permitKeepAliveTime(5, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true);
    }

    private static ControlPlane start(ControlPlaneConfig config, RunnerLauncher launcher, ServerBuilder<?> transport,
                                      ControlPlaneExecutors executors) {
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
                        config.runner()),
                launcher,
                () -> config.runnerDialAddress(boundPort.get()),
                Clock.systemUTC(),
                System::nanoTime,
                executors.work(),
                executors.timer());
        Server server;
        try {
            server = transport
                    .maxInboundMessageSize(MAX_MESSAGE_BYTES)
                    .addService(new RunnerStreamService(registry, liveness))
                    .addService(new SessionApiService(registry, liveness))
                    .addService(new AdminApiService(launcher instanceof RunnerFleet fleet ? fleet : null))
                    .build()
                    .start();
        } catch (IOException e) {
            executors.close();
            throw new IllegalStateException("cannot serve gRPC on port " + config.grpcPort() + " (" + e.getMessage()
                    + "): choose a free GRPC_PORT", e);
        }
        boundPort.set(server.getPort());

        long tickMs = Math.clamp(config.sessionTimeout().toMillis() / 4, 250, 5_000);
        executors.timer().scheduleWithFixedDelay(() -> {
            try {
                registry.reap();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "reaping sessions failed", e);
            }
        }, tickMs, tickMs, TimeUnit.MILLISECONDS);

        LOG.info("control plane listening for gRPC on port " + server.getPort() + " (max " + config.maxSessions()
                + " sessions, idle timeout " + describe(config.sessionTimeout()) + ", runners dial "
                + config.runnerDialAddress(server.getPort()) + ")");
        return new ControlPlane(server, registry, liveness, executors);
    }

    private static String describe(Duration d) {
        return d.toSeconds() >= 60 ? d.toMinutes() + "m" : d.toMillis() + "ms";
    }

    public int grpcPort() {
        return server.getPort();
    }

    public SessionRegistry registry() {
        return registry;
    }

    @Override
    public void close() {
        liveness.close();
        registry.close();
        server.shutdown();
        try {
            if (!server.awaitTermination(2, TimeUnit.SECONDS)) {
                server.shutdownNow();
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
        executors.close();
    }
}
