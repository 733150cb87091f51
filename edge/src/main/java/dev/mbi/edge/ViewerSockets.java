package dev.mbi.edge;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** The open viewer sockets, and the one timer that keeps them alive both ways. */
final class ViewerSockets implements AutoCloseable {
    private final Set<ViewerSocket> open = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("viewer-heartbeats").factory());

    ViewerSockets(Duration heartbeatInterval, Duration pingInterval) {
        long pingNanos = pingInterval.toNanos();
        long ms = heartbeatInterval.toMillis();
        timer.scheduleAtFixedRate(() -> open.forEach(s -> s.tick(pingNanos)), ms, ms, TimeUnit.MILLISECONDS);
    }

    void add(ViewerSocket socket) {
        open.add(socket);
    }

    void remove(ViewerSocket socket) {
        open.remove(socket);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
