package dev.mbi.runner;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * Every thread the runner runs its own work on, made here once and handed to the classes that
 * need them; no other class starts a thread or makes an executor. Each executor has one purpose:
 * <ul>
 *   <li>{@link #timer()}: periodic and delayed work (heartbeats, metrics, video repeats). Its tasks
 *       must be short; it has two threads so that a slow metrics report never holds up a heartbeat.
 *       Delayed tasks still pending when it closes are dropped.</li>
 *   <li>{@link #input()}, {@link #frames()}, {@link #navigation()}, {@link #signalling()}: serial
 *       lanes, one thread each, where order matters: input is injected in arrival order, frames are
 *       decoded and acknowledged in order, navigation reports (which can wait on a loading page)
 *       never hold up a frame, and viewers' WebRTC offers are answered in arrival order without
 *       holding up the control plane's messages behind them (a peer takes up to half a second to set up).</li>
 *   <li>{@link #tasks()}: a virtual thread per task, for one-off blocking work and long-lived loops
 *       (frame senders, starting WebRTC, closing a peer off libwebrtc's callback thread).</li>
 * </ul>
 * Closing waits a bounded time for running work, logs what is still running, then interrupts it.
 * Owners cancel their periodic tasks and stop their loops before the runner closes this.
 */
final class RunnerExecutors implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RunnerExecutors.class.getName());
    /** Every thread made here is named with this prefix. */
    static final String THREAD_PREFIX = "runner-";
    /** How long closing waits for running work before interrupting it. */
    static final Duration GRACE = Duration.ofSeconds(2);
    /** How long closing then waits for interrupted work to end. */
    private static final Duration AFTER_INTERRUPT = Duration.ofMillis(500);

    /** Threads made here whose work has not returned yet: what closing reports when it has to wait. */
    private final Set<Thread> live = ConcurrentHashMap.newKeySet();
    private final Duration grace;
    private final ScheduledThreadPoolExecutor timer;
    private final ExecutorService input;
    private final ExecutorService frames;
    private final ExecutorService navigation;
    private final ExecutorService signalling;
    private final ExecutorService tasks;

    private RunnerExecutors(Duration grace) {
        this.grace = grace;
        timer = new ScheduledThreadPoolExecutor(2, tracked(Thread.ofPlatform().daemon().name(THREAD_PREFIX + "timer-", 1)));
        timer.setRemoveOnCancelPolicy(true);
        timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        timer.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
        input = Executors.newSingleThreadExecutor(tracked(Thread.ofVirtual().name(THREAD_PREFIX + "input")));
        frames = Executors.newSingleThreadExecutor(tracked(Thread.ofVirtual().name(THREAD_PREFIX + "frames")));
        navigation = Executors.newSingleThreadExecutor(tracked(Thread.ofVirtual().name(THREAD_PREFIX + "navigation")));
        signalling = Executors.newSingleThreadExecutor(tracked(Thread.ofVirtual().name(THREAD_PREFIX + "signalling")));
        tasks = Executors.newThreadPerTaskExecutor(tracked(Thread.ofVirtual().name(THREAD_PREFIX + "task-", 1)));
    }

    static RunnerExecutors create() {
        return new RunnerExecutors(GRACE);
    }

    /** With another wait on close than {@link #GRACE}. */
    static RunnerExecutors create(Duration grace) {
        return new RunnerExecutors(grace);
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    ExecutorService input() {
        return input;
    }

    ExecutorService frames() {
        return frames;
    }

    ExecutorService navigation() {
        return navigation;
    }

    ExecutorService signalling() {
        return signalling;
    }

    ExecutorService tasks() {
        return tasks;
    }

    /** The threads made here that are still running work (a thread may outlive its work by a moment). */
    List<Thread> liveThreads() {
        return List.copyOf(live);
    }

    /** Stops taking work, waits for running work, and interrupts what has not ended in time. Never from one of these threads. */
    @Override
    public void close() {
        List<ExecutorService> all = List.of(timer, input, frames, navigation, signalling, tasks);
        all.forEach(ExecutorService::shutdown);
        try {
            if (awaitAll(all, grace)) {
                return;
            }
            LOG.warning("still running " + grace.toMillis() + " ms after the runner stopped, interrupting: " + describe());
            all.forEach(ExecutorService::shutdownNow);
            if (!awaitAll(all, AFTER_INTERRUPT)) {
                LOG.warning("still running after an interrupt: " + describe());
            }
        } catch (InterruptedException e) {
            all.forEach(ExecutorService::shutdownNow);
            Thread.currentThread().interrupt();
        }
    }

    private static boolean awaitAll(List<ExecutorService> executors, Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        for (ExecutorService e : executors) {
            if (!e.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                return false;
            }
        }
        return true;
    }

    /** Each live thread with the runner's frame it is in (or its top frame). */
    private String describe() {
        return live.stream().map(t -> {
            StackTraceElement[] stack = t.getStackTrace();
            StackTraceElement at = null;
            for (StackTraceElement frame : stack) {
                if (frame.getClassName().startsWith("dev.mbi.") && !frame.getClassName().equals(RunnerExecutors.class.getName())) {
                    at = frame;
                    break;
                }
            }
            if (at == null && stack.length > 0) {
                at = stack[0];
            }
            return t.getName() + (at == null ? "" : " at " + at);
        }).sorted().collect(Collectors.joining(", "));
    }

    /** Threads from the builder, each known as live from its creation until its work returns. */
    private ThreadFactory tracked(Thread.Builder builder) {
        ThreadFactory factory = builder.factory();
        return work -> {
            Thread thread = factory.newThread(() -> {
                try {
                    work.run();
                } finally {
                    live.remove(Thread.currentThread());
                }
            });
            if (thread != null) {
                live.add(thread);
            }
            return thread;
        };
    }
}
