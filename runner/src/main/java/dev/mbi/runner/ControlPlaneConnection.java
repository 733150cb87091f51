package dev.mbi.runner;

import dev.mbi.contract.RunnerContract;
import dev.mbi.proto.v1.ControlMessage;
import dev.mbi.proto.v1.Register;
import dev.mbi.proto.v1.RunnerMessage;
import dev.mbi.proto.v1.RunnerState;
import dev.mbi.proto.v1.Welcome;
import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * The runner's connection to the control plane, across lost streams. It registers with the join
 * token; when its stream ends for any reason but an answer (a network failure, a control plane
 * that restarted), it dials again with jittered exponential backoff and the resume token of its
 * last welcome, for up to the welcome's reconnect window, while the browser and the WebRTC
 * viewers carry on. Only a refusal, or a window that passes, ends it.
 */
final class ControlPlaneConnection implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ControlPlaneConnection.class.getName());
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    private static final Duration MOST_BACKOFF = Duration.ofSeconds(3);
    /** How long one attempt waits for its welcome before it dials again. */
    private static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(5);

    interface Handler {
        /** Every message but welcomes, from the current stream only. */
        void onMessage(ControlMessage message);

        /** The control plane took the session back after a lost stream; the browser stays as it is. */
        void onResumed(Welcome welcome);

        /** The connection is over for good: refused, or the reconnect window passed. Called once. */
        void onGone(String reason);

        /** What the browser shows now, told to the control plane when dialing again. */
        RunnerState state();
    }

    /** A stream that ended before its welcome: why, and whether the control plane answered (a refusal). */
    static final class Refused extends Exception {
        final Status.Code code;

        Refused(String reason, Status.Code code) {
            super(reason);
            this.code = code;
        }
    }

    private final RunnerContract contract;
    private final Register identity;
    private final Handler handler;
    private final ScheduledExecutorService timer;
    private final Executor tasks;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean gone = new AtomicBoolean();
    /** Told to shut down: the stream's end that follows is expected. */
    private volatile boolean stopping;
    private final Attempt first;
    private volatile Attempt current;
    private volatile String resumeToken = "";
    private volatile Duration window = Duration.ZERO;

    /** One stream: its link, and the welcome it gets (or why it got none). */
    private final class Attempt implements ControlPlaneLink.Handler {
        final CompletableFuture<Welcome> welcomed = new CompletableFuture<>();
        volatile ControlPlaneLink link;
        /** Taken (its welcome accepted) or abandoned (its wait timed out): whichever comes first. */
        private boolean taken;
        private boolean abandoned;

        @Override
        public void onMessage(ControlMessage message) {
            if (message.hasWelcome()) {
                Welcome w = message.getWelcome();
                boolean later;
                synchronized (this) {
                    if (abandoned || taken && current != this) {
                        return;
                    }
                    // A second welcome on the current stream names the session of a runner that waited in the warm pool.
                    later = taken;
                    taken = true;
                    resumeToken = w.getResumeToken();
                    window = Duration.ofMillis(w.getReconnectWindowMs());
                    current = this;
                }
                if (later) {
                    handler.onMessage(message);
                    return;
                }
                link.startHeartbeats(Duration.ofMillis(w.getHeartbeatIntervalMs()));
                welcomed.complete(w);
            } else if (current == this) {
                if (message.hasShutdown()) {
                    stopping = true; // the stream ends next: that is no reason to dial again
                }
                handler.onMessage(message);
            }
        }

        /** Gives up on this stream unless its welcome was taken meanwhile (then false: it is the current one). */
        boolean abandon() {
            synchronized (this) {
                if (taken) {
                    return false;
                }
                abandoned = true;
            }
            link.close();
            return true;
        }

        @Override
        public void onLost(String reason, Status.Code code) {
            if (welcomed.completeExceptionally(new Refused(reason, code))) {
                return; // lost before its welcome: the one who dialed decides
            }
            if (current == this && !closed.get() && !stopping) {
                tasks.execute(() -> {
                    link.close();
                    reconnect(reason);
                });
            }
        }
    }

    private ControlPlaneConnection(RunnerContract contract, Register identity, Handler handler, RunnerExecutors executors) {
        this.contract = contract;
        this.identity = identity;
        this.handler = handler;
        this.timer = executors.timer();
        this.tasks = executors.tasks();
        this.first = dial(identity.toBuilder().setJoinToken(contract.joinToken()).build());
    }

    /**
     * Dials and registers with the join token.
     *
     * @param identity the runner's registration without credentials: session id, version, host name, capabilities
     */
    static ControlPlaneConnection open(RunnerContract contract, Register identity, Handler handler, RunnerExecutors executors) {
        return new ControlPlaneConnection(contract, identity, handler, executors);
    }

    /** The first welcome; fails with {@link Refused} when the first stream ended without one. */
    CompletableFuture<Welcome> welcomed() {
        return first.welcomed;
    }

    private Attempt dial(Register register) {
        Attempt attempt = new Attempt();
        attempt.link = ControlPlaneLink.open(contract.controlPlaneAddr(), contract.settings().controlPlaneTls(), attempt, timer);
        attempt.link.send(RunnerMessage.newBuilder().setRegister(register).build());
        return attempt;
    }

    /** Sends on the current stream; dropped while there is none (the control plane resends what matters). */
    void send(RunnerMessage message) {
        Attempt a = current;
        if (a != null) {
            a.link.send(message);
        }
    }

    private void reconnect(String reason) {
        Duration w = window;
        long deadline = System.nanoTime() + w.toNanos();
        long started = System.nanoTime();
        String id = contract.sessionId();
        LOG.warning("session " + id + ": lost the control plane (" + reason + "); dialing again for up to "
                + w.toMillis() + " ms, the browser keeps running");
        long backoffMs = FIRST_BACKOFF.toMillis();
        int attempts = 0;
        while (!closed.get() && System.nanoTime() < deadline) {
            sleep(Math.min(ThreadLocalRandom.current().nextLong(backoffMs / 2, backoffMs + 1), remainingMs(deadline)));
            if (closed.get() || System.nanoTime() >= deadline) {
                break;
            }
            attempts++;
            Attempt attempt = dial(identity.toBuilder().setResumeToken(resumeToken).setState(handler.state()).build());
            try {
                Welcome welcome = attempt.welcomed.get(Math.max(1, Math.min(ATTEMPT_TIMEOUT.toMillis(), remainingMs(deadline))),
                        TimeUnit.MILLISECONDS);
                LOG.info("session " + id + ": the control plane took the session back after "
                        + (System.nanoTime() - started) / 1_000_000 + " ms (" + attempts + " attempt(s))");
                handler.onResumed(welcome);
                return;
            } catch (ExecutionException e) {
                attempt.link.close();
                if (e.getCause() instanceof Refused r && r.code != null) {
                    goneFor("the control plane refused to take the session back: " + r.getMessage());
                    return;
                }
            } catch (TimeoutException e) {
                if (!attempt.abandon()) {
                    handler.onResumed(attempt.welcomed.join()); // welcomed just now
                    return;
                }
            } catch (InterruptedException e) {
                attempt.link.close();
                Thread.currentThread().interrupt();
                return;
            }
            backoffMs = Math.min(backoffMs * 2, MOST_BACKOFF.toMillis());
        }
        if (!closed.get()) {
            goneFor("no control plane for " + w.toMillis() + " ms (the reconnect window): " + reason);
        }
    }

    private void goneFor(String reason) {
        if (gone.compareAndSet(false, true)) {
            handler.onGone(reason);
        }
    }

    private static long remainingMs(long deadlineNanos) {
        return Math.max(0, (deadlineNanos - System.nanoTime()) / 1_000_000);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(Math.max(0, ms));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            Attempt a = current;
            if (a != null) {
                a.link.close();
            }
            if (a != first) {
                first.link.close();
            }
        }
    }
}
