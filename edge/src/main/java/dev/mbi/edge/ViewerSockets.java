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
    private final FrameMessages frames = new FrameMessages();
    private final ScheduledFuture<?> ticks;
    private final ScheduledExecutorService timer;

    /** Ticks on the edge's timer until closed. */
    ViewerSockets(Duration heartbeatInterval, Duration pingInterval, ScheduledExecutorService timer) {
        this.timer = timer;
        long pingNanos = pingInterval.toNanos();
        long ms = heartbeatInterval.toMillis();
        ticks = timer.scheduleAtFixedRate(() -> open.forEach(s -> s.tick(pingNanos)), ms, ms, TimeUnit.MILLISECONDS);
    }

    void add(ViewerSocket socket) {
        open.add(socket);
    }

    void remove(ViewerSocket socket) {
        open.remove(socket);
        String id = socket.sessionId();
        if (id != null && open.stream().noneMatch(s -> id.equals(s.sessionId()))) {
            frames.forget(id);
        }
    }

    /** A frame of the session as its WebSocket message, encoded once for all of the session's viewers here. */
    String frameMessage(String sessionId, dev.mbi.proto.v1.Frame frame) {
        return frames.json(sessionId, frame);
    }

    /** The same as a binary message (?frames=binary), made once for all of the session's viewers here. */
    byte[] binaryFrameMessage(String sessionId, dev.mbi.proto.v1.Frame frame) {
        return frames.binary(sessionId, frame);
    }

    /** Runs a socket's delayed work on the timer (nothing once the edge stops). */
    void later(long seconds, Runnable task) {
        try {
            timer.schedule(task, seconds, TimeUnit.SECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            // the edge is shutting down
        }
    }

    /** The same, in milliseconds. */
    void laterMillis(long millis, Runnable task) {
        try {
            timer.schedule(task, millis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            // the edge is shutting down
        }
    }

    @Override
    public void close() {
        ticks.cancel(false);
    }
}
