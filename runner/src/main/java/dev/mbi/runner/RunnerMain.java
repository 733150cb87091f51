package dev.mbi.runner;

import dev.mbi.config.Env;
import dev.mbi.config.LogLevel;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Entry point of the runner process: one session, one Chromium; exits when the session ends. */
public final class RunnerMain {
    private static final Logger LOG = Logger.getLogger(RunnerMain.class.getName());

    private RunnerMain() {
    }

    public static void main(String[] args) {
        RunnerConfig config;
        try {
            config = RunnerConfig.from(Env.system());
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        LogLevel.configure("runner[" + config.sessionId() + "]", config.logLevel());
        Runner runner = new Runner(config, new CdpBrowserFactory(config));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> runner.stopNow("runner stopped by a signal"), "shutdown"));
        int code;
        try {
            // On the main thread: Chromium's parent-death signal is tied to the thread that starts it.
            code = runner.run();
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "session " + config.sessionId() + ": runner failed", e);
            code = 1;
        }
        // Non-daemon threads of the libraries must not keep a finished runner alive.
        System.exit(code);
    }
}
