package dev.mbi.controlplane.launch.docker;

import com.github.dockerjava.api.command.CreateContainerResponse;
import com.github.dockerjava.api.command.WaitContainerResultCallback;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Container;
import dev.mbi.contract.RunnerContract;
import dev.mbi.controlplane.core.SessionException;
import dev.mbi.controlplane.fleet.Placement;
import dev.mbi.controlplane.fleet.RunnerFleet;
import dev.mbi.controlplane.fleet.RunnerHost;
import dev.mbi.controlplane.launch.FleetConfig;
import dev.mbi.controlplane.launch.RunnerLauncher;
import dev.mbi.egress.EgressSettings;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.logging.Logger;

/**
 * Runs each runner in its own hardened container on one of several Docker engines (DOCKER_HOSTS),
 * placed on the healthy, undrained engine with the most free places. A container is removed when
 * its session ends or when it exits. A running container left by an earlier control plane with the
 * same CONTROL_PLANE_ID (this one restarted) is kept for the reconnect window: its runner dials
 * back and the container is adopted; one nobody claims by then is removed, and so is a stopped one.
 */
public final class DockerLauncher implements RunnerLauncher, RunnerFleet {
    private static final Logger LOG = Logger.getLogger(DockerLauncher.class.getName());
    /** A runner told to shut down gets this long to close Chromium before it is killed. */
    private static final int STOP_GRACE_SECONDS = 2;

    private final FleetConfig fleet;
    private final EgressSettings egress;
    private final String controlPlaneAddr;
    private final List<DockerEngine> engines;
    private final String seccompJson;
    private final Executor work;
    private final ScheduledExecutorService timer;
    /** How long a running container of an earlier control plane waits for its runner to dial back. */
    private final java.time.Duration adoptionWindow;
    private ScheduledFuture<?> healthChecks;
    private volatile boolean closing;
    /** Containers stopped on request: their exit is expected, and not logged as a runner's failure. */
    private final Set<String> stopRequested = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private DockerLauncher(FleetConfig fleet, EgressSettings egress, String controlPlaneAddr, List<DockerEngine> engines,
                           java.time.Duration adoptionWindow, Executor work, ScheduledExecutorService timer) {
        this.adoptionWindow = adoptionWindow;
        this.fleet = fleet;
        this.egress = egress;
        this.controlPlaneAddr = controlPlaneAddr;
        this.engines = engines;
        this.seccompJson = RunnerContainer.seccompProfile(fleet);
        this.work = work;
        this.timer = timer;
    }

    /**
     * Connects to every engine; on those that answer sets up the runner network and its firewall
     * and removes orphaned runners; starts health checks.
     *
     * @param egress the egress settings the firewall follows (EGRESS_ALLOW_PRIVATE, EGRESS_*_CIDRS)
     * @param controlPlaneAddr RUNNER_CONTROL_PLANE_ADDR: the firewall lets runners reach this port (a host may have its own)
     * @param adoptionWindow RUNNER_RECONNECT_WINDOW: how long an earlier control plane's running container waits to be adopted
     * @param work runs the blocking calls that follow each container (waiting for its exit, stopping it)
     * @param timer runs the health checks
     */
    public static DockerLauncher start(FleetConfig fleet, EgressSettings egress, String controlPlaneAddr,
                                       java.time.Duration adoptionWindow, Executor work,
                                       ScheduledExecutorService timer) {
        List<DockerEngine> engines = new ArrayList<>();
        for (FleetConfig.DockerHost host : fleet.dockerHosts()) {
            engines.add(new DockerEngine(host, fleet.hostCapacity()));
        }
        DockerLauncher launcher = new DockerLauncher(fleet, egress, controlPlaneAddr, List.copyOf(engines), adoptionWindow,
                work, timer);
        launcher.checkHealth();
        for (RunnerHost h : launcher.hosts()) {
            if (!h.healthy()) {
                LOG.warning("runner host " + h.name() + " (" + h.endpoint() + ") does not answer: " + h.problem()
                        + "; it gets runners once it does");
            }
        }
        long every = fleet.healthInterval().toMillis();
        launcher.healthChecks = timer.scheduleWithFixedDelay(launcher::checkHealth, every, every, TimeUnit.MILLISECONDS);
        return launcher;
    }

    private void checkHealth() {
        for (DockerEngine engine : engines) {
            boolean wasHealthy = engine.status().healthy();
            String problemBefore = engine.status().problem();
            try {
                if (engine.check()) {
                    prepare(engine);
                    LOG.info("runner host " + engine.name() + " (" + engine.config.endpoint() + ") is healthy");
                    removeOrphans(engine);
                }
            } catch (RuntimeException e) {
                engine.markUnhealthy(describe(e));
                if (!wasHealthy && !describe(e).equals(problemBefore)) {
                    LOG.warning("runner host " + engine.name() + " (" + engine.config.endpoint() + ") cannot take runners: "
                            + describe(e));
                }
            }
            RunnerHost now = engine.status();
            if (wasHealthy && !now.healthy()) {
                LOG.warning("runner host " + engine.name() + " (" + engine.config.endpoint() + ") fails its health check: "
                        + now.problem() + "; no new runners go there until it answers again");
            }
        }
    }

