package dev.mbi.runner;

import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Passes on the newest frame at no more than a set rate. A frame that arrives too soon is held,
 * not dropped: if nothing newer replaces it, it goes out when its turn comes, so the client
 * always ends up seeing the page's last state. Frames flow only while enabled (someone watches).
 * Frames go to the sink from one long-lived task on the executor given, which ends on close.
 */
final class FrameThrottle<F> implements AutoCloseable {
    private final Consumer<F> sink;
    private final long minIntervalNanos;
    private F latest;
    private boolean pending;
    private boolean enabled;
    private boolean closed;
    private long lastSentNanos;
    private long dropped;

    /** @param sender runs the sending loop until close: a thread of its own (a virtual thread per task) */
    FrameThrottle(int maxFps, Consumer<F> sink, Executor sender) {
        this.sink = sink;
        this.minIntervalNanos = 1_000_000_000L / Math.max(1, maxFps);
        this.lastSentNanos = System.nanoTime() - minIntervalNanos;
        sender.execute(this::sendLoop);
    }

    synchronized void offer(F frame) {
        if (pending && enabled) {
            dropped++;
        }
        latest = frame;
        pending = true;
        notifyAll();
    }

    /** Turning on re-sends the newest frame at once, so a new viewer sees the page immediately. */
    synchronized void setEnabled(boolean on) {
        if (on && !enabled && latest != null) {
            pending = true;
        }
        enabled = on;
        notifyAll();
    }

    /** Sends the newest frame again (if there is one), within the rate limit. */
    synchronized void resendLatest() {
        if (latest != null) {
            pending = true;
            notifyAll();
        }
    }

    synchronized long dropped() {
        return dropped;
    }

    @Override
    public synchronized void close() {
        closed = true;
        notifyAll();
    }

    private void sendLoop() {
        while (true) {
            F frame;
            synchronized (this) {
                try {
                    while (!closed && !(pending && enabled)) {
                        wait();
                    }
                    long waitNanos;
                    while (!closed && (waitNanos = lastSentNanos + minIntervalNanos - System.nanoTime()) > 0) {
                        wait(waitNanos / 1_000_000, (int) (waitNanos % 1_000_000));
                    }
                } catch (InterruptedException e) {
                    return;
                }
                if (closed) {
                    return;
                }
                if (!(pending && enabled)) {
                    continue;
                }
                frame = latest;
                pending = false;
                lastSentNanos = System.nanoTime();
            }
            sink.accept(frame);
        }
    }
}
