package dev.mbi.contract;

import dev.mbi.config.Env;
import dev.mbi.egress.EgressSettings;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a launcher tells one runner, and the only place its variable and label names are spelled:
 * the session the runner serves (its id, one-time join token and the control plane address it
 * dials) and the runner's settings. Launchers turn it into the runner's environment with
 * {@link #toEnvironment()} and label the container or pod with {@link #labels(String, String)};
 * the runner reads it back with {@link #from(Env)}.
 */
public record RunnerContract(String sessionId, String joinToken, String controlPlaneAddr, Settings settings) {

    // ---- environment variables: the session

    public static final String SESSION_ID = "SESSION_ID";
    public static final String JOIN_TOKEN = "JOIN_TOKEN";
    public static final String CONTROL_PLANE_ADDR = "CONTROL_PLANE_ADDR";

    // ---- environment variables: the settings

    public static final String CHROMIUM_PATH = "CHROMIUM_PATH";
    public static final String CHROME_FLAGS = "RUNNER_CHROME_FLAGS";
    public static final String CAPTURE = "RUNNER_CAPTURE";
    public static final String VIEWPORT_WIDTH = "VIEWPORT_WIDTH";
    public static final String VIEWPORT_HEIGHT = "VIEWPORT_HEIGHT";
    public static final String JPEG_QUALITY = "RUNNER_JPEG_QUALITY";
    public static final String LOG_LEVEL = "LOG_LEVEL";
    public static final String MAX_PEERS_PER_SESSION = "MAX_PEERS_PER_SESSION";
    public static final String WORK_DIR = "RUNNER_WORK_DIR";
    public static final String HOME = "HOME";
    public static final String DISPLAY = "DISPLAY";
    /**
     * The process id of the X server the launcher started for this runner alone (the display
     * capture): the runner ends it as it exits, also when the control plane that started it is gone.
     */
    public static final String DISPLAY_SERVER_PID = "RUNNER_DISPLAY_SERVER_PID";
    /**
     * Where the session's own sound server listens ({@code unix:<socket>}): the runner starts it
     * there, and the libwebrtc in the runner's JVM and Chromium both find it through this variable,
     * which a process cannot set for itself once started.
     */
    public static final String SOUND_SERVER = "PULSE_SERVER";
    /** "true" when the runner dials the control plane over TLS; the PEM variables below refine it. */
    public static final String CONTROL_PLANE_TLS = "CONTROL_PLANE_TLS";
    /** The CAs (PEM text) the runner trusts for the control plane's certificate; empty: the system's. */
    public static final String CONTROL_PLANE_TLS_CA_PEM = "CONTROL_PLANE_TLS_CA_PEM";
    /** The client certificate (PEM text) a runner presents for mutual TLS, with its key. */
    public static final String CONTROL_PLANE_TLS_CERT_PEM = "CONTROL_PLANE_TLS_CERT_PEM";
    public static final String CONTROL_PLANE_TLS_KEY_PEM = "CONTROL_PLANE_TLS_KEY_PEM";

    // ---- labels of runner containers and pods

    public static final String LABEL_ROLE = "dev.mbi.role";
    public static final String LABEL_CONTROL_PLANE = "dev.mbi.control-plane";
    public static final String LABEL_SESSION = "dev.mbi.session";
    public static final String LABEL_HOST = "dev.mbi.runner-host";
    public static final String ROLE_RUNNER = "runner";

    /** Chromium flags the runner sets itself; {@value #CHROME_FLAGS} may not contain them. */
    public static final List<String> RESERVED_CHROME_FLAGS = List.of("--remote-debugging", "--user-data-dir", "--headless=old",
            // The egress proxy's: nothing may route around it.
            "--proxy-server", "--proxy-bypass-list", "--no-proxy-server", "--proxy-pac-url", "--proxy-auto-detect",
            "--force-webrtc-ip-handling-policy", "--enable-quic");

    public RunnerContract {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(joinToken, "joinToken");
        Objects.requireNonNull(controlPlaneAddr, "controlPlaneAddr");
        Objects.requireNonNull(settings, "settings");
    }

    /** How the viewport is captured for WebRTC (the WebSocket stream always uses the screencast). */
    public enum Capture {
        /** Headless Chromium; CDP screencast JPEGs re-encoded as VP8. */
        SCREENCAST,
        /** Headful Chromium on an X display (Xvfb), captured directly by libwebrtc. */
        DESKTOP;

        /** As written in {@value RunnerContract#CAPTURE}. */
        public String value() {
            return name().toLowerCase();
        }
    }

    /** The browser's viewport in CSS pixels, before the control plane's welcome names it for the session. */
    public record Viewport(int width, int height) {
        public static final int MIN_WIDTH = 320;
        public static final int MAX_WIDTH = 3840;
        public static final int MIN_HEIGHT = 240;
        public static final int MAX_HEIGHT = 2160;

        public Viewport {
            if (width < MIN_WIDTH || width > MAX_WIDTH || height < MIN_HEIGHT || height > MAX_HEIGHT) {
                throw new IllegalArgumentException("viewport " + width + "x" + height + " is outside "
                        + MIN_WIDTH + "x" + MIN_HEIGHT + " .. " + MAX_WIDTH + "x" + MAX_HEIGHT);
            }
        }
    }

    /**
     * The runner's settings. The first seven are the operator's choice and the same for every runner
     * of a control plane; the work folder, HOME and the X display depend on where the runner runs
     * and are set by its launcher (empty: the runner's own defaults, or what it inherits); how it
     * dials the control plane (TLS) is the control plane's.
     */
    public record Settings(
            String chromiumPath,
            List<String> chromeFlags,
            Capture capture,
            Viewport viewport,
            int jpegQuality,
            String logLevel,
            int maxPeersPerSession,
            Optional<Path> workDir,
            Optional<Path> home,
            Optional<String> display,
            EgressSettings egress,
            ControlPlaneTls controlPlaneTls) {

        public static final String DEFAULT_CHROMIUM_PATH = "/usr/bin/chromium";
        public static final Viewport DEFAULT_VIEWPORT = new Viewport(1280, 720);
        public static final int DEFAULT_JPEG_QUALITY = 70;
        public static final int MIN_JPEG_QUALITY = 10;
        public static final int MAX_JPEG_QUALITY = 100;
        public static final String DEFAULT_LOG_LEVEL = "info";
        /** WebRTC viewers (peer connections) one runner serves at once; more offers are refused. */
        public static final int DEFAULT_MAX_PEERS_PER_SESSION = 4;
        public static final int MIN_MAX_PEERS_PER_SESSION = 1;
        public static final int MAX_MAX_PEERS_PER_SESSION = 64;

        public Settings {
            Objects.requireNonNull(chromiumPath, "chromiumPath");
            chromeFlags = List.copyOf(chromeFlags);
            for (String flag : chromeFlags) {
                if (flag.isBlank() || flag.chars().anyMatch(Character::isWhitespace)) {
                    throw new IllegalArgumentException("Chromium flag '" + flag + "' is blank or contains white space");
                }
            }
            Objects.requireNonNull(capture, "capture");
            Objects.requireNonNull(viewport, "viewport");
            if (jpegQuality < MIN_JPEG_QUALITY || jpegQuality > MAX_JPEG_QUALITY) {
                throw new IllegalArgumentException("JPEG quality " + jpegQuality + " is outside "
                        + MIN_JPEG_QUALITY + " .. " + MAX_JPEG_QUALITY);
            }
            Objects.requireNonNull(logLevel, "logLevel");
            Objects.requireNonNull(egress, "egress");
            if (maxPeersPerSession < MIN_MAX_PEERS_PER_SESSION || maxPeersPerSession > MAX_MAX_PEERS_PER_SESSION) {
                throw new IllegalArgumentException("at most " + maxPeersPerSession + " WebRTC peers per session is outside "
                        + MIN_MAX_PEERS_PER_SESSION + " .. " + MAX_MAX_PEERS_PER_SESSION);
            }
            Objects.requireNonNull(workDir, "workDir");
            Objects.requireNonNull(home, "home");
            Objects.requireNonNull(display, "display");
            Objects.requireNonNull(controlPlaneTls, "controlPlaneTls");
        }

        /** Settings that dial the control plane in plain text. */
        public Settings(String chromiumPath, List<String> chromeFlags, Capture capture, Viewport viewport, int jpegQuality,
                        String logLevel, int maxPeersPerSession, Optional<Path> workDir, Optional<Path> home,
                        Optional<String> display, EgressSettings egress) {
            this(chromiumPath, chromeFlags, capture, viewport, jpegQuality, logLevel, maxPeersPerSession, workDir, home,
                    display, egress, ControlPlaneTls.PLAINTEXT);
        }

        /** Every setting at its default. */
        public static Settings defaults() {
            return new Settings(DEFAULT_CHROMIUM_PATH, List.of(), Capture.SCREENCAST, DEFAULT_VIEWPORT,
                    DEFAULT_JPEG_QUALITY, DEFAULT_LOG_LEVEL, DEFAULT_MAX_PEERS_PER_SESSION,
                    Optional.empty(), Optional.empty(), Optional.empty(), EgressSettings.defaults());
        }

        /**
         * Reads the operator's choices (Chromium, its flags, the capture, the viewport, the JPEG
         * quality, the log level, the most WebRTC peers per session and the egress policy), recording each bad value in {@code env}. The control plane
         * reads them from its own environment and hands them to every runner; the work folder, HOME
         * and the display are left empty here since they belong to the launcher.
         */
        public static Settings from(Env env) {
            String flags = env.string(CHROME_FLAGS, "");
            for (String reserved : RESERVED_CHROME_FLAGS) {
                if (flags.contains(reserved)) {
                    env.problem(CHROME_FLAGS + " contains " + reserved + ": the runner sets it itself; remove it");
                }
            }
            String chromium = env.string(CHROMIUM_PATH, DEFAULT_CHROMIUM_PATH);
            Capture capture = env.choice(CAPTURE, Capture.SCREENCAST, Capture.class);
            if (capture == Capture.DESKTOP && isHeadlessShell(chromium)) {
                env.problem(CHROMIUM_PATH + "=" + chromium + " is Chromium's headless shell, which cannot show a window: "
                        + CAPTURE + "=desktop needs Chromium itself (" + DEFAULT_CHROMIUM_PATH + ")");
            }
            return new Settings(
                    chromium,
                    flags.isBlank() ? List.of() : Arrays.asList(flags.trim().split("\\s+")),
                    capture,
                    new Viewport(
                            env.integer(VIEWPORT_WIDTH, DEFAULT_VIEWPORT.width(), Viewport.MIN_WIDTH, Viewport.MAX_WIDTH),
                            env.integer(VIEWPORT_HEIGHT, DEFAULT_VIEWPORT.height(), Viewport.MIN_HEIGHT, Viewport.MAX_HEIGHT)),
                    env.integer(JPEG_QUALITY, DEFAULT_JPEG_QUALITY, MIN_JPEG_QUALITY, MAX_JPEG_QUALITY),
                    env.string(LOG_LEVEL, DEFAULT_LOG_LEVEL),
                    env.integer(MAX_PEERS_PER_SESSION, DEFAULT_MAX_PEERS_PER_SESSION,
                            MIN_MAX_PEERS_PER_SESSION, MAX_MAX_PEERS_PER_SESSION),
                    Optional.empty(),
                    Optional.empty(),
                    Optional.empty(),
                    EgressSettings.from(env));
        }

        /**
         * Whether this Chromium is a headless shell (Debian's chromium-headless-shell, Google's
         * chrome-headless-shell): the old headless mode, a build with no windowing, browser UI or PDF viewer.
         */
        public static boolean isHeadlessShell(String chromiumPath) {
            String name = Path.of(chromiumPath).getFileName() == null ? "" : Path.of(chromiumPath).getFileName().toString();
            return name.endsWith("-headless-shell");
        }

        /** For a runner whose root file system is read-only: Chromium's profile and HOME go to {@code dir}. */
        public Settings inWritableDir(Path dir) {
            return new Settings(chromiumPath, chromeFlags, capture, viewport, jpegQuality, logLevel, maxPeersPerSession,
                    Optional.of(dir), Optional.of(dir), display, egress, controlPlaneTls);
        }

        /** For a runner whose Chromium shows on the X display named, e.g. ":99". */
        public Settings onDisplay(String display) {
            return new Settings(chromiumPath, chromeFlags, capture, viewport, jpegQuality, logLevel, maxPeersPerSession,
                    workDir, home, Optional.of(display), egress, controlPlaneTls);
        }

        /** For runners that dial the control plane this way. */
        public Settings dialingWith(ControlPlaneTls tls) {
            return new Settings(chromiumPath, chromeFlags, capture, viewport, jpegQuality, logLevel, maxPeersPerSession,
                    workDir, home, display, egress, tls);
        }
    }

    /**
     * Reads a runner's contract from the environment its launcher set. Every bad or missing value
     * is reported at once, each naming its variable.
     *
     * @throws IllegalArgumentException listing the problems
     */
    public static RunnerContract from(Env env) {
        String addr = env.string(CONTROL_PLANE_ADDR, "");
        String sessionId = env.string(SESSION_ID, "");
        String token = env.string(JOIN_TOKEN, "");
        if (addr.isEmpty()) {
            env.problem(CONTROL_PLANE_ADDR + " is not set: give the control plane's gRPC address, e.g. localhost:50051");
        }
        if (sessionId.isEmpty() || token.isEmpty()) {
            env.problem(SESSION_ID + " and " + JOIN_TOKEN + " must be set: the control plane's launcher provides them");
        }
        Settings chosen = Settings.from(env);
        Optional<Path> workDir = optional(env, WORK_DIR).map(Path::of);
        Optional<Path> home = optional(env, HOME).map(Path::of);
        Optional<String> display = optional(env, DISPLAY);
        if (chosen.capture() == Capture.DESKTOP && display.isEmpty()) {
            env.problem(CAPTURE + "=" + Capture.DESKTOP.value() + " needs an X display in " + DISPLAY
                    + " (the process launcher runs the runner under its own Xvfb; install Debian's xvfb package)");
        }
        ControlPlaneTls tls = ControlPlaneTls.PLAINTEXT;
        if (env.bool(CONTROL_PLANE_TLS, false)) {
            String cert = env.string(CONTROL_PLANE_TLS_CERT_PEM, "");
            String key = env.string(CONTROL_PLANE_TLS_KEY_PEM, "");
            if (cert.isEmpty() != key.isEmpty()) {
                env.problem(CONTROL_PLANE_TLS_CERT_PEM + " and " + CONTROL_PLANE_TLS_KEY_PEM + " go together: set both or neither");
            } else {
                tls = ControlPlaneTls.tls(env.string(CONTROL_PLANE_TLS_CA_PEM, ""), cert, key);
            }
        }
        env.requireValid("runner");
        return new RunnerContract(sessionId, token, addr, new Settings(chosen.chromiumPath(), chosen.chromeFlags(),
                chosen.capture(), chosen.viewport(), chosen.jpegQuality(), chosen.logLevel(), chosen.maxPeersPerSession(),
                workDir, home, display, chosen.egress(), tls));
    }

    private static Optional<String> optional(Env env, String name) {
        String value = env.string(name, "");
        return value.isEmpty() ? Optional.empty() : Optional.of(value);
    }

    /** The runner's environment: what {@link #from(Env)} reads back. Empty settings are left out. */
    public Map<String, String> toEnvironment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put(SESSION_ID, sessionId);
        env.put(JOIN_TOKEN, joinToken);
        env.put(CONTROL_PLANE_ADDR, controlPlaneAddr);
        env.put(CHROMIUM_PATH, settings.chromiumPath());
        env.put(CHROME_FLAGS, String.join(" ", settings.chromeFlags()));
        env.put(CAPTURE, settings.capture().value());
        env.put(VIEWPORT_WIDTH, Integer.toString(settings.viewport().width()));
        env.put(VIEWPORT_HEIGHT, Integer.toString(settings.viewport().height()));
        env.put(JPEG_QUALITY, Integer.toString(settings.jpegQuality()));
        env.put(LOG_LEVEL, settings.logLevel());
        env.put(MAX_PEERS_PER_SESSION, Integer.toString(settings.maxPeersPerSession()));
        settings.workDir().ifPresent(dir -> env.put(WORK_DIR, dir.toString()));
        settings.home().ifPresent(dir -> env.put(HOME, dir.toString()));
        settings.display().ifPresent(display -> env.put(DISPLAY, display));
        env.put(SOUND_SERVER, "unix:" + soundSocket());
        env.putAll(settings.egress().toEnvironment());
        ControlPlaneTls tls = settings.controlPlaneTls();
        if (tls.enabled()) {
            env.put(CONTROL_PLANE_TLS, "true");
            if (!tls.caPem().isEmpty()) {
                env.put(CONTROL_PLANE_TLS_CA_PEM, tls.caPem());
            }
            if (tls.mutual()) {
                env.put(CONTROL_PLANE_TLS_CERT_PEM, tls.certPem());
                env.put(CONTROL_PLANE_TLS_KEY_PEM, tls.keyPem());
            }
        }
        return Collections.unmodifiableMap(env);
    }

    /**
     * The session's sound server's socket: in the runner's writable folder (the host's temporary
     * folder for a runner process), one folder per session.
     */
    public Path soundSocket() {
        Path base = settings.workDir().orElseGet(() -> Path.of(System.getProperty("java.io.tmpdir")));
        return base.resolve("mbi-sound-" + sessionId).resolve("native");
    }

    /** The same contract for a runner that dials the control plane at another address. */
    public RunnerContract dialing(String controlPlaneAddr) {
        return new RunnerContract(sessionId, joinToken, controlPlaneAddr, settings);
    }

    /** The same contract with Chromium's profile and HOME in {@code dir}; see {@link Settings#inWritableDir}. */
    public RunnerContract inWritableDir(Path dir) {
        return new RunnerContract(sessionId, joinToken, controlPlaneAddr, settings.inWritableDir(dir));
    }

    /** The same contract on the X display named; see {@link Settings#onDisplay}. */
    public RunnerContract onDisplay(String display) {
        return new RunnerContract(sessionId, joinToken, controlPlaneAddr, settings.onDisplay(display));
    }

    /** Labels that select every runner of one control plane. */
    public static Map<String, String> ownerLabels(String controlPlaneId) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(LABEL_ROLE, ROLE_RUNNER);
        labels.put(LABEL_CONTROL_PLANE, controlPlaneId);
        return Collections.unmodifiableMap(labels);
    }

    /** This runner's labels: the control plane that owns it and its session. */
    public Map<String, String> labels(String controlPlaneId) {
        Map<String, String> labels = new LinkedHashMap<>(ownerLabels(controlPlaneId));
        labels.put(LABEL_SESSION, sessionId);
        return Collections.unmodifiableMap(labels);
    }

    /** This runner's labels, with the runner host it was placed on. */
    public Map<String, String> labels(String controlPlaneId, String host) {
        Map<String, String> labels = new LinkedHashMap<>(labels(controlPlaneId));
        labels.put(LABEL_HOST, host);
        return Collections.unmodifiableMap(labels);
    }

    /** The session a runner's labels name, or "?" when they name none (for log lines about strays). */
    public static String sessionOf(Map<String, String> labels) {
        return labels == null ? "?" : labels.getOrDefault(LABEL_SESSION, "?");
    }
}
