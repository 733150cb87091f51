package dev.mbi.relay;

import java.util.ArrayDeque;

/**
 * The single writer of one outgoing stream that carries frames and other messages. Other
 * messages (status, heartbeats) queue and all go out, first; frames do not queue: only the newest
 * waits, so a slow receiver skips frames instead of slowing the producer or other receivers.
 * Calls never block.
 */
public final class NewestFrameSender<T> {

    /** Where messages go; called from the sender's own thread only. */
    public interface Sink<T> {
        void send(T message) throws Exception;

        /** Called once after the last message: failure is null for a normal end. */
        void finish(Throwable failure);

        /** Sending failed; nothing more is sent and finish is not called. */
        void broken(Exception cause);
    }

    private final Sink<T> sink;
    private final ArrayDeque<T> queue = new ArrayDeque<>();
    private T newestFrame;
    private boolean finishing;
    private Throwable failure;
    private long framesSkipped;

    public NewestFrameSender(String name, Sink<T> sink) {
        this.sink = sink;
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
        queue.add(message);
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

    private void loop() {
        while (true) {
            T next;
            synchronized (this) {
                try {
                    while (queue.isEmpty() && newestFrame == null && !finishing) {
                        wait();
                    }
                } catch (InterruptedException e) {
                    return;
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
                sink.broken(e);
                return;
            }
        }
        sink.finish(failure);
    }
}
