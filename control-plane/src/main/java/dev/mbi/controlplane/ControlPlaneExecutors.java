package dev.mbi.controlplane;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The control plane's threads, made in one place and handed to whatever needs them: {@code work}
 * for tasks that block (runner launches), {@code timer} for everything periodic or delayed
 * (reaping, heartbeats, exit judgements). Closing waits for them to finish.
 */
public record ControlPlaneExecutors(ExecutorService work, ScheduledExecutorService timer) implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ControlPlaneExecutors.class.getName());
    private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(5);

    public static ControlPlaneExecutors create() {
        return new ControlPlaneExecutors(
                Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("control-plane-work-", 0).factory()),
                Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("control-plane-timer").factory()));
    }

    @Override
    public void close() {
        timer.shutdownNow();
        work.shutdown();
        try {
            if (!work.awaitTermination(SHUTDOWN_WAIT.toMillis(), TimeUnit.MILLISECONDS)
                    || !timer.awaitTermination(SHUTDOWN_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warning("control plane tasks still running after " + SHUTDOWN_WAIT.toSeconds() + " s; stopping them");
                work.shutdownNow();
            }
        } catch (InterruptedException e) {
            work.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
