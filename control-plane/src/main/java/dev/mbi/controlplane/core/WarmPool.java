package dev.mbi.controlplane.core;

import dev.mbi.controlplane.launch.RunnerLauncher;
import dev.mbi.controlplane.launch.RunnerLauncher.RunnerHandle;
import dev.mbi.proto.v1.Capability;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runners kept started for the next sessions (WARM_POOL_SIZE of them): each is launched with the
 * id and join token of a session that does not exist yet, opens Chromium on a blank page, registers
 * and waits on its stream. Creating a session claims one that is waiting: the session takes its id
 * and token, and its runner gets the welcome that names the page. The pool is refilled in the
 * background, more slowly after each runner in a row that failed to start.
 *
 * <p>A pooled runner is never given to a second session: every session's browser has a profile
 * nobody used before. Pooled runners do not count against MAX_SESSIONS; the machine needs room
 * for MAX_SESSIONS + WARM_POOL_SIZE runners.
 */
final class WarmPool implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(WarmPool.class.getName());
    private static final Duration FIRST_RETRY = Duration.ofMillis(500);
    private static final Duration MOST_RETRY = Duration.ofSeconds(30);

    /** Launches one runner for an id and token. */
    interface Launch {
        RunnerHandle launch(String id, String joinToken) throws RunnerLauncher.LaunchException;
    }

    /** A pooled runner that registered and waits, handed to the session that claimed it. */
    record Parked(String sessionId, String joinToken, RunnerHandle handle, RunnerLink link, Set<Capability> capabilities,
                  String hostname, String version, Entry entry) {
        /** The runner's exit goes to the session from now on (at once, if it exited meanwhile). */
        void onExit(IntConsumer listener) {
            entry.exitTo(listener);
        }
    }

    /** One pooled runner, from launch to claim or exit. */
    static final class Entry {
        final String id;
        final String joinToken;
        private RunnerHandle handle;
        private RunnerLink link;
        private Set<Capability> capabilities = Set.of();
        private String hostname = "";
        private String version = "";
        private volatile boolean claimed;
        private IntConsumer sessionExit;
        private Integer exitCode;

        Entry(String id, String joinToken) {
            this.id = id;
            this.joinToken = joinToken;
        }

        void exitTo(IntConsumer listener) {
            Integer code;
            synchronized (this) {
                sessionExit = listener;
                code = exitCode;
            }
            if (code != null) {
                listener.accept(code);
            }
        }

        /** The runner exited: true when a session holds it (the session judges the exit). */
        boolean exited(int code) {
            IntConsumer listener;
            synchronized (this) {
                exitCode = code;
                listener = sessionExit;
                if (!claimed) {
                    return false;
                }
            }
            if (listener != null) {
                listener.accept(code);
            }
            return true;
        }
    }

    private final int size;
    private final Launch launch;
    private final Supplier<String> newId;
    private final Supplier<String> newToken;
    private final Supplier<RunnerWelcome> welcome;
    private final Executor work;
    private final ScheduledExecutorService timer;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private int failuresInARow;
    private boolean refillPending;
    private boolean closed;
    private long claims;
    private long misses;

    WarmPool(int size, Launch launch, Supplier<String> newId, Supplier<String> newToken, Supplier<RunnerWelcome> welcome,
             Executor work, ScheduledExecutorService timer) {
        this.size = size;
        this.launch = launch;
        this.newId = newId;
        this.newToken = newToken;
        this.welcome = welcome;
        this.work = work;
        this.timer = timer;
    }

    int size() {
        return size;
    }

    /** Starts filling the pool (in the background). */
    void start() {
        if (size > 0) {
            LOG.info("warm pool: keeping " + size + " runner(s) started for the next sessions");
            refill();
        }
    }

    /** Whether this id belongs to a pooled runner that no session has claimed. */
    synchronized boolean owns(String id) {
        Entry e = entries.get(id);
        return e != null && !e.claimed;
    }

    /** A pooled runner registered: it is told to wait, and can be claimed from now on. */
    RunnerWelcome park(String id, String joinToken, String hostname, String version, Set<Capability> capabilities,
                       RunnerLink link) throws SessionException {
        RunnerWelcome w = welcome.get();
        synchronized (this) {
            Entry e = entries.get(id);
            if (e == null || e.claimed) {
                throw new SessionException(SessionException.Reason.NOT_FOUND, "unknown session " + id);
            }
            if (e.link != null || !MessageDigest.isEqual(e.joinToken.getBytes(StandardCharsets.UTF_8),
                    joinToken.getBytes(StandardCharsets.UTF_8))) {
                throw new SessionException(SessionException.Reason.REJECTED,
                        "join token for session " + id + " is wrong or already used");
            }
            e.link = link;
            e.capabilities = Set.copyOf(capabilities);
            e.hostname = Limits.truncate(hostname, Limits.MAX_REASON_BYTES);
            e.version = Limits.truncate(version, Limits.MAX_REASON_BYTES);
            failuresInARow = 0;
            link.welcome(w);
        }
        LOG.info("warm pool: runner " + id + " from " + Limits.truncate(hostname, 64) + " is waiting (" + ready() + "/" + size + " ready)");
        return w;
    }

    /**
     * A waiting runner for a new session, or null when none is (the session launches its own).
     * The pool refills once the session has it ({@link #taken}), or the runner waits again ({@link #giveBack}).
     */
    Parked claim() {
        Parked parked = null;
        synchronized (this) {
            if (size == 0 || closed) {
                return null;
            }
            for (Entry e : entries.values()) {
                if (!e.claimed && e.link != null && e.handle != null) {
                    e.claimed = true;
                    entries.remove(e.id);
                    parked = new Parked(e.id, e.joinToken, e.handle, e.link, e.capabilities, e.hostname, e.version, e);
                    break;
                }
            }
            if (parked == null) {
                misses++;
            } else {
                claims++;
            }
        }
        return parked;
    }

    /** A session has the runner it claimed: another one is started for the pool. */
    void taken() {
        refill();
    }

    /** A claimed runner that its session could not take (the limit was reached meanwhile): it waits again. */
    void giveBack(Parked parked) {
        synchronized (this) {
            if (!closed) {
                Entry e = parked.entry();
                synchronized (e) {
                    e.claimed = false;
                }
                entries.put(e.id, e);
                claims--;
                return;
            }
        }
        stop(parked.link(), parked.handle());
    }

    /** A pooled runner's stream ended before any session claimed it: it is replaced. */
    void disconnected(String id, RunnerLink link, String reason) {
        Entry gone;
        synchronized (this) {
            Entry e = entries.get(id);
            if (e == null || e.link != link) {
                return;
            }
            entries.remove(id);
            failuresInARow++;
            gone = e;
        }
        LOG.warning("warm pool: runner " + id + " lost its stream while waiting (" + reason + "); replacing it");
        stop(null, gone.handle);
        refill();
    }

    private void exited(Entry e, int code) {
        if (e.exited(code)) {
            return;
        }
        synchronized (this) {
            if (entries.remove(e.id) == null) {
                return;
            }
            failuresInARow++;
        }
        if (!isClosed()) {
            LOG.warning("warm pool: runner " + e.id + " exited while waiting (exit code " + code + "); replacing it");
        }
        refill();
    }

    private synchronized boolean isClosed() {
        return closed;
    }

    /** Launches what is missing, at once or (after failures in a row) a little later. */
    private void refill() {
        long delayMs;
        synchronized (this) {
            if (closed || refillPending || entries.size() >= size) {
                return;
            }
            delayMs = failuresInARow == 0 ? 0 : Math.min(MOST_RETRY.toMillis(),
                    FIRST_RETRY.toMillis() << Math.min(16, failuresInARow - 1));
            refillPending = true;
        }
        try {
            if (delayMs == 0) {
                work.execute(this::fill);
            } else {
                timer.schedule(() -> work.execute(this::fill), delayMs, TimeUnit.MILLISECONDS);
            }
        } catch (RejectedExecutionException shuttingDown) {
            // the control plane is stopping
        }
    }

    private void fill() {
        List<Entry> missing = new ArrayList<>();
        synchronized (this) {
            refillPending = false;
            while (!closed && entries.size() < size) {
                Entry e = new Entry(newId.get(), newToken.get());
                entries.put(e.id, e);
                missing.add(e);
            }
        }
        for (Entry e : missing) {
            launch(e);
        }
    }

    private void launch(Entry e) {
        RunnerHandle handle;
        try {
            handle = launch.launch(e.id, e.joinToken);
        } catch (RunnerLauncher.LaunchException | RuntimeException failure) {
            LOG.log(Level.WARNING, "warm pool: launching a runner failed; trying again later", failure);
            synchronized (this) {
                entries.remove(e.id);
                failuresInARow++;
            }
            refill();
            return;
        }
        boolean keep;
        synchronized (this) {
            keep = !closed && entries.get(e.id) == e;
            if (keep) {
                e.handle = handle;
            }
        }
        if (!keep) {
            handle.stop();
            return;
        }
        handle.onExit(code -> exited(e, code));
    }

    /** Pooled runners waiting now (registered, claimable). */
    synchronized int ready() {
        return (int) entries.values().stream().filter(e -> e.link != null && e.handle != null).count();
    }

    /** Pooled runners launched or launching that have not registered yet. */
    synchronized int starting() {
        return entries.size() - ready();
    }

    /** Sessions that took a pooled runner. */
    synchronized long claims() {
        return claims;
    }

    /** Sessions created while none was waiting (the pool on). */
    synchronized long misses() {
        return misses;
    }

    private static void stop(RunnerLink link, RunnerHandle handle) {
        if (link != null) {
            link.shutdown("no longer needed in the warm pool");
        }
        if (handle != null) {
            handle.stop();
        }
    }

    /** Stops every runner still waiting. */
    @Override
    public void close() {
        List<Entry> waiting;
        synchronized (this) {
            closed = true;
            waiting = List.copyOf(entries.values());
            entries.clear();
        }
        waiting.forEach(e -> stop(e.link, e.handle));
    }
}
