package dev.mbi.controlplane.core;

import dev.mbi.controlplane.launch.RunnerLauncher;
import dev.mbi.controlplane.launch.RunnerLauncher.RunnerHandle;
import dev.mbi.proto.v1.Capability;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A session's runner from launch to exit: starting it, accepting its one registration, and
 * judging its exit (a runner that dies before it dials back failed to spawn).
 */
final class RunnerLifecycle {
    private static final Logger LOG = Logger.getLogger(RunnerLifecycle.class.getName());
    /** A runner's exit is judged a little later, so that its own last word (an error) arrives first. */
    static final Duration EXIT_JUDGEMENT_DELAY = Duration.ofMillis(300);
    /**
     * A broken stream is judged later still: when the runner's process died, its exit code says
     * more than the broken stream does, and is reported instead.
     */
    static final Duration DISCONNECT_JUDGEMENT_DELAY = EXIT_JUDGEMENT_DELAY.multipliedBy(2);

    /** How the lifecycle ends a session; the registry does the rest of the ending. */
    interface Ending {
        void end(Session s, SessionStatus status, String reason, boolean launchFailed);
    }

    private final SessionRegistry.Settings settings;
    private final RunnerLauncher launcher;
    private final Supplier<String> dialAddress;
    private final Clock clock;
    private final Executor work;
    private final ScheduledExecutorService timer;
    private final Ending ending;

    RunnerLifecycle(SessionRegistry.Settings settings, RunnerLauncher launcher, Supplier<String> dialAddress,
                    Clock clock, Executor work, ScheduledExecutorService timer, Ending ending) {
        this.settings = settings;
        this.launcher = launcher;
        this.dialAddress = dialAddress;
        this.clock = clock;
        this.work = work;
        this.timer = timer;
        this.ending = ending;
    }

    /** Starts the session's runner in the background. */
    void launch(Session s) {
        work.execute(() -> launchNow(s));
    }

    private void launchNow(Session s) {
        RunnerHandle handle;
        try {
            handle = launcher.launch(new RunnerLauncher.RunnerSpec(s.id, s.joinToken(), dialAddress.get(), settings.runner()));
        } catch (RunnerLauncher.LaunchException | RuntimeException e) {
            LOG.log(Level.WARNING, "session " + s.id + ": runner launch failed", e);
            ending.end(s, SessionStatus.ERROR, "runner launch failed: " + e.getMessage(), true);
            return;
        }
        if (!s.launched(handle)) {
            handle.stop();
            return;
        }
        handle.onExit(code -> timer.schedule(() -> judgeExit(s, code),
                EXIT_JUDGEMENT_DELAY.toMillis(), TimeUnit.MILLISECONDS));
    }

    private void judgeExit(Session s, int code) {
        // A runner that dies before it ever dials back failed to spawn, as much as one that never started.
        boolean neverRegistered = !s.registered();
        ending.end(s, SessionStatus.ERROR, (neverRegistered ? "runner exited before registering" : "runner exited unexpectedly")
                + " (exit code " + code + ")", neverRegistered);
    }

    /** The runner's stream is gone; only the link the session knows counts. */
    void disconnected(Session s, RunnerLink link, String reason) {
        if (!s.isLinkedTo(link)) {
            return;
        }
        try {
            timer.schedule(() -> ending.end(s, SessionStatus.ERROR, "lost contact with the runner: " + reason, false),
                    DISCONNECT_JUDGEMENT_DELAY.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
            // the control plane is stopping: every session has been ended already
        }
    }

    /** Accepts a runner's registration and welcomes it over its link. */
    RunnerWelcome register(Session s, String joinToken, String hostname, Set<Capability> capabilities, RunnerLink link)
            throws SessionException {
        RunnerWelcome welcome = new RunnerWelcome(s.url, settings.viewportWidth(), settings.viewportHeight(),
                settings.maxFps(), settings.heartbeatInterval(), settings.ice().serversFor(s.id, clock.instant()),
                settings.ice().relayOnly(), s.egressDenyHosts);
        s.register(joinToken, link, capabilities, welcome);
        LOG.info("session " + s.id + ": runner registered from " + hostname);
        return welcome;
    }

    /** Stops a runner that is no longer wanted (never blocks long). */
    static void stop(Session.Ended ended, String reason) {
        if (ended.runner() != null) {
            ended.runner().shutdown(reason);
        }
        if (ended.handle() != null) {
            ended.handle().stop();
        }
    }

    void close() {
        launcher.close();
    }
}
