package dev.mbi.runner;

import dev.mbi.proto.v1.InputEvent;
import dev.mbi.proto.v1.KeyAction;
import dev.mbi.proto.v1.PointerAction;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The input waiting to be injected: a bounded queue, drained in arrival order on the input lane.
 * A browser that is slow or stuck must not make the runner hold every event a viewer sends:
 * <ul>
 *   <li>a mouse move that arrives while the newest pending event is also a move replaces it
 *       (only the latest position matters); a move never replaces anything else, so it never
 *       jumps over a button, wheel or key event;</li>
 *   <li>any other event that arrives while {@link #bound()} events are pending is dropped and
 *       counted; except that a release (mouse button up, key up) may use a few slots beyond the
 *       bound ({@link #capacity()}), so that a flood does not leave a button or a modifier held
 *       down in the page.</li>
 * </ul>
 * Each event is injected as its own task on the lane, so other work there (a capture for a new
 * viewer) waits behind at most one event, not behind the whole queue.
 */
final class InputQueue {
    private static final Logger LOG = Logger.getLogger(InputQueue.class.getName());
    /** Events pending at most: about two seconds of a fast typist with a mouse, far beyond any healthy backlog. */
    static final int DEFAULT_BOUND = 256;

    /** What became of an offered event. */
    enum Outcome {
        QUEUED,
        /** A mouse move that replaced the pending move before it. */
        MERGED,
        /** The queue was full. */
        DROPPED
    }

    private final int bound;
    /** The bound plus the slots kept for releases. */
    private final int capacity;
    private final Consumer<InputEvent> sink;
    private final Executor lane;
    /** Guarded by itself; so is {@link #scheduled}. */
    private final ArrayDeque<InputEvent> pending = new ArrayDeque<>();
    /** Whether a drain task is on the lane (queued or running). */
    private boolean scheduled;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong merged = new AtomicLong();

    /**
     * @param sink injects one event; called on the lane, one event at a time, in order
     * @param lane a serial executor (one thread)
     */
    InputQueue(int bound, Consumer<InputEvent> sink, Executor lane) {
        if (bound < 1) {
            throw new IllegalArgumentException("bound " + bound);
        }
        this.bound = bound;
        this.capacity = bound + Math.max(1, bound / 8);
        this.sink = sink;
        this.lane = lane;
    }

    InputQueue(Consumer<InputEvent> sink, Executor lane) {
        this(DEFAULT_BOUND, sink, lane);
    }

    /** Queues an event for injection; never blocks. */
    Outcome offer(InputEvent event) {
        Outcome outcome;
        boolean schedule;
        synchronized (pending) {
            InputEvent last = pending.peekLast();
            if (isMove(event) && last != null && isMove(last)) {
                pending.pollLast();
                pending.addLast(event);
                outcome = Outcome.MERGED;
            } else if (pending.size() >= (isRelease(event) ? capacity : bound)) {
                outcome = Outcome.DROPPED;
            } else {
                pending.addLast(event);
                outcome = Outcome.QUEUED;
            }
            schedule = outcome == Outcome.QUEUED && !scheduled;
            if (schedule) {
                scheduled = true;
            }
        }
        switch (outcome) {
            case MERGED -> merged.incrementAndGet();
            case DROPPED -> {
                if (dropped.incrementAndGet() == 1) {
                    LOG.warning("input arrives faster than the browser takes it: events beyond " + bound
                            + " pending are dropped (counted in the session metrics)");
                }
            }
            case QUEUED -> {
                if (schedule) {
                    submit();
                }
            }
        }
        return outcome;
    }

    private void submit() {
        try {
            lane.execute(this::injectNext);
        } catch (RejectedExecutionException e) {
            // The runner is stopping: what is pending is never injected.
            synchronized (pending) {
                pending.clear();
                scheduled = false;
            }
        }
    }

    /** Injects the oldest pending event, then leaves the lane to whatever else waits there. */
    private void injectNext() {
        InputEvent event;
        synchronized (pending) {
            event = pending.pollFirst();
            if (event == null) {
                scheduled = false;
                return;
            }
        }
        try {
            sink.accept(event);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "injecting " + event.getKindCase() + " failed", e);
        }
        boolean more;
        synchronized (pending) {
            more = !pending.isEmpty();
            if (!more) {
                scheduled = false;
            }
        }
        if (more) {
            submit();
        }
    }

    /** A pointer move (an unspecified pointer action is injected as a move too). */
    static boolean isMove(InputEvent event) {
        if (!event.hasPointer()) {
            return false;
        }
        PointerAction action = event.getPointer().getAction();
        return action == PointerAction.POINTER_ACTION_MOVE || action == PointerAction.POINTER_ACTION_UNSPECIFIED;
    }

    /** A mouse button or a key let go. */
    static boolean isRelease(InputEvent event) {
        return event.hasPointer() && event.getPointer().getAction() == PointerAction.POINTER_ACTION_UP
                || event.hasKey() && event.getKey().getAction() == KeyAction.KEY_ACTION_UP;
    }

    /** Events other than releases pending at most. */
    int bound() {
        return bound;
    }

    /** Events pending at most, releases included. */
    int capacity() {
        return capacity;
    }

    /** Events waiting now (not counting one being injected). */
    int pending() {
        synchronized (pending) {
            return pending.size();
        }
    }

    /** Events dropped because the queue was full, since the start. */
    long dropped() {
        return dropped.get();
    }

    /** Mouse moves replaced by a newer one before they were injected, since the start. */
    long merged() {
        return merged.get();
    }
}
