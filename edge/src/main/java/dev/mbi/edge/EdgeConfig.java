package dev.mbi.edge;

import dev.mbi.config.Env;
import dev.mbi.config.ServiceMain;
import dev.mbi.edge.auth.AccessConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** Every setting of the edge, read from the environment in one place and checked at start. */
public record EdgeConfig(
        int port,
        String controlPlaneAddr,
        Duration controlPlaneTimeout,
        Duration wsPingInterval,
        Duration heartbeatInterval,
        Optional<Path> uiDir,
        String logLevel,
        AccessConfig access,
        ControlPlaneAccess controlPlaneAccess,
        int cdpMessagesPerSecond,
        int inputMessagesPerSecond,
        Optional<Path> tlsCert,
        Optional<Path> tlsKey,
        Duration tlsReloadInterval) implements ServiceMain.Config {

    private static Optional<Path> file(Env env, String name) {
        String value = env.string(name, "");
        if (value.isEmpty()) {
            return Optional.empty();
        }
        if (!Files.isReadable(Path.of(value))) {
            env.problem(name + "=" + value + " is not a readable file");
        }
        return Optional.of(Path.of(value));
    }

    public static EdgeConfig from(Env env) {
        String ui = env.string("UI_DIR", "");
        Optional<Path> uiDir = Optional.empty();
        if (!ui.isEmpty()) {
            if (!Files.isDirectory(Path.of(ui))) {
                env.problem("UI_DIR=" + ui + " is not a folder: build the UI (make build) or unset UI_DIR");
            }
            uiDir = Optional.of(Path.of(ui));
        } else {
            for (String candidate : new String[] {"ui/dist", "../ui/dist"}) {
                if (Files.isRegularFile(Path.of(candidate, "index.html"))) {
                    uiDir = Optional.of(Path.of(candidate));
                    break;
                }
            }
        }
        EdgeConfig config = new EdgeConfig(
                env.integer("PORT", 8090, 0, 65535),
                // The control plane's API port (API_GRPC_PORT), not the runners' (GRPC_PORT).
                env.string("CONTROL_PLANE_ADDR", "localhost:50052"),
                env.duration("CONTROL_PLANE_TIMEOUT", Duration.ofSeconds(5), Duration.ofMillis(100)),
                env.duration("WS_PING_INTERVAL", Duration.ofSeconds(15), Duration.ofSeconds(1)),
                env.duration("HEARTBEAT_INTERVAL", Duration.ofSeconds(1), Duration.ofMillis(100)),
                uiDir,
                env.string("LOG_LEVEL", "info"),
                AccessConfig.from(env),
                ControlPlaneAccess.from(env),
                // DevTools messages one automation client may send a second; beyond it the client is cut off.
                env.integer("CDP_MESSAGES_PER_SECOND", 1000, 1, 1_000_000),
                // Input messages one viewer may send a second; beyond it they are dropped (with a notice).
                env.integer("INPUT_MESSAGES_PER_SECOND", 1000, 1, 1_000_000),
                file(env, "TLS_CERT"),
                file(env, "TLS_KEY"),
                env.duration("TLS_RELOAD_INTERVAL", Duration.ofSeconds(10), Duration.ofMillis(100)));
        if (config.tlsCert().isPresent() != config.tlsKey().isPresent()) {
            env.problem("TLS_CERT and TLS_KEY go together: give both (HTTPS) or neither (plain HTTP)");
        }
        env.requireValid("edge");
        return config;
    }
}
