package dev.mbi.runner;

import dev.mbi.config.Env;
import dev.mbi.config.LogLevel;
import dev.mbi.contract.RunnerContract;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Entry point of the runner process: one session, one Chromium; exits when the session ends. */
public final class RunnerMain {
    private static final Logger LOG = Logger.getLogger(RunnerMain.class.getName());

    private static final String NETTY_JFR = "io.grpc.netty.shaded.io.netty.jfr.enabled";

    private RunnerMain() {
    }

    public static void main(String[] args) throws Exception {
        // gRPC's Netty asks whether the JDK's flight recorder is available, which loads it (with what it
        // pulls in, ~400 classes, ~3 MiB of every runner's memory); Netty's own recording events are
        // of no use here. A JFR recording of the runner still works.
        if (System.getProperty(NETTY_JFR) == null) {
            System.setProperty(NETTY_JFR, "false");
        }
        if (args.length > 0 && args[0].equals(AotTraining.ARGUMENT)) {
            LogLevel.configure("runner[training]", "info", LogLevel.Format.TEXT);
            System.exit(AotTraining.run(RunnerMain::runSession));
            return;
        }
        RunnerContract contract;
        try {
            contract = RunnerContract.from(Env.system());
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        // LOG_FORMAT comes with the environment a runner inherits (the process launcher's); text otherwise.
        LogLevel.Format format = "json".equalsIgnoreCase(System.getenv(LogLevel.FORMAT)) ? LogLevel.Format.JSON : LogLevel.Format.TEXT;
        LogLevel.configure(format == LogLevel.Format.JSON ? "runner" : "runner[" + contract.sessionId() + "]",
                contract.settings().logLevel(), format);
        OwnDisplay.endAtExit(System.getenv(RunnerContract.DISPLAY_SERVER_PID));
        int code = runSession(contract);
        // Non-daemon threads of the libraries must not keep a finished runner alive.
        System.exit(code);
    }

    /** One session, from dialing the control plane to its end; the process's exit code. */
    private static int runSession(RunnerContract contract) {
        // Every thread of the runner's own work; closing waits (boundedly) for what is still running.
        try (RunnerExecutors executors = RunnerExecutors.create();
             EgressGuard egress = startEgress(contract, executors)) {
            Runner runner = new Runner(contract, new CdpBrowserFactory(contract, executors, egress.chromiumFlags(), egress),
                    executors, egress);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> runner.stopNow("runner stopped by a signal"), "shutdown"));
            try {
                // On the main thread: Chromium's parent-death signal is tied to the thread that starts it.
                return runner.run();
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "session " + contract.sessionId() + ": runner failed", e);
                return 1;
            }
        }
    }

    /** The egress proxy comes first: Chromium is never started without it. */
    private static EgressGuard startEgress(RunnerContract contract, RunnerExecutors executors) {
        try {
            return EgressGuard.start(contract, executors);
        } catch (java.io.IOException e) {
            LOG.severe("session " + contract.sessionId() + ": the egress proxy did not start (" + e.getMessage()
                    + "); the browser is not started without it");
            System.exit(3);
            throw new IllegalStateException(e);
        }
    }
}