    /** Makes sure the runner network exists and, unless RUNNER_FIREWALL=off, (re)installs its firewall. */
    private void prepare(DockerEngine engine) {
        String name = engine.config.network().orElse(fleet.network());
        RunnerNetwork network = RunnerNetwork.ensure(engine, name, engine.config.subnet().or(fleet::subnet), fleet.controlPlaneId());
        if (fleet.firewall()) {
            String dial = engine.config.controlPlaneAddr().orElse(controlPlaneAddr);
            List<InetAddress> controlPlane = RunnerFirewall.resolve(dial);
            int port = RunnerFirewall.port(dial);
            RunnerFirewall.install(engine, fleet.image(), fleet.controlPlaneId(), network,
                    RunnerFirewall.rules(false, egress, controlPlane, port), RunnerFirewall.rules(true, egress, controlPlane, port));
        } else {
            LOG.warning("RUNNER_FIREWALL=off: runners on network " + name + " at " + engine.name()
                    + " are kept from the host and private networks only by their egress proxy");
        }
        engine.prepared();
    }

    /**
     * Runner containers of this control plane that it does not know: a stopped one is removed at
     * once; a running one may be a session's whose runner is about to dial back (the control plane
     * restarted), so it is removed only if nobody adopted it within the reconnect window.
     */
    private void removeOrphans(DockerEngine engine) {
        List<Container> found = engine.calls.listContainersCmd().withShowAll(true)
                .withLabelFilter(RunnerContainer.ownerLabels(fleet)).exec();
        for (Container c : found) {
            String session = RunnerContract.sessionOf(c.getLabels());
            if (engine.knows(c.getId()) || engine.launching(session)) {
                continue;
            }
            if ("running".equals(c.getState())) {
                LOG.info("session " + session + ": runner container " + shortId(c.getId()) + " on " + engine.name()
                        + " was started by an earlier control plane; it is kept " + adoptionWindow.toSeconds()
                        + " s for its runner to dial back");
                timer.schedule(() -> work.execute(() -> removeUnlessAdopted(engine, c.getId(), session)),
                        adoptionWindow.toMillis(), TimeUnit.MILLISECONDS);
            } else {
                LOG.info("session " + session + ": removing its stopped runner container " + shortId(c.getId()) + " on "
                        + engine.name() + ", left by an earlier control plane");
                remove(engine, c.getId());
            }
        }
    }

    private void removeUnlessAdopted(DockerEngine engine, String containerId, String session) {
        if (closing || engine.knows(containerId)) {
            return;
        }
        LOG.info("session " + session + ": no runner dialed back from container " + shortId(containerId) + " on "
                + engine.name() + " within " + adoptionWindow.toSeconds() + " s; removing it");
        remove(engine, containerId);
    }

    @Override
    public java.util.Optional<RunnerHandle> adopt(String sessionId) {
        java.util.Map<String, String> labels = new java.util.HashMap<>(RunnerContainer.ownerLabels(fleet));
        labels.put(RunnerContract.LABEL_SESSION, sessionId);
        for (DockerEngine engine : engines) {
            try {
                for (Container c : engine.calls.listContainersCmd().withLabelFilter(labels).exec()) {
                    if ("running".equals(c.getState()) && engine.adopt(c.getId())) {
                        LOG.info("session " + sessionId + ": runner container " + shortId(c.getId()) + " on " + engine.name()
                                + " adopted (its runner dialed back)");
                        return java.util.Optional.of(watch(engine, c.getId(), sessionId));
                    }
                }
            } catch (RuntimeException e) {
                LOG.fine(() -> "session " + sessionId + ": looking for its container on " + engine.name() + " failed: " + e);
            }
        }
        return java.util.Optional.empty();
    }

    @Override
    public RunnerHandle launch(RunnerSpec spec) throws LaunchException {
        List<String> failures = new ArrayList<>();
        Set<String> tried = new HashSet<>();
        DockerEngine engine;
        while ((engine = reserveBest(tried, spec.sessionId())) != null) {
            tried.add(engine.name());
            String containerId;
            try {
                containerId = start(engine, spec);
            } catch (RuntimeException e) {
                failures.add(engine.name() + ": " + describe(e));
                continue;
            }
            return watch(engine, containerId, spec.sessionId());
        }
        if (failures.isEmpty()) {
            throw new LaunchException(Placement.whyNone(hosts()), null);
        }
        throw new LaunchException("no runner host could start the runner: " + String.join("; ", failures), null);
    }

