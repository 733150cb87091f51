package dev.mbi.controlplane.launch.kubernetes;

import dev.mbi.contract.RunnerContract;
import dev.mbi.controlplane.core.SessionException;
import dev.mbi.controlplane.fleet.RunnerFleet;
import dev.mbi.controlplane.fleet.RunnerHost;
import dev.mbi.controlplane.launch.FleetConfig;
import dev.mbi.controlplane.launch.RunnerLauncher;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SeccompProfile;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Executor;
import java.util.function.IntConsumer;
import java.util.logging.Logger;

/**
 * Runs each runner in its own Pod in RUNNER_NAMESPACE: same environment as the other launchers,
 * resource limits, a non-root read-only container without capabilities or privilege gain, the
 * runtime's seccomp profile (or the shipped one as a Localhost profile), and labels naming the
 * session and this control plane. Pods are deleted when their session ends; an informer reports
 * their exit. Pods left by an earlier control plane (this one restarted): an ended one is deleted at
 * start, a live one is kept for the reconnect window, adopted when its runner dials back, and
 * deleted if none did.
 *
 * <p>When the control plane may watch the cluster's nodes, each node that runner pods can be
 * scheduled on is a runner host ({@link RunnerNodes}): a warm pool then keeps its runners waiting
 * on every node, each pod pinned to its node, and a session takes one from the node with the most
 * room. Without that permission (or with no nodes) the cluster is one host, as the scheduler places
 * every pod.
 */
public final class KubernetesLauncher implements RunnerLauncher, RunnerFleet {
    private static final Logger LOG = Logger.getLogger(KubernetesLauncher.class.getName());
    private static final long STOP_GRACE_SECONDS = 2;

    private final FleetConfig fleet;
    private final KubernetesClient client;
    private final boolean ownsClient;
    private final Executor work;
    private final Map<String, CompletableFuture<Integer>> exits = new ConcurrentHashMap<>();
    private final SharedIndexInformer<Pod> informer;
    private final java.util.concurrent.ScheduledExecutorService timer;
    private final java.time.Duration adoptionWindow;
    /** The cluster's nodes, or null when this control plane may not watch them (the cluster is then one host). */
    private final SharedIndexInformer<Node> nodes;
    /** Pods pinned to a node (warm pool runners), by pod name: counted there before the scheduler binds them. */
    private final Map<String, String> pinned = new ConcurrentHashMap<>();

    private KubernetesLauncher(FleetConfig fleet, KubernetesClient client, boolean ownsClient, Executor work,
                               java.util.concurrent.ScheduledExecutorService timer, java.time.Duration adoptionWindow) {
        this.fleet = fleet;
        this.client = client;
        this.ownsClient = ownsClient;
        this.work = work;
        this.timer = timer;
        this.adoptionWindow = adoptionWindow;
        removeOrphans();
        this.nodes = watchNodes();
        this.informer = pods().withLabels(ownerLabels()).inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                seen(pod);
            }

            @Override
            public void onUpdate(Pod before, Pod pod) {
                seen(pod);
            }

