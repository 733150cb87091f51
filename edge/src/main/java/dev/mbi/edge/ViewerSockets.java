package dev.mbi.edge;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** The open viewer sockets, and the one timer that keeps them alive both ways. */
final class ViewerSockets implements AutoCloseable {
    private final Set<ViewerSocket> open = ConcurrentHashMap.newKeySet();
    private final ScheduledFuture<?> ticks;

    /** Ticks on the edge's timer until closed. */
    ViewerSockets(Duration heartbeatInterval, Duration pingInterval, ScheduledExecutorService timer) {
        long pingNanos = pingInterval.toNanos();
        long ms = heartbeatInterval.toMillis();
        ticks = timer.scheduleAtFixedRate(() -> open.forEach(s -> s.tick(pingNanos)), ms, ms, TimeUnit.MILLISECONDS);
    }

    void add(ViewerSocket socket) {
        open.add(socket);
    }

    void remove(ViewerSocket socket) {
        open.remove(socket);
    }

    @Override
    public void close() {
        ticks.cancel(false);
    }
}
