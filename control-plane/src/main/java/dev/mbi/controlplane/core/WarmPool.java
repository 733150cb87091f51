package dev.mbi.controlplane.core;

import dev.mbi.controlplane.fleet.Placement;
import dev.mbi.controlplane.fleet.RunnerHost;
import dev.mbi.controlplane.launch.RunnerLauncher;
import dev.mbi.controlplane.launch.RunnerLauncher.RunnerHandle;
import dev.mbi.proto.v1.Capability;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runners kept started for the next sessions, WARM_POOL_SIZE of them on each runner host: each is
 * launched with the id and join token of a session that does not exist yet, opens Chromium on a
 * blank page, registers and waits on its stream. Creating a session claims one that is waiting on
 * the first host in placement's order that has one: the session takes its id and token, and its
 * runner gets the welcome that names the page. The pool is refilled in the background, on each host more
 * slowly after each runner in a row that failed to start there.
 *
 * <p>Docker engines (however many) and Kubernetes nodes keep runners waiting only while healthy and undrained.
 * Those waiting on a host that is drained or fails its health check are no longer claimed, and
 * are stopped at the next refill; the host gets new ones once it is usable again. A full host gets
 * none until it has room (nothing is launched to fail meanwhile). A launcher whose one host counts
 * no places (local processes, a Kubernetes cluster whose nodes are not known) keeps its runners
 * there as it always did: it judges each launch itself.
 *
 * <p>A pooled runner is never given to a second session: every session's browser has a profile
 * nobody used before. Pooled runners do not count against MAX_SESSIONS; the fleet needs room for
 * MAX_SESSIONS + hosts × WARM_POOL_SIZE runners.
 */
