package dev.mbi.controlplane;

import dev.mbi.config.Env;
import dev.mbi.config.ServiceMain;
import dev.mbi.contract.RunnerContract;
import dev.mbi.controlplane.core.IceSettings;
import dev.mbi.controlplane.launch.FleetConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Every setting of the control plane, read from the environment in one place and checked at start. */
public record ControlPlaneConfig(
        int grpcPort,
        int maxSessions,
        Duration sessionTimeout,
        Duration runnerStartTimeout,
        Duration endedRetention,
        Duration heartbeatInterval,
        LauncherKind launcher,
        String runnerControlPlaneAddr,
        Path runnerJar,
        RunnerContract.Settings runner,
        int fallbackFps,
        IceSettings ice,
        Duration offerTimeout,
        FleetConfig fleet) implements ServiceMain.Config {

    public enum LauncherKind { PROCESS, DOCKER, KUBERNETES }

    /** {@value RunnerContract#LOG_LEVEL}: the control plane's own log level, and its runners'. */
    @Override
    public String logLevel() {
        return runner.logLevel();
    }

    /** The address runners dial: RUNNER_CONTROL_PLANE_ADDR, or this host's loopback on the bound port. */
    public String runnerDialAddress(int boundPort) {
        return runnerControlPlaneAddr.isEmpty() ? "localhost:" + boundPort : runnerControlPlaneAddr;
    }

    public static ControlPlaneConfig from(Env env) {
        int grpcPort = env.integer("GRPC_PORT", 50051, 0, 65535);
        LauncherKind launcher = env.choice("RUNNER_LAUNCHER", LauncherKind.PROCESS, LauncherKind.class);
        Path runnerJar = Path.of(env.string("RUNNER_JAR", defaultRunnerJar()));
        if (launcher == LauncherKind.PROCESS && !Files.isRegularFile(runnerJar)) {
            env.problem("RUNNER_JAR=" + runnerJar.toAbsolutePath()
                    + " does not exist: build it with 'make build' or point RUNNER_JAR at runner.jar");
        }
        // Runners in containers or pods: their settings, and an address they can reach.
        FleetConfig fleet = FleetConfig.from(env, launcher == LauncherKind.DOCKER);
        boolean everyHostHasItsOwn = launcher == LauncherKind.DOCKER && !fleet.dockerHosts().isEmpty()
                && fleet.dockerHosts().stream().allMatch(h -> h.controlPlaneAddr().isPresent());
        if (launcher != LauncherKind.PROCESS && env.string("RUNNER_CONTROL_PLANE_ADDR", "").isEmpty() && !everyHostHasItsOwn) {
            env.problem("RUNNER_CONTROL_PLANE_ADDR is not set: runners in containers cannot dial localhost; give the control"
                    + " plane's address as seen from the runner hosts (e.g. 172.17.0.1:50051 or control-plane.mbi:50051)");
        }
        ControlPlaneConfig config = new ControlPlaneConfig(
                grpcPort,
                env.integer("MAX_SESSIONS", 10, 1, 100_000),
                env.duration("SESSION_TIMEOUT", Duration.ofMinutes(30), Duration.ofSeconds(1)),
                env.duration("RUNNER_START_TIMEOUT", Duration.ofSeconds(60), Duration.ofSeconds(1)),
                env.duration("SESSION_RETENTION", Duration.ofHours(1), Duration.ZERO),
                env.duration("HEARTBEAT_INTERVAL", Duration.ofSeconds(1), Duration.ofMillis(100)),
                launcher,
                env.string("RUNNER_CONTROL_PLANE_ADDR", ""),
                runnerJar,
                // Chromium, its flags, the capture, the viewport, JPEG quality and LOG_LEVEL, passed on to every runner.
                RunnerContract.Settings.from(env),
                env.integer("FALLBACK_FPS", 5, 1, 60),
                ice(env),
                env.duration("OFFER_TIMEOUT", Duration.ofSeconds(10), Duration.ofMillis(500)),
                fleet);
        env.requireValid("control plane");
        return config;
    }

    /** STUN/TURN for WebRTC. No STUN by default: a self-hosted product should not call a third party unasked. */
    private static IceSettings ice(Env env) {
        String stun = env.string("STUN_HOST", "");
        if (!stun.isEmpty() && !stun.startsWith("stun:") && !stun.startsWith("stuns:")) {
            stun = "stun:" + stun;
        }
        boolean turn = env.bool("TURN_ENABLED", false);
        String policy = env.string("ICE_TRANSPORT_POLICY", "all");
        if (!policy.equals("all") && !policy.equals("relay")) {
            env.problem("ICE_TRANSPORT_POLICY=" + policy + ": use all or relay");
        }
        if (policy.equals("relay") && !turn) {
            env.problem("ICE_TRANSPORT_POLICY=relay needs TURN_ENABLED=true and a TURN server");
        }
        // No default credentials: TURN with a guessable one is an open relay (TurnCredentials).
        String turnUsername = env.string("TURN_USERNAME", "");
        String turnCredential = env.secret("TURN_CREDENTIAL");
        String turnSecret = env.secret("TURN_SECRET");
        TurnCredentials.check(env, turn, turnSecret, turnUsername, turnCredential);
        return new IceSettings(
                stun,
                turn,
                env.string("TURN_HOST", "coturn"),
                env.integer("TURN_PORT", 3478, 1, 65535),
                turnUsername,
                turnCredential,
                turnSecret,
                env.duration("TURN_TTL", Duration.ofHours(1), Duration.ofMinutes(1)),
                policy.equals("relay"),
                env.integer("WEBRTC_TIMEOUT_SEC", 15, 1, 600));
    }

    /** Where the build puts the runner, seen from the repository root or from a module folder. */
    private static String defaultRunnerJar() {
        for (String candidate : new String[] {"runner/target/runner.jar", "../runner/target/runner.jar"}) {
            if (Files.isRegularFile(Path.of(candidate))) {
                return candidate;
            }
        }
        return "runner/target/runner.jar";
    }
}
