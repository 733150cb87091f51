package dev.mbi.controlplane.grpc;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Heartbeats for long-lived streams. Every interval each watched stream is sent a heartbeat, and
 * a stream that has sent nothing for {@value #SILENT_INTERVALS} intervals is ended: a killed,
 * frozen or cut-off peer is noticed within seconds even when the transport reports nothing.
 */
public final class StreamLiveness implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(StreamLiveness.class.getName());
    static final int SILENT_INTERVALS = 3;

    /** One watched stream. */
    public interface Watched {
        void sendHeartbeat();

        void onSilent(long silentMs);

        /** System.nanoTime() of the last message received on the stream. */
        long lastHeardNanos();
    }

    private final Duration interval;
    private final Set<Watched> watched = ConcurrentHashMap.newKeySet();
    private final ScheduledFuture<?> ticks;

    /** Ticks on the given timer until closed. */
    public StreamLiveness(Duration interval, ScheduledExecutorService timer) {
        this.interval = interval;
        long ms = interval.toMillis();
        this.ticks = timer.scheduleAtFixedRate(this::tick, ms, ms, TimeUnit.MILLISECONDS);
    }

    public Duration interval() {
        return interval;
    }

    public void watch(Watched stream) {
        watched.add(stream);
    }

    public void unwatch(Watched stream) {
        watched.remove(stream);
    }

    private void tick() {
        long now = System.nanoTime();
        long limitNanos = interval.toNanos() * SILENT_INTERVALS;
        for (Watched w : watched) {
            try {
                long silent = now - w.lastHeardNanos();
                if (silent > limitNanos) {
                    watched.remove(w);
                    w.onSilent(silent / 1_000_000);
                } else {
                    w.sendHeartbeat();
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "heartbeat failed", e);
            }
        }
    }

    @Override
    public void close() {
        ticks.cancel(false);
    }
}
