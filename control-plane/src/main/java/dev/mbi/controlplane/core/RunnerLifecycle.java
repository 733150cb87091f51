package dev.mbi.controlplane.core;

import dev.mbi.controlplane.fleet.RunnerFleet;
import dev.mbi.controlplane.fleet.RunnerHost;
import dev.mbi.controlplane.launch.RunnerLauncher;
import dev.mbi.controlplane.launch.RunnerLauncher.RunnerHandle;
import dev.mbi.proto.v1.Capability;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
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
    /** The one host of a launcher without a fleet: always usable, counting no places (MAX_SESSIONS does). */
    private static final List<RunnerHost> ONE_HOST = List.of(new RunnerHost("local", "", 0, 0, true, false, ""));

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
    private final ResumeTokens resumeTokens;
    private final WarmPool pool;

    /** @param newToken makes join tokens (for the warm pool's runners) */
    RunnerLifecycle(SessionRegistry.Settings settings, RunnerLauncher launcher, Supplier<String> dialAddress,
                    Clock clock, Executor work, ScheduledExecutorService timer, Ending ending, ResumeTokens resumeTokens,
                    Supplier<String> newToken) {
        this.resumeTokens = resumeTokens;
        this.pool = new WarmPool(settings.warmPoolSize(), poolLaunch(launcher, dialAddress, settings),
                () -> java.util.UUID.randomUUID().toString(), newToken,
                () -> RunnerWelcome.pooled(settings.viewportWidth(), settings.viewportHeight(), settings.maxFps(),
                        settings.heartbeatInterval()),
                work, timer);
        this.settings = settings;
        this.launcher = launcher;
        this.dialAddress = dialAddress;
        this.clock = clock;
        this.work = work;
        this.timer = timer;
        this.ending = ending;
    }

    /**
     * The launcher for the warm pool: a fleet's hosts (Docker's engines; Kubernetes reports the
     * cluster as one), or for a launcher without a fleet (local processes) the one host it places
     * every runner on itself.
     */
    private static WarmPool.Launch poolLaunch(RunnerLauncher launcher, Supplier<String> dialAddress,
                                              SessionRegistry.Settings settings) {
        return new WarmPool.Launch() {
            @Override
            public List<RunnerHost> hosts() {
                return launcher instanceof RunnerFleet fleet ? fleet.hosts() : ONE_HOST;
            }

            @Override
            public RunnerHandle launchOn(String host, String id, String joinToken) throws RunnerLauncher.LaunchException {
                return launcher.launchOn(new RunnerLauncher.RunnerSpec(id, joinToken, dialAddress.get(), settings.runner()), host);
            }
        };
    }

    WarmPool pool() {
        return pool;
    }

    /**
     * Gives the session a runner from the warm pool: its stream is the session's link, and it is
     * welcomed now with the session's page and policy. The pool refills in the background.
     */
    void claimed(Session s, WarmPool.Parked parked) {
        pool.taken();
        if (!s.launched(parked.handle())) {
            parked.link().shutdown("the session ended");
            parked.handle().stop();
            return;
        }
        parked.onExit(judgeExitLater(s));
        try {
            register(s, s.joinToken(), parked.hostname(), parked.capabilities(), parked.link());
        } catch (SessionException e) {
            ending.end(s, SessionStatus.ERROR, "the pooled runner could not take the session: " + e.getMessage(), true);
        }
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
        handle.onExit(judgeExitLater(s));
    }

    /**
     * A session taken back after a restart: its launcher may find the runner an earlier control
     * plane started (a container) and follow it again, so that ending the session stops it and
     * its exit ends the session.
     */
    void adopt(Session s) {
        work.execute(() -> {
            RunnerHandle handle;
            try {
                handle = launcher.adopt(s.id).orElse(null);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "session " + s.id + ": looking for its runner failed", e);
                return;
            }
            if (handle == null) {
                return;
            }
            if (!s.launched(handle)) {
                handle.stop();
                return;
            }
            handle.onExit(judgeExitLater(s));
        });
    }

    /** What hears a session's runner exit: the exit is judged a little later (EXIT_JUDGEMENT_DELAY). */
    private java.util.function.IntConsumer judgeExitLater(Session s) {
        return code -> timer.schedule(() -> judgeExit(s, code), EXIT_JUDGEMENT_DELAY.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void judgeExit(Session s, int code) {
        // A runner that dies before it ever dials back failed to spawn, as much as one that never started.
        boolean neverRegistered = !s.registered();
        ending.end(s, SessionStatus.ERROR, (neverRegistered ? "runner exited before registering" : "runner exited unexpectedly")
                + " (exit code " + code + ")", neverRegistered);
    }

    /**
     * The runner's stream is gone; only the link the session knows counts. The runner dials again
     * by itself (a network failure costs nothing), so the session ends only when no new stream
     * replaced this one within the reconnect window. A runner that died is judged sooner, by its exit.
     */
    void disconnected(Session s, RunnerLink link, String reason) {
        if (!s.isLinkedTo(link)) {
            return;
        }
        Duration window = settings.reconnectWindow();
        LOG.info("session " + s.id + ": lost the runner's stream (" + reason + "); waiting up to "
                + window.toMillis() + " ms for it to dial again");
        // DevTools connections live in the runner's browser session: they do not survive its stream.
        s.cdpDropAll().forEach(c -> c.closed("the session's runner lost its connection; connect again"));
        try {
            timer.schedule(() -> {
                if (s.isLinkedTo(link)) {
                    ending.end(s, SessionStatus.ERROR, "lost contact with the runner: " + reason
                            + "; it did not dial again within " + window.toMillis() + " ms", false);
                }
            }, window.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
            // the control plane is stopping: every session has been ended already
        }
    }

    private RunnerWelcome welcome(Session s, boolean resumed) {
        dev.mbi.contract.RunnerContract.Viewport viewport = s.page.viewportOr(settings.viewportWidth(), settings.viewportHeight());
        return new RunnerWelcome(s.url, viewport.width(), viewport.height(),
                settings.maxFps(), settings.heartbeatInterval(), settings.ice().serversFor(s.id, clock.instant()),
                settings.ice().relayOnly(), s.egressDenyHosts, resumeTokens.issue(s.claims()), resumed,
                settings.reconnectWindow(), false, s.controller(), s.page, s.policy, settings.viewportMax());
    }

    /** Accepts a runner that dialed again with a valid resume token; a stream it replaces is told to stop. */
    RunnerWelcome resume(Session s, String hostname, Set<Capability> capabilities, RunnerLink link) throws SessionException {
        RunnerWelcome welcome = welcome(s, true);
        s.resume(link, capabilities, welcome);
        s.cdpDropAll().forEach(c -> c.closed("the session's runner reconnected; connect again"));
        LOG.info("session " + s.id + ": runner dialed again from " + hostname);
        return welcome;
    }

    /** Accepts a runner's registration and welcomes it over its link. */
    RunnerWelcome register(Session s, String joinToken, String hostname, Set<Capability> capabilities, RunnerLink link)
            throws SessionException {
        RunnerWelcome welcome = welcome(s, false);
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
        pool.close();
        launcher.close();
    }
}