final class WarmPool implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(WarmPool.class.getName());
    private static final Duration FIRST_RETRY = Duration.ofMillis(500);
    private static final Duration MOST_RETRY = Duration.ofSeconds(30);
    /**
     * How often the pool looks at the hosts by itself: a host drained, undrained, back to health or
     * with room again changes nothing else the pool hears of.
     */
    static final Duration HOST_CHECK_INTERVAL = Duration.ofSeconds(2);

    /** The launcher as the pool sees it: the hosts runners go to, and starting one runner on one of them. */
    interface Launch {
        /** Every runner host, as the launcher reports them (one for a launcher that places runners itself). */
        List<RunnerHost> hosts();

        RunnerHandle launchOn(String host, String id, String joinToken) throws RunnerLauncher.LaunchException;
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
        /** The runner host it was launched on. */
        final String host;
        private RunnerHandle handle;
        private RunnerLink link;
        private Set<Capability> capabilities = Set.of();
        private String hostname = "";
        private String version = "";
        private Instant registeredAt;
        private volatile long lastHeardMillis;
        private volatile boolean claimed;
        private IntConsumer sessionExit;
        private Integer exitCode;

        Entry(String id, String joinToken, String host) {
            this.id = id;
            this.joinToken = joinToken;
            this.host = host;
        }

        /** Registered and launched: a session may take it. */
        boolean ready() {
            return link != null && handle != null;
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

    /** How one host's pool is refilled: its failed starts in a row (for the backoff), and whether a fill is on its way. */
    private static final class HostRefill {
        int failuresInARow;
        boolean pending;
    }

    private final int size;
    private final Launch launch;
    private final Supplier<String> newId;
    private final Supplier<String> newToken;
    private final Supplier<RunnerWelcome> welcome;
    private final Executor work;
    private final ScheduledExecutorService timer;
    /** The pooled runners not claimed (launching or waiting), on every host, by id. */
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    /** Per host, so that a host whose runners fail to start does not slow the others' refills. */
    private final Map<String, HostRefill> refills = new HashMap<>();
    private ScheduledFuture<?> hostChecks;
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

    /** Runners kept waiting on each host. */
    int size() {
        return size;
    }

    /** Starts filling the pool (in the background), and looking at the hosts every HOST_CHECK_INTERVAL. */
    void start() {
        if (size > 0) {
            LOG.info("warm pool: keeping " + size + " runner(s) started on each runner host for the next sessions");
            refill();
            long every = HOST_CHECK_INTERVAL.toMillis();
            synchronized (this) {
                if (!closed) {
                    hostChecks = timer.scheduleWithFixedDelay(this::checkHosts, every, every, TimeUnit.MILLISECONDS);
                }
            }
        }
    }

    private void checkHosts() {
        try {
            refill();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "warm pool: refilling failed", e); // and the next check tries again
        }
    }

    /** The runners registered and waiting, for operators. */
    synchronized List<RunnerSnapshot> waiting() {
        return entries.values().stream().filter(e -> e.ready() && !e.claimed)
                .map(e -> new RunnerSnapshot(e.id, e.host, new RunnerSnapshot.Identity(e.hostname, e.version, e.registeredAt),
                        Instant.ofEpochMilli(e.lastHeardMillis), true))
                .toList();
    }

    /** A waiting runner said something (a heartbeat, at least). */
    synchronized void heard(String id, long nowMillis) {
        Entry e = entries.get(id);
        if (e != null && !e.claimed) {
            e.lastHeardMillis = nowMillis;
        }
    }

    /** Whether this id belongs to a pooled runner that no session has claimed. */
    synchronized boolean owns(String id) {
        Entry e = entries.get(id);
        return e != null && !e.claimed;
    }

    /** A pooled runner registered: it is told to wait, and can be claimed from now on. */
    RunnerWelcome park(String id, String joinToken, String hostname, String version, Set<Capability> capabilities,
                       RunnerLink link, Instant now) throws SessionException {
        RunnerWelcome w = welcome.get();
        Entry e;
        int readyThere;
        synchronized (this) {
            e = entries.get(id);
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
            e.registeredAt = now;
            e.lastHeardMillis = now.toEpochMilli();
            hostRefill(e.host).failuresInARow = 0;
            link.welcome(w);
            readyThere = (int) entries.values().stream().filter(o -> o.host.equals(e.host) && o.ready()).count();
        }
        LOG.info("warm pool: runner " + id + " from " + Limits.truncate(hostname, 64) + " is waiting on " + e.host + " ("
                + readyThere + "/" + size + " ready there)");
        return w;
    }

    /**
     * A waiting runner for a new session, or null when none is (the session launches its own): one
     * on the host placement prefers for a new runner, else on the next host in that order, never on
     * a drained or unhealthy host. The pool refills once the session has it ({@link #taken}), or the
     * runner waits again ({@link #giveBack}).
     */
    Parked claim() {
        if (size == 0) {
            return null;
        }
        List<RunnerHost> preferred = usable(hosts());
        Parked parked = null;
        synchronized (this) {
            if (closed) {
                return null;
            }
            Entry taken = null;
            for (RunnerHost host : preferred) {
                taken = entries.values().stream().filter(e -> e.host.equals(host.name()) && e.ready()).findFirst().orElse(null);
                if (taken != null) {
                    break;
                }
            }
            if (taken != null) {
                taken.claimed = true;
                entries.remove(taken.id);
                parked = new Parked(taken.id, taken.joinToken, taken.handle, taken.link, taken.capabilities, taken.hostname,
                        taken.version, taken);
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
            hostRefill(e.host).failuresInARow++;
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
            hostRefill(e.host).failuresInARow++;
        }
        if (!isClosed()) {
            LOG.warning("warm pool: runner " + e.id + " exited while waiting (exit code " + code + "); replacing it");
        }
        refill();
    }

    private synchronized boolean isClosed() {
        return closed;
    }

    /** This host's refill state, made when first needed. */
    private HostRefill hostRefill(String host) {
        return refills.computeIfAbsent(host, h -> new HostRefill());
    }

    /** The launcher's hosts; none when it cannot say now (then nothing is launched, stopped or claimed, and that is logged). */
    private List<RunnerHost> hosts() {
        try {
            return launch.hosts();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "warm pool: reading the runner hosts failed", e);
            return List.of();
        }
    }

    /**
     * The hosts the pool keeps runners on and takes them from, in placement's order. With several,
     * the healthy, undrained ones, full ones included (their waiting runners hold their places
     * already), even a single Docker engine (a drained one serves no new session, pooled or not).
     * A host that counts no places (the local machine, a Kubernetes cluster) is used whatever it
     * reports: its launcher judges each launch, and Kubernetes' health blinks while its watch
     * reconnects.
     */
    private static List<RunnerHost> usable(List<RunnerHost> hosts) {
        return placesUncounted(hosts) ? hosts : Placement.usable(hosts);
    }

    /** One host that counts no places: the local machine or a Kubernetes cluster. */
    private static boolean placesUncounted(List<RunnerHost> hosts) {
        return hosts.size() == 1 && hosts.getFirst().capacity() == 0;
    }

    /**
     * How many more runners a usable host may take for the pool now: its free places (a full host
     * waits for room rather than failing launches); on a host that counts no places, as many as
     * are missing (the launcher judges).
     */
    private static int room(RunnerHost host, List<RunnerHost> hosts) {
        return placesUncounted(hosts) ? Integer.MAX_VALUE : host.free();
    }

    /** Unclaimed pooled runners on this host, launching or waiting. */
    private int pooledOn(String host) {
        return (int) entries.values().stream().filter(e -> e.host.equals(host)).count();
    }

    /**
     * Stops the runners waiting on hosts that can no longer be used (drained, unhealthy, gone), and
     * on every other host with room launches what is missing, at once or (after failures in a row
     * there) a little later.
     */
    private void refill() {
        List<RunnerHost> hosts = hosts();
        if (hosts.isEmpty()) {
            return; // nothing known now: what waits keeps waiting
        }
        List<Entry> unwanted = new ArrayList<>();
        Map<String, Long> fillsInMs = new LinkedHashMap<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            List<RunnerHost> usable = usable(hosts);
            Set<String> usableNames = Set.copyOf(usable.stream().map(RunnerHost::name).toList());
            for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
                Entry e = it.next();
                if (!usableNames.contains(e.host)) {
                    it.remove();
                    unwanted.add(e);
                }
            }
            for (RunnerHost host : usable) {
                HostRefill r = hostRefill(host.name());
                if (r.pending || room(host, hosts) == 0 || pooledOn(host.name()) >= size) {
                    continue;
                }
                r.pending = true;
                fillsInMs.put(host.name(), r.failuresInARow == 0 ? 0 : Math.min(MOST_RETRY.toMillis(),
                        FIRST_RETRY.toMillis() << Math.min(16, r.failuresInARow - 1)));
            }
        }
        for (Entry e : unwanted) {
            LOG.info("warm pool: runner " + e.id + " on " + e.host + " stopped: that host is drained or unhealthy");
            stop(e.link, e.handle);
        }
        fillsInMs.forEach((host, delayMs) -> {
            try {
                if (delayMs == 0) {
                    work.execute(() -> fill(host));
                } else {
                    timer.schedule(() -> work.execute(() -> fill(host)), delayMs, TimeUnit.MILLISECONDS);
                }
            } catch (RejectedExecutionException shuttingDown) {
                // the control plane is stopping
            }
        });
    }

    /** Launches the runners missing on one host, as many as it has room for now. */
    private void fill(String host) {
        List<RunnerHost> hosts = hosts();
        int room = usable(hosts).stream().filter(h -> h.name().equals(host)).mapToInt(h -> room(h, hosts)).findFirst().orElse(0);
        List<Entry> missing = new ArrayList<>();
        synchronized (this) {
            hostRefill(host).pending = false;
            while (!closed && missing.size() < room && pooledOn(host) < size) {
                Entry e = new Entry(newId.get(), newToken.get(), host);
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
            handle = launch.launchOn(e.host, e.id, e.joinToken);
        } catch (RunnerLauncher.LaunchException | RuntimeException failure) {
            LOG.log(Level.WARNING, "warm pool: launching a runner on " + e.host + " failed; trying again later", failure);
            synchronized (this) {
                entries.remove(e.id);
                hostRefill(e.host).failuresInARow++;
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
        return (int) entries.values().stream().filter(Entry::ready).count();
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
            if (hostChecks != null) {
                hostChecks.cancel(false);
            }
            waiting = List.copyOf(entries.values());
            entries.clear();
        }
        waiting.forEach(e -> stop(e.link, e.handle));
    }
}
