package dev.mbi.runner;

import dev.mbi.config.Env;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * What a runner needs to dial back and start Chromium, all from the environment its launcher set.
 * Where to go (the URL), the viewport and the frame rate come later, in the control plane's welcome.
 */
public record RunnerConfig(
        String controlPlaneAddr,
        String sessionId,
        String joinToken,
        String chromiumPath,
        List<String> extraChromeFlags,
        int jpegQuality,
        Path workDir,
        Capture capture,
        String display,
        String logLevel) {

    /** How the viewport is captured for WebRTC (the WebSocket stream always uses the screencast). */
    public enum Capture {
        /** Headless Chromium; CDP screencast JPEGs re-encoded as VP8. */
        SCREENCAST,
        /** Headful Chromium on an X display (Xvfb), captured directly by libwebrtc. */
        DESKTOP
    }

    public static RunnerConfig from(Env env) {
        String addr = env.string("CONTROL_PLANE_ADDR", "");
        String sessionId = env.string("SESSION_ID", "");
        String token = env.string("JOIN_TOKEN", "");
        if (addr.isEmpty()) {
            env.problem("CONTROL_PLANE_ADDR is not set: give the control plane's gRPC address, e.g. localhost:50051");
        }
        if (sessionId.isEmpty() || token.isEmpty()) {
            env.problem("SESSION_ID and JOIN_TOKEN must be set: the control plane's launcher provides them");
        }
        String flags = env.string("RUNNER_CHROME_FLAGS", "");
        Capture capture = env.choice("RUNNER_CAPTURE", Capture.SCREENCAST, Capture.class);
        String display = env.string("DISPLAY", "");
        if (capture == Capture.DESKTOP && display.isEmpty()) {
            env.problem("RUNNER_CAPTURE=desktop needs an X display in DISPLAY (the process launcher runs the runner"
                    + " under xvfb-run; install Debian's xvfb package)");
        }
        RunnerConfig config = new RunnerConfig(
                addr,
                sessionId,
                token,
                env.string("CHROMIUM_PATH", "/usr/bin/chromium"),
                flags.isBlank() ? List.of() : Arrays.asList(flags.trim().split("\\s+")),
                env.integer("RUNNER_JPEG_QUALITY", 70, 10, 100),
                Path.of(env.string("RUNNER_WORK_DIR", System.getProperty("java.io.tmpdir"))),
                capture,
                display,
                env.string("LOG_LEVEL", "info"));
        env.requireValid("runner");
        return config;
    }
}
