package dev.mbi.relay;

import java.util.ArrayDeque;

/**
 * The single writer of one outgoing stream that carries frames and other messages. Other
 * messages (status, input, heartbeats) queue and all go out, first; frames do not queue: only the
 * newest waits, so a slow receiver skips frames instead of slowing the producer or other receivers.
 * Calls never block. The queue is bounded: a receiver that lets it fill is given up on
 * ({@link Sink#broken} with an {@link Overflow}). A sink that knows its transport's readiness
 * (gRPC's {@code isReady()}) holds writes until {@link #wake()} says the receiver can take more.
 */
public final class NewestFrameSender<T> {
    /** Enough for bursts of input and status; a receiver this far behind has stopped reading. */
    public static final int DEFAULT_CAPACITY = 1024;

    /** Where messages go; called from the sender's own thread only. */
    public interface Sink<T> {
        void send(T message) throws Exception;

        /** Called once after the last message: failure is null for a normal end. */
        void finish(Throwable failure);

        /** Sending failed, or the queue overflowed; nothing more is sent and finish is not called. */
        void broken(Exception cause);

        /** Whether the receiver can take a message now without the write blocking. */
        default boolean ready() {
            return true;
        }
    }

    /** The receiver let {@code capacity} messages pile up: it is not reading. */
    public static final class Overflow extends Exception {
        Overflow(int capacity) {
            super("the receiver stopped reading: " + capacity + " messages are waiting", null, false, false);
        }
    }

    private final Sink<T> sink;
    private final int capacity;
    private final ArrayDeque<T> queue = new ArrayDeque<>();
    private T newestFrame;
    private boolean finishing;
    private boolean overflowed;
    private Throwable failure;
    private long framesSkipped;

    public NewestFrameSender(String name, Sink<T> sink) {
        this(name, DEFAULT_CAPACITY, sink);
    }

    public NewestFrameSender(String name, int capacity, Sink<T> sink) {
        this.sink = sink;
        this.capacity = capacity;
        Thread.ofVirtual().name(name).start(this::loop);
    }

    public synchronized void frame(T frame) {
        if (finishing) {
            return;
        }
        if (newestFrame != null) {
            framesSkipped++;
        }
        newestFrame = frame;
        notifyAll();
    }

    public synchronized void message(T message) {
        if (finishing) {
            return;
        }
        if (queue.size() >= capacity) {
            // Given up on: the loop reports it from its own thread, never the producer's.
            overflowed = true;
            finishing = true;
            queue.clear();
            newestFrame = null;
        } else {
            queue.add(message);
        }
        notifyAll();
    }

    /** The receiver can take more (gRPC's on-ready signal). */
    public synchronized void wake() {
        notifyAll();
    }

    /** Ends the stream after the queued messages; a pending frame is dropped. Later calls are ignored. */
    public synchronized void finish(Throwable failureOrNull) {
        if (finishing) {
            return;
        }
        finishing = true;
        failure = failureOrNull;
        newestFrame = null;
        notifyAll();
    }

    public synchronized long framesSkipped() {
        return framesSkipped;
    }

    public synchronized int queued() {
        return queue.size();
    }

    private boolean hasWork() {
        return !queue.isEmpty() || newestFrame != null;
    }

    private void loop() {
        while (true) {
            T next;
            synchronized (this) {
                try {
                    // Waits for something to send and a receiver ready for it; a readiness change
                    // is signalled by wake(), and the timed wait covers a signal that never comes.
                    while (!overflowed && (!hasWork() && !finishing || hasWork() && !sink.ready())) {
                        wait(hasWork() ? 50 : 0);
                    }
                } catch (InterruptedException e) {
                    return;
                }
                if (overflowed) {
                    break;
                }
                if (!queue.isEmpty()) {
                    next = queue.poll();
                } else if (newestFrame != null) {
                    next = newestFrame;
                    newestFrame = null;
                } else {
                    break;
                }
            }
            try {
                sink.send(next);
            } catch (Exception e) {
                synchronized (this) {
                    finishing = true;
                    queue.clear();
                    newestFrame = null;
                }
                try {
                    sink.broken(e);
                } catch (RuntimeException closedAlready) {
                    // as above
                }
                return;
            }
        }
        try {
            if (overflowed) {
                sink.broken(new Overflow(capacity));
            } else {
                sink.finish(failure);
            }
        } catch (RuntimeException closedAlready) {
            // The receiver went away while the stream was being ended: nothing is left to tell it.
        }
    }
}
