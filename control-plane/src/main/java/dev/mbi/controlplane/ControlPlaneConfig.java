package dev.mbi.controlplane;

import dev.mbi.config.Env;
import dev.mbi.config.ServiceMain;
import dev.mbi.contract.ControlPlaneTls;
import dev.mbi.contract.RunnerContract;
import dev.mbi.controlplane.core.IceSettings;
import dev.mbi.controlplane.grpc.ApiToken;
import dev.mbi.controlplane.launch.FleetConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

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
        List<String> runnerJavaOptions,
        RunnerContract.Settings runner,
        int fallbackFps,
        IceSettings ice,
        Duration offerTimeout,
        FleetConfig fleet,
        int apiGrpcPort,
        ApiToken apiToken,
        Optional<ServerTls> tls,
        SigningKey signingKey,
        Duration reconnectWindow,
        int metricsPort,
        boolean metricsAuth,
        int warmPoolSize,
        int cdpMaxClients,
        dev.mbi.controlplane.core.DataPolicy policy,
        RunnerContract.Viewport viewportMax) implements ServiceMain.Config {

    /** The shortest CONTROL_PLANE_SIGNING_KEY accepted, in characters. */
    public static final int MIN_SIGNING_KEY_LENGTH = 32;

    /**
     * What the control plane signs runners' resume tokens with (CONTROL_PLANE_SIGNING_KEY or
     * ..._FILE). Without one it makes a key at start: runners then survive a lost stream, but not
     * a restart of the control plane. Never printed.
     */
    public record SigningKey(byte[] bytes, boolean given) {
        @Override
        public String toString() {
            return given ? "SigningKey[given]" : "SigningKey[made at start]";
        }
    }

    /** The shortest CONTROL_PLANE_TOKEN accepted. */
    public static final int MIN_TOKEN_LENGTH = 16;

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
        int apiGrpcPort = env.integer("API_GRPC_PORT", 50052, 0, 65535);
        if (apiGrpcPort == grpcPort && grpcPort != 0) {
            env.problem("API_GRPC_PORT=" + apiGrpcPort + " is GRPC_PORT too: runners and the API need a port each");
        }
        ApiToken token = apiToken(env);
        Optional<ServerTls> tls = serverTls(env);
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
                runnerJavaOptions(env),
                // Chromium, its flags, the capture, the viewport, JPEG quality and LOG_LEVEL, passed on to every runner,
                // and how runners dial back when the control plane serves TLS.
                RunnerContract.Settings.from(env).dialingWith(runnerTls(env, tls)),
                env.integer("FALLBACK_FPS", 5, 1, 60),
                ice(env),
                env.duration("OFFER_TIMEOUT", Duration.ofSeconds(10), Duration.ofMillis(500)),
                fleet,
                apiGrpcPort,
                token,
                tls,
                signingKey(env),
                env.duration("RUNNER_RECONNECT_WINDOW", Duration.ofSeconds(60), Duration.ofMillis(500)),
                env.integer("METRICS_PORT", 9464, 0, 65535),
                env.bool("METRICS_AUTH", false),
                // Runners kept started (Chromium on a blank page) for the next sessions, on top of MAX_SESSIONS.
                env.integer("WARM_POOL_SIZE", 0, 0, 64),
                // Automation clients (Playwright, Puppeteer) connected at once to one session's DevTools endpoint.
                env.integer("CDP_MAX_CLIENTS", 2, 0, 16),
                policy(env),
                viewportMax(env));
        env.requireValid("control plane");
        return config;
    }

    /** The largest page a viewer's resize may ask for (VIEWPORT_MAX_WIDTH/_HEIGHT): frames and encoding grow with it. */
    private static RunnerContract.Viewport viewportMax(Env env) {
        RunnerContract.Viewport start = RunnerContract.Settings.from(env).viewport();
        int width = env.integer("VIEWPORT_MAX_WIDTH", Math.max(1920, start.width()), RunnerContract.Viewport.MIN_WIDTH,
                RunnerContract.Viewport.MAX_WIDTH);
        int height = env.integer("VIEWPORT_MAX_HEIGHT", Math.max(1080, start.height()), RunnerContract.Viewport.MIN_HEIGHT,
                RunnerContract.Viewport.MAX_HEIGHT);
        if (width < start.width() || height < start.height()) {
            env.problem("VIEWPORT_MAX_WIDTH x VIEWPORT_MAX_HEIGHT (" + width + "x" + height + ") is smaller than the page"
                    + " sessions start at (VIEWPORT_WIDTH x VIEWPORT_HEIGHT = " + start.width() + "x" + start.height()
                    + "): raise the maximum or lower the start size");
            return start;
        }
        return new RunnerContract.Viewport(width, height);
    }

    /** What may cross a session's boundary unless its request narrows it (POLICY_*). */
    private static dev.mbi.controlplane.core.DataPolicy policy(Env env) {
        dev.mbi.controlplane.core.DataPolicy.Clipboard clipboard = dev.mbi.controlplane.core.DataPolicy.Clipboard.BOTH;
        String value = env.string("POLICY_CLIPBOARD", "both");
        try {
            clipboard = dev.mbi.controlplane.core.DataPolicy.Clipboard.parse(value);
        } catch (IllegalArgumentException e) {
            env.problem("POLICY_CLIPBOARD=" + value + ": use both, to-local, to-remote or none");
        }
        return new dev.mbi.controlplane.core.DataPolicy(clipboard,
                permission(env, "POLICY_DOWNLOADS"), permission(env, "POLICY_UPLOADS"), permission(env, "POLICY_PRINTING"),
                permission(env, "POLICY_KEYBOARD"), permission(env, "POLICY_AUDIO"),
                env.integer("POLICY_MAX_TRANSFER_BYTES", (int) dev.mbi.controlplane.core.DataPolicy.DEFAULT_MAX_TRANSFER_BYTES,
                        1, Integer.MAX_VALUE));
    }

    private static boolean permission(Env env, String name) {
        String value = env.string(name, "allow");
        if (!value.equals("allow") && !value.equals("deny")) {
            env.problem(name + "=" + value + ": use allow or deny");
        }
        return !value.equals("deny");
    }

    private static SigningKey signingKey(Env env) {
        String text = env.secret("CONTROL_PLANE_SIGNING_KEY");
        if (text.isEmpty()) {
            return new SigningKey(dev.mbi.controlplane.core.ResumeTokens.randomKey(), false);
        }
        if (text.length() < MIN_SIGNING_KEY_LENGTH) {
            env.problem("CONTROL_PLANE_SIGNING_KEY is too short (" + text.length() + " characters): use at least "
                    + MIN_SIGNING_KEY_LENGTH + " random characters (e.g. openssl rand -base64 48)");
        }
        return new SigningKey(dev.mbi.controlplane.core.ResumeTokens.keyFromText(text), true);
    }

    /**
     * RUNNER_JAVA_OPTIONS: JVM options the process launcher adds to every runner's command line
     * (e.g. -Xmx192m, or -Djdk.net.hosts.file=... to give runners a resolver file of their own),
     * separated by spaces. Options that read a file of Java code or arguments are refused: they
     * would run code the runner was not built with.
     */
    private static List<String> runnerJavaOptions(Env env) {
        List<String> options = Arrays.stream(env.string("RUNNER_JAVA_OPTIONS", "").trim().split("\\s+"))
                .filter(o -> !o.isEmpty()).toList();
        for (String o : options) {
            if (!o.startsWith("-") || o.startsWith("-javaagent") || o.startsWith("-agent") || o.startsWith("@")
                    || o.equals("-jar") || o.startsWith("-cp") || o.startsWith("-classpath") || o.startsWith("--class-path")) {
                env.problem("RUNNER_JAVA_OPTIONS: '" + o + "' is not allowed: give JVM options such as -Xmx192m or"
                        + " -Dname=value (no agents, class paths or argument files)");
            }
        }
        return options;
    }

    /** TLS on both gRPC ports: the server's certificate and key, and the CA of client certificates for mutual TLS. */
    public record ServerTls(Path cert, Path key, Optional<Path> clientCa) {
    }

    /** CONTROL_PLANE_TOKEN, or the first line of the file CONTROL_PLANE_TOKEN_FILE names: required. */
    private static ApiToken apiToken(Env env) {
        String direct = env.string("CONTROL_PLANE_TOKEN", "");
        String file = env.string("CONTROL_PLANE_TOKEN_FILE", "");
        String token = direct;
        if (!direct.isEmpty() && !file.isEmpty()) {
            env.problem("CONTROL_PLANE_TOKEN and CONTROL_PLANE_TOKEN_FILE are both set: set one");
        } else if (!file.isEmpty()) {
            try {
                token = Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
            } catch (IOException | RuntimeException e) {
                env.problem("CONTROL_PLANE_TOKEN_FILE=" + file + " cannot be read (" + e.getMessage() + ")");
                return ApiToken.of("unreadable-token-file");
            }
            if (token.isEmpty()) {
                env.problem("CONTROL_PLANE_TOKEN_FILE=" + file + " is empty");
            }
        } else if (direct.isEmpty()) {
            env.problem("CONTROL_PLANE_TOKEN is not set: every call on the API port (API_GRPC_PORT) must carry it as"
                    + " 'authorization: Bearer <token>'; give the control plane and its edges the same random value"
                    + " (e.g. openssl rand -base64 32), or name a file holding it in CONTROL_PLANE_TOKEN_FILE");
        }
        if (!token.isEmpty() && token.length() < MIN_TOKEN_LENGTH) {
            env.problem("CONTROL_PLANE_TOKEN is too short (" + token.length() + " characters): use at least "
                    + MIN_TOKEN_LENGTH + " random characters (e.g. openssl rand -base64 32)");
        }
        if (!token.isEmpty() && token.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
            env.problem("CONTROL_PLANE_TOKEN must be printable ASCII without spaces (it travels in a gRPC header)");
        }
        return ApiToken.of(token.isEmpty() ? "unset" : token);
    }

    /** GRPC_TLS_CERT and GRPC_TLS_KEY (PEM files) turn TLS on; GRPC_TLS_CA requires client certificates it signed. */
    private static Optional<ServerTls> serverTls(Env env) {
        Optional<Path> cert = file(env, "GRPC_TLS_CERT");
        Optional<Path> key = file(env, "GRPC_TLS_KEY");
        Optional<Path> ca = file(env, "GRPC_TLS_CA");
        if (cert.isPresent() != key.isPresent()) {
            env.problem("GRPC_TLS_CERT and GRPC_TLS_KEY go together: set both (TLS) or neither (plain text)");
            return Optional.empty();
        }
        if (cert.isEmpty()) {
            if (ca.isPresent()) {
                env.problem("GRPC_TLS_CA (mutual TLS) needs GRPC_TLS_CERT and GRPC_TLS_KEY, the server's own certificate");
            }
            return Optional.empty();
        }
        return Optional.of(new ServerTls(cert.get(), key.get(), ca));
    }

    /**
     * How runners dial back: in plain text, or over TLS trusting RUNNER_TLS_CA (by default the
     * control plane's own certificate, GRPC_TLS_CERT) and, with mutual TLS, presenting
     * RUNNER_TLS_CERT and RUNNER_TLS_KEY.
     */
    private static ControlPlaneTls runnerTls(Env env, Optional<ServerTls> tls) {
        Optional<Path> ca = file(env, "RUNNER_TLS_CA");
        Optional<Path> cert = file(env, "RUNNER_TLS_CERT");
        Optional<Path> key = file(env, "RUNNER_TLS_KEY");
        if (tls.isEmpty()) {
            if (ca.isPresent() || cert.isPresent() || key.isPresent()) {
                env.problem("RUNNER_TLS_CA, RUNNER_TLS_CERT and RUNNER_TLS_KEY need TLS on the control plane"
                        + " (GRPC_TLS_CERT, GRPC_TLS_KEY)");
            }
            return ControlPlaneTls.PLAINTEXT;
        }
        if (cert.isPresent() != key.isPresent()) {
            env.problem("RUNNER_TLS_CERT and RUNNER_TLS_KEY go together: set both or neither");
            return ControlPlaneTls.PLAINTEXT;
        }
        if (tls.get().clientCa().isPresent() && cert.isEmpty()) {
            env.problem("GRPC_TLS_CA requires client certificates: give runners theirs in RUNNER_TLS_CERT and RUNNER_TLS_KEY");
            return ControlPlaneTls.PLAINTEXT;
        }
        String caPem = pem(ca.orElse(tls.get().cert()));
        String certPem = cert.map(ControlPlaneConfig::pem).orElse("");
        String keyPem = key.map(ControlPlaneConfig::pem).orElse("");
        if (caPem.isEmpty() || certPem.isEmpty() != keyPem.isEmpty()) {
            return ControlPlaneTls.PLAINTEXT; // an unreadable file, reported by file()
        }
        return ControlPlaneTls.tls(caPem, certPem, keyPem);
    }

    /** A file setting: empty when unset; a problem when set to something that is not a readable file. */
    private static Optional<Path> file(Env env, String name) {
        String value = env.string(name, "");
        if (value.isEmpty()) {
            return Optional.empty();
        }
        Path p = Path.of(value);
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            env.problem(name + "=" + value + " is not a readable file");
        }
        return Optional.of(p);
    }

    private static String pem(Path p) {
        try {
            return Files.readString(p, StandardCharsets.US_ASCII).strip();
        } catch (IOException | RuntimeException e) {
            return "";
        }
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
