package dev.mbi.runner;

import java.time.Instant;

/**
 * When a cold start's steps happened, for the "ready" log line: where the time between the
 * runner's process start and its first picture goes (JVM start, Chromium's start, registration).
 * Epoch milliseconds; 0 when a step has not happened.
 */
final class StartTimeline {
    private final long processStart = ProcessHandle.current().info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    /** The runner's own code runs: the JVM has started. */
    private final long created = System.currentTimeMillis();
    volatile long chromiumUp;
    volatile long registered;
    /** A runner from the warm pool started long before its session: its start says nothing of the session's. */
    volatile boolean pooled;

    /** {@code "; since the process started: ..."}, or "" for a pooled runner or when the start is unknown. */
    String sinceProcessStart(long ready) {
        if (pooled || processStart == 0 || chromiumUp == 0 || registered == 0) {
            return "";
        }
        return "; since its process started: JVM up at " + (created - processStart) + " ms, registered at " + (registered - processStart) + " ms, Chromium up at "
                + (chromiumUp - processStart) + " ms, page shown at " + (ready - processStart) + " ms";
    }
}