            @Override
            public void onDelete(Pod pod, boolean finalStateUnknown) {
                CompletableFuture<Integer> exit = exits.remove(pod.getMetadata().getName());
                if (exit != null) {
                    exit.complete(exitCode(pod).orElse(-1));
                }
            }
        }, 0);
    }

    /**
     * Uses the cluster the pod runs in (its service account), or the local kubeconfig.
     *
     * @param work runs pod deletions
     */
    public static KubernetesLauncher start(FleetConfig fleet, Executor work, java.util.concurrent.ScheduledExecutorService timer,
                                           java.time.Duration adoptionWindow) {
        return new KubernetesLauncher(fleet, new KubernetesClientBuilder().build(), true, work, timer, adoptionWindow);
    }

    /** With a client the caller owns (and closes). */
    public static KubernetesLauncher start(FleetConfig fleet, KubernetesClient client, Executor work,
                                           java.util.concurrent.ScheduledExecutorService timer, java.time.Duration adoptionWindow) {
        return new KubernetesLauncher(fleet, client, false, work, timer, adoptionWindow);
    }

    private SharedIndexInformer<Node> watchNodes() {
        try {
            return client.nodes().inform();
        } catch (KubernetesClientException e) {
            LOG.info("the control plane cannot watch the cluster's nodes (" + e.getMessage() + "): the cluster is one runner"
                    + " host and a warm pool keeps its runners for the whole cluster; grant get, list and watch on nodes"
                    + " (k8s/11-rbac.yaml) for a pool on each node");
            return null;
        }
    }

    private io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<Pod, io.fabric8.kubernetes.api.model.PodList,
            io.fabric8.kubernetes.client.dsl.PodResource> pods() {
        return client.pods().inNamespace(fleet.namespace());
    }

    private Map<String, String> ownerLabels() {
        return RunnerContract.ownerLabels(fleet.controlPlaneId());
    }

    private void removeOrphans() {
        for (Pod pod : pods().withLabels(ownerLabels()).list().getItems()) {
            String session = RunnerContract.sessionOf(pod.getMetadata().getLabels());
            String name = pod.getMetadata().getName();
            if (ended(pod)) {
                LOG.info("session " + session + ": deleting its ended runner pod " + name + ", left by an earlier control plane");
                pods().withName(name).withGracePeriod(0).delete();
                continue;
            }
            LOG.info("session " + session + ": runner pod " + name + " was created by an earlier control plane; it is kept "
                    + adoptionWindow.toSeconds() + " s for its runner to dial back");
            timer.schedule(() -> work.execute(() -> {
                if (!exits.containsKey(name)) {
                    LOG.info("session " + session + ": no runner dialed back from pod " + name + " within "
                            + adoptionWindow.toSeconds() + " s; deleting it");
                    delete(name);
                }
            }), adoptionWindow.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private static boolean ended(Pod pod) {
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        return "Succeeded".equals(phase) || "Failed".equals(phase);
    }

    @Override
    public java.util.Optional<RunnerHandle> adopt(String sessionId) {
        String name = podName(sessionId);
        Pod pod;
        try {
            pod = pods().withName(name).get();
        } catch (KubernetesClientException e) {
            LOG.fine(() -> "session " + sessionId + ": looking for its pod failed: " + e);
            return java.util.Optional.empty();
        }
        if (pod == null || ended(pod) || !fleet.controlPlaneId().equals(pod.getMetadata().getLabels()
                .get(RunnerContract.LABEL_CONTROL_PLANE))) {
            return java.util.Optional.empty();
        }
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        if (exits.putIfAbsent(name, exit) != null) {
            return java.util.Optional.empty();
        }
        LOG.info("session " + sessionId + ": runner pod " + name + " adopted (its runner dialed back)");
        return java.util.Optional.of(new PodHandle(this, name, sessionId, clusterHost(), exit));
    }

    /** A pod whose runner has ended (Succeeded or Failed) completes its exit with the container's code. */
    private void seen(Pod pod) {
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
            CompletableFuture<Integer> exit = exits.remove(pod.getMetadata().getName());
            if (exit != null) {
                exit.complete(exitCode(pod).orElse("Succeeded".equals(phase) ? 0 : -1));
                work.execute(() -> delete(pod.getMetadata().getName()));
            }
        }
    }

    private static java.util.Optional<Integer> exitCode(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
            return java.util.Optional.empty();
        }
        for (ContainerStatus cs : pod.getStatus().getContainerStatuses()) {
            ContainerStateTerminated t = cs.getState() == null ? null : cs.getState().getTerminated();
            if (t != null && t.getExitCode() != null) {
                return java.util.Optional.of(t.getExitCode());
            }
        }
        return java.util.Optional.empty();
    }

    static String podName(String sessionId) {
        return "mbi-runner-" + sessionId;
    }

    /** The pod of one runner, placed by the scheduler: what a reviewer checks for limits and hardening. */
    Pod pod(RunnerSpec spec) {
        return pod(spec, java.util.Optional.empty());
    }

    /** The pod of one runner, on this node when one is given (the way a DaemonSet pins its pods). */
    Pod pod(RunnerSpec spec, java.util.Optional<String> node) {
        // No runner-host label: Kubernetes places the pod, and "kubernetes/<namespace>" is no valid label value.
        Map<String, String> labels = spec.contract().labels(fleet.controlPlaneId());
        Map<String, String> env = new TreeMap<>(spec.contract().inWritableDir(FleetConfig.CONTAINER_TMP).toEnvironment());
        env.put("LOG_FORMAT", fleet.logFormat());
        List<EnvVar> envVars = new ArrayList<>();
        env.forEach((k, v) -> envVars.add(new EnvVar(k, v, null)));
        String[] user = fleet.user().split(":");
        long uid = Long.parseLong(user[0]);
        long gid = user.length > 1 ? Long.parseLong(user[1]) : uid;
        SeccompProfile seccomp = fleet.podSeccompProfile().startsWith("localhost/")
                ? new SeccompProfile(fleet.podSeccompProfile().substring("localhost/".length()), "Localhost")
                : new SeccompProfile(null, "RuntimeDefault");
        Quantity memory = new Quantity(Long.toString(fleet.memoryBytes()));
        Quantity cpu = new Quantity(Math.round(fleet.cpus() * 1000) + "m");
        return new PodBuilder()
                .withNewMetadata()
                    .withName(podName(spec.sessionId()))
                    .withNamespace(fleet.namespace())
                    .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                    .withAffinity(node.map(KubernetesLauncher::onNode).orElse(null))
                    .withRestartPolicy("Never")
                    .withAutomountServiceAccountToken(false)
                    .withEnableServiceLinks(false)
                    .withTerminationGracePeriodSeconds(STOP_GRACE_SECONDS)
                    .withNewSecurityContext()
                        .withRunAsNonRoot(true)
                        .withRunAsUser(uid)
                        .withRunAsGroup(gid)
                        .withSeccompProfile(seccomp)
                    .endSecurityContext()
                    .addNewContainer()
                        .withName("runner")
                        .withImage(fleet.image())
                        .withImagePullPolicy("IfNotPresent")
                        .withEnv(envVars)
                        .withNewResources()
                            .addToLimits("memory", memory)
                            .addToLimits("cpu", cpu)
                            .addToRequests("memory", memory)
                            .addToRequests("cpu", cpu)
                        .endResources()
                        .withNewSecurityContext()
                            .withAllowPrivilegeEscalation(false)
                            .withReadOnlyRootFilesystem(true)
                            .withRunAsNonRoot(true)
                            .withPrivileged(false)
                            .withNewCapabilities().withDrop("ALL").endCapabilities()
                        .endSecurityContext()
                        .addNewVolumeMount().withName("tmp").withMountPath(FleetConfig.CONTAINER_TMP.toString()).endVolumeMount()
                        .addNewVolumeMount().withName("shm").withMountPath("/dev/shm").endVolumeMount()
                    .endContainer()
                    .addNewVolume().withName("tmp")
                        .withNewEmptyDir().withMedium("Memory").withSizeLimit(new Quantity(Long.toString(fleet.tmpBytes()))).endEmptyDir()
                    .endVolume()
                    .addNewVolume().withName("shm")
                        .withNewEmptyDir().withMedium("Memory").withSizeLimit(new Quantity(Long.toString(fleet.shmBytes()))).endEmptyDir()
                    .endVolume()
                .endSpec()
                .build();
    }

    private static io.fabric8.kubernetes.api.model.Affinity onNode(String node) {
        return new io.fabric8.kubernetes.api.model.AffinityBuilder().withNewNodeAffinity()
                .withNewRequiredDuringSchedulingIgnoredDuringExecution()
                    .addNewNodeSelectorTerm()
                        .withMatchFields(new NodeSelectorRequirement("metadata.name", "In", List.of(node)))
                    .endNodeSelectorTerm()
                .endRequiredDuringSchedulingIgnoredDuringExecution()
                .endNodeAffinity().build();
    }

    @Override
    public RunnerHandle launch(RunnerSpec spec) throws LaunchException {
        return create(spec, java.util.Optional.empty());
    }

    /**
     * On a node of the cluster when its nodes are the hosts (the node must be Ready, not cordoned,
     * with a free place); the cluster's one host otherwise, where the scheduler places the pod.
     */
    @Override
    public RunnerHandle launchOn(RunnerSpec spec, String host) throws LaunchException {
        List<RunnerHost> hosts = hosts();
        if (!perNode(hosts)) {
            return launch(spec);
        }
        RunnerHost node = hosts.stream().filter(h -> h.name().equals(host)).findFirst().orElseThrow(() -> new LaunchException(
                "no node " + host + " can take runner pods (nodes: " + hosts.stream().map(RunnerHost::name).toList() + ")", null));
        if (!node.healthy() || node.drained() || node.free() == 0) {
            throw new LaunchException("node " + host + " cannot take a runner pod now: " + dev.mbi.controlplane.fleet.Placement.whyNot(node),
                    null);
        }
        return create(spec, java.util.Optional.of(host));
    }

    private RunnerHandle create(RunnerSpec spec, java.util.Optional<String> node) throws LaunchException {
        Pod pod = pod(spec, node);
        String name = pod.getMetadata().getName();
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        exits.put(name, exit);
        node.ifPresent(n -> pinned.put(name, n));
        try {
            pods().resource(pod).create();
        } catch (KubernetesClientException e) {
            exits.remove(name);
            pinned.remove(name);
            throw new LaunchException("cannot create the runner pod " + name + " in namespace " + fleet.namespace() + ": "
                    + e.getMessage() + " (check the control plane's RBAC: create/delete/list/watch pods there)", e);
        }
        exit.whenComplete((code, failure) -> pinned.remove(name));
        LOG.info("session " + spec.sessionId() + ": runner pod " + name + " created in " + fleet.namespace()
                + node.map(n -> " on node " + n).orElse(""));
        return new PodHandle(this, name, spec.sessionId(), node.orElseGet(this::clusterHost), exit);
    }

    private String clusterHost() {
        return "kubernetes/" + fleet.namespace();
    }

    private void delete(String name) {
        try {
            pods().withName(name).withGracePeriod(STOP_GRACE_SECONDS).delete();
        } catch (KubernetesClientException e) {
            LOG.warning("cannot delete runner pod " + name + ": " + e.getMessage() + " (it is deleted when the control plane starts again)");
        }
    }

    /** @param host the node it was pinned to, or the cluster when the scheduler placed it */
    private record PodHandle(KubernetesLauncher launcher, String name, String sessionId, String host,
                             CompletableFuture<Integer> exit) implements RunnerHandle {

        @Override
        public void stop() {
            launcher.work.execute(() -> launcher.delete(name));
        }

        @Override
        public void onExit(IntConsumer exitCode) {
            exit.thenAccept(exitCode::accept);
        }
    }

    /**
     * Each node runner pods can be scheduled on, with the runner pods of this control plane there;
     * or, when its nodes are not known, the cluster as one host that counts no places.
     */
    @Override
    public List<RunnerHost> hosts() {
        List<Node> known = nodes == null ? List.of() : nodes.getStore().list();
        if (known.isEmpty()) {
            boolean watching = informer.isWatching();
            return List.of(new RunnerHost(clusterHost(), client.getMasterUrl().toString(), 0,
                    exits.size(), watching, false, watching ? "" : "not watching pods in " + fleet.namespace()));
        }
        Map<String, Integer> runnersOn = new java.util.HashMap<>();
        for (String pod : exits.keySet()) {
            String node = pinned.get(pod);
            if (node == null) {
                Pod seen = informer.getStore().getByKey(fleet.namespace() + "/" + pod);
                node = seen == null || seen.getSpec() == null ? null : seen.getSpec().getNodeName();
            }
            if (node != null) {
                runnersOn.merge(node, 1, Integer::sum);
            }
        }
        return known.stream()
                .flatMap(n -> RunnerNodes.host(n, runnersOn.getOrDefault(n.getMetadata().getName(), 0), fleet.cpus(),
                        fleet.memoryBytes()).stream())
                .sorted(java.util.Comparator.comparing(RunnerHost::name))
                .toList();
    }

    /** Whether these hosts are the cluster's nodes (not the cluster as one host). */
    private boolean perNode(List<RunnerHost> hosts) {
        return !(hosts.size() == 1 && hosts.getFirst().name().equals(clusterHost()));
    }

    @Override
    public RunnerHost setDrained(String name, boolean drained) throws SessionException {
        throw new SessionException(SessionException.Reason.NOT_READY,
                "on Kubernetes, cordon the node instead (kubectl cordon " + name + "): runner hosts follow the nodes' state");
    }

    @Override
    public void close() {
        informer.close();
        if (nodes != null) {
            nodes.close();
        }
        for (String name : List.copyOf(exits.keySet())) {
            delete(name);
        }
        if (ownsClient) {
            client.close();
        }
    }
}
