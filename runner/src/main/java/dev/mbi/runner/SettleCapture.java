package dev.mbi.runner;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Makes sure the last picture of a burst of screencast frames is seen. Chromium drops a frame
 * outright when more than two are still unacknowledged, and a page that then stops changing never
 * sends it again: the viewer would keep a stale picture (the button pressed, not the page it
 * opened). So when frames came close together and then stop for {@link #QUIET}, the viewport is
 * captured once by hand. A lone frame (a single change, or the echo of such a capture) cannot
 * have had one dropped behind it and causes nothing.
 */
final class SettleCapture implements AutoCloseable {
    static final Duration QUIET = Duration.ofMillis(300);

    private final Runnable capture;
    private final ScheduledExecutorService timer;
    private final Executor captures;
    private final long quietNanos;
    private int burst;
    private long lastFrameNanos;
    private ScheduledFuture<?> check;
    private boolean closed;

    /**
     * @param capture  takes one picture by hand (it may block: it runs on {@code captures})
     * @param timer    watches for the quiet period
     * @param captures where the capture runs
     */
    SettleCapture(Runnable capture, ScheduledExecutorService timer, Executor captures, Duration quiet) {
        this.capture = capture;
        this.timer = timer;
        this.captures = captures;
        this.quietNanos = quiet.toNanos();
    }

    /** A screencast frame arrived. */
    synchronized void frameArrived() {
        if (closed) {
            return;
        }
        burst++;
        lastFrameNanos = System.nanoTime();
        if (check == null) {
            check = timer.schedule(this::checkQuiet, quietNanos, TimeUnit.NANOSECONDS);
        }
    }

    private synchronized void checkQuiet() {
        check = null;
        if (closed) {
            return;
        }
        long quietFor = System.nanoTime() - lastFrameNanos;
        if (quietFor < quietNanos) {
            check = timer.schedule(this::checkQuiet, quietNanos - quietFor, TimeUnit.NANOSECONDS);
            return;
        }
        boolean settle = burst >= 2;
        burst = 0;
        if (settle) {
            captures.execute(capture);
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (check != null) {
            check.cancel(false);
            check = null;
        }
    }
}