    /** Starts the runner on that engine only (a warm pool keeps runners on each): no other engine is tried. */
    @Override
    public RunnerHandle launchOn(RunnerSpec spec, String host) throws LaunchException {
        DockerEngine engine = reserveOn(host, spec.sessionId());
        String containerId;
        try {
            containerId = start(engine, spec);
        } catch (RuntimeException e) {
            throw new LaunchException("runner host " + host + " could not start the runner: " + describe(e), e);
        }
        return watch(engine, containerId, spec.sessionId());
    }

    /** Holds a place on the best host not tried yet; one decision at a time, so concurrent launches spread. */
    private synchronized DockerEngine reserveBest(Set<String> tried, String sessionId) {
        for (RunnerHost candidate : Placement.rank(hosts())) {
            DockerEngine e = engine(candidate.name());
            if (!tried.contains(candidate.name()) && e.reserve(sessionId)) {
                return e;
            }
        }
        return null;
    }

    /** Holds a place on exactly this host, or says why it cannot take a runner now. */
    private synchronized DockerEngine reserveOn(String host, String sessionId) throws LaunchException {
        DockerEngine e = engine(host);
        if (e == null) {
            throw new LaunchException("runner host " + host + " is not one of DOCKER_HOSTS", null);
        }
        if (!e.reserve(sessionId)) {
            throw new LaunchException("runner host " + host + " cannot take a runner now: " + Placement.whyNot(e.status()), null);
        }
        return e;
    }

    /**
     * Creates and starts the runner's container on an engine holding a place for it; its id. When
     * that fails the place is given back and the engine checked (it may have gone away).
     */
    private String start(DockerEngine engine, RunnerSpec spec) {
        String containerId;
        try {
            containerId = create(engine, spec);
        } catch (RuntimeException e) {
            engine.placed(spec.sessionId(), null);
            LOG.warning("session " + spec.sessionId() + ": cannot start a runner on " + engine.name() + ": " + describe(e));
            if (!(e instanceof NotFoundException)) {
                engine.check();
            }
            throw e;
        }
        engine.placed(spec.sessionId(), containerId);
        return containerId;
    }

    private String create(DockerEngine engine, RunnerSpec spec) {
        String dial = engine.config.controlPlaneAddr().orElse(spec.controlPlaneAddr());
        String network = engine.config.network().orElse(fleet.network());
        CreateContainerResponse created;
        try {
            created = engine.calls.createContainerCmd(fleet.image())
                    .withName(RunnerContainer.name(spec.sessionId()))
                    .withLabels(RunnerContainer.labels(fleet, spec, engine.name()))
                    .withEnv(RunnerContainer.environment(spec, dial, fleet.logFormat()))
                    .withUser(fleet.user())
                    .withHostConfig(RunnerContainer.hostConfig(fleet, network, seccompJson))
                    .exec();
        } catch (NotFoundException e) {
            throw new NotFoundException("image " + fleet.image() + " or network " + network + " is missing there ("
                    + e.getMessage().strip() + "): build the image (make docker-images) or set RUNNER_IMAGE / RUNNER_NETWORK");
        }
        String id = created.getId();
        try {
            engine.calls.startContainerCmd(id).exec();
        } catch (RuntimeException e) {
            remove(engine, id);
            throw e;
        }
        LOG.info("session " + spec.sessionId() + ": runner container " + shortId(id) + " started on " + engine.name());
        return id;
    }

    /** Follows the container until it exits, then reports the exit code and removes it. */
    private RunnerHandle watch(DockerEngine engine, String containerId, String sessionId) {
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        work.execute(() -> {
            int code = awaitExit(engine, containerId, sessionId);
            engine.gone(containerId);
            // A container stopped on request (SIGTERM: 143) has nothing unexpected to tell.
            boolean requested = stopRequested.remove(containerId);
            String output = code != 0 && !closing && !requested ? lastOutput(engine, containerId) : null;
            if (output != null) {
                // Its output goes with the container: what it said last is the operator's clue.
                LOG.warning("session " + sessionId + ": runner container " + shortId(containerId) + " on " + engine.name()
                        + " exited with code " + code + "; its output ends with:\n" + output);
            }
            remove(engine, containerId);
            exit.complete(code);
        });
        return new ContainerHandle(this, engine, containerId, sessionId, exit);
    }

    /**
     * The container's last lines of output (the runner's log), or why there are none; null for a
     * container already being removed (stopped on request: nothing unexpected to tell).
     */
    private static String lastOutput(DockerEngine engine, String containerId) {
        StringBuffer out = new StringBuffer(); // filled on docker-java's thread
        try (var callback = engine.calls.logContainerCmd(containerId).withStdOut(true).withStdErr(true).withTail(OUTPUT_LINES)
                .exec(new com.github.dockerjava.api.async.ResultCallback.Adapter<com.github.dockerjava.api.model.Frame>() {
                    @Override
                    public void onNext(com.github.dockerjava.api.model.Frame frame) {
                        out.append(new String(frame.getPayload(), java.nio.charset.StandardCharsets.UTF_8));
                    }
                })) {
            if (!callback.awaitCompletion(5, java.util.concurrent.TimeUnit.SECONDS)) {
                out.append("\n(more output not read within 5 s)");
            }
        } catch (ConflictException | NotFoundException e) {
            return null;
        } catch (java.io.IOException e) {
            return out.toString().strip();
        } catch (RuntimeException e) {
            return "(its output cannot be read: " + describe(e) + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return out.toString().strip();
    }

    /** How much of an exited runner's output is logged. */
    private static final int OUTPUT_LINES = 20;

    private int awaitExit(DockerEngine engine, String containerId, String sessionId) {
        for (int attempt = 0; ; attempt++) {
            try {
                Integer code = engine.waits.waitContainerCmd(containerId).exec(new WaitContainerResultCallback())
                        .awaitStatusCode();
                return code == null ? -1 : code;
            } catch (NotFoundException e) {
                return -1; // removed by someone else
            } catch (RuntimeException e) {
                // The engine went away for a while: its runner's stream tells the session's fate meanwhile.
                LOG.fine(() -> "session " + sessionId + ": waiting for container " + shortId(containerId) + " failed: " + e);
                try {
                    Thread.sleep(Math.min(5_000, 250L << Math.min(attempt, 4)));
                } catch (InterruptedException ie) {
                    return -1;
                }
            }
        }
    }

    private void remove(DockerEngine engine, String containerId) {
        try {
            engine.calls.removeContainerCmd(containerId).withForce(true).withRemoveVolumes(true).exec();
        } catch (NotFoundException | ConflictException e) {
            // already gone, or its removal is under way
        } catch (RuntimeException e) {
            if (closing) {
                return; // close() removes what is left
            }
            LOG.warning("cannot remove runner container " + shortId(containerId) + " on " + engine.name() + ": "
                    + describe(e) + " (it is removed when the control plane starts again)");
        }
    }

    private record ContainerHandle(DockerLauncher launcher, DockerEngine engine, String containerId, String sessionId,
                                   CompletableFuture<Integer> exit) implements RunnerHandle {
        @Override
        public String host() {
            return engine.name();
        }

        @Override
        public void stop() {
            if (exit.isDone()) {
                return;
            }
            launcher.stopRequested.add(containerId);
            launcher.work.execute(() -> {
                try {
                    engine.calls.stopContainerCmd(containerId).withTimeout(STOP_GRACE_SECONDS).exec();
                } catch (NotFoundException | NotModifiedException e) {
                    // gone or stopped already
                } catch (RuntimeException e) {
                    LOG.fine(() -> "session " + sessionId + ": stopping container failed: " + e);
                }
                launcher.remove(engine, containerId);
            });
        }

        @Override
        public void onExit(IntConsumer exitCode) {
            exit.thenAccept(exitCode::accept);
        }
    }

    @Override
    public List<RunnerHost> hosts() {
        return engines.stream().map(DockerEngine::status).toList();
    }

    @Override
    public RunnerHost setDrained(String name, boolean drained) throws SessionException {
        DockerEngine engine = engine(name);
        if (engine == null) {
            throw new SessionException(SessionException.Reason.NOT_FOUND, "runner host " + name + " not found");
        }
        engine.setDrained(drained);
        LOG.info("runner host " + name + (drained ? " drained: no new runners go there" : " undrained: takes new runners again"));
        return engine.status();
    }

    private DockerEngine engine(String name) {
        for (DockerEngine e : engines) {
            if (e.name().equals(name)) {
                return e;
            }
        }
        return null;
    }

    /** Stops health checks and removes every runner container it started. */
    @Override
    public void close() {
        closing = true;
        healthChecks.cancel(false);
        for (DockerEngine engine : engines) {
            try {
                for (Container c : engine.calls.listContainersCmd().withShowAll(true)
                        .withLabelFilter(RunnerContainer.ownerLabels(fleet)).exec()) {
                    if (engine.knows(c.getId())) {
                        remove(engine, c.getId());
                    }
                }
            } catch (RuntimeException e) {
                LOG.warning("cannot remove the runners on " + engine.name() + ": " + describe(e));
            }
            engine.close();
        }
    }

    static String shortId(String id) {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }

    static String describe(RuntimeException e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m.strip();
    }
}
