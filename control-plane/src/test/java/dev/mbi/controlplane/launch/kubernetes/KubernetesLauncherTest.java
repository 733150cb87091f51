package dev.mbi.controlplane.launch.kubernetes;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.config.Env;
import dev.mbi.contract.RunnerContract;
import dev.mbi.controlplane.ControlPlaneConfig;
import dev.mbi.controlplane.core.SessionException;
import dev.mbi.controlplane.launch.FleetConfig;
import dev.mbi.controlplane.launch.RunnerLauncher;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The Kubernetes launcher against fabric8's mock API server in CRUD mode (there is no cluster here). */
@EnableKubernetesMockClient(crud = true)
class KubernetesLauncherTest {
    static KubernetesClient client;

    private static final String NS = "mbi-runners";
    /** Pod deletions run here, as on the control plane's work executor. */
    private final java.util.concurrent.ExecutorService work = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();

    private final java.util.concurrent.ScheduledExecutorService timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    /** How long a live pod of an earlier control plane waits to be adopted. */
    private static final java.time.Duration WINDOW = java.time.Duration.ofMillis(1_500);

    @org.junit.jupiter.api.AfterEach
    void stopWork() {
        timer.shutdownNow();
        work.close();
    }

    private static FleetConfig fleet(String id) {
        return ControlPlaneConfig.from(new Env(Map.of(
                "RUNNER_LAUNCHER", "kubernetes",
                "RUNNER_NAMESPACE", NS,
                "RUNNER_CONTROL_PLANE_ADDR", "control-plane.mbi.svc.cluster.local:50051",
                "CONTROL_PLANE_ID", id,
                "RUNNER_MEMORY", "768m",
                "RUNNER_CPUS", "1.5",
                "RUNNER_POD_SECCOMP", "localhost/mbi/runner-chromium.json",
                "CONTROL_PLANE_TOKEN", dev.mbi.controlplane.testing.TestApi.TOKEN))).fleet();
    }

    private static RunnerLauncher.RunnerSpec spec(String session) {
        return new RunnerLauncher.RunnerSpec(session, "token-" + session, "control-plane.mbi.svc.cluster.local:50051",
                RunnerContract.Settings.defaults());
    }

    private static Pod pod(String name) {
        return client.pods().inNamespace(NS).withName(name).get();
    }

    @Test
    void aSessionGetsAHardenedPodWithItsEnvironmentAndLimitsAndLosesItOnStop() throws Exception {
        try (KubernetesLauncher launcher = KubernetesLauncher.start(fleet("cp-one"), client, work, timer, WINDOW)) {
            RunnerLauncher.RunnerSpec spec = spec("s1");
            RunnerLauncher.RunnerHandle handle = launcher.launch(spec);
            assertEquals("kubernetes/" + NS, handle.host());
            Pod pod = pod("mbi-runner-s1");
            assertNotNull(pod, "the pod exists");
            assertEquals(Map.of(RunnerContract.LABEL_ROLE, RunnerContract.ROLE_RUNNER, RunnerContract.LABEL_CONTROL_PLANE, "cp-one",
                    RunnerContract.LABEL_SESSION, "s1"), pod.getMetadata().getLabels());
            assertEquals("Never", pod.getSpec().getRestartPolicy());
            assertFalse(pod.getSpec().getAutomountServiceAccountToken());
            assertTrue(pod.getSpec().getSecurityContext().getRunAsNonRoot());
            assertEquals(10001L, pod.getSpec().getSecurityContext().getRunAsUser());
            assertEquals("Localhost", pod.getSpec().getSecurityContext().getSeccompProfile().getType());
            assertEquals("mbi/runner-chromium.json", pod.getSpec().getSecurityContext().getSeccompProfile().getLocalhostProfile());

            Container c = pod.getSpec().getContainers().getFirst();
            assertEquals("mbi/runner:dev", c.getImage());
            assertFalse(c.getSecurityContext().getAllowPrivilegeEscalation());
            assertTrue(c.getSecurityContext().getReadOnlyRootFilesystem());
            assertEquals(List.of("ALL"), c.getSecurityContext().getCapabilities().getDrop());
            List<String> added = c.getSecurityContext().getCapabilities().getAdd();
            assertTrue(added == null || added.isEmpty(), String.valueOf(added));
            assertEquals(768L << 20, c.getResources().getLimits().get("memory").getNumericalAmount().longValueExact());
            assertEquals("1500m", c.getResources().getLimits().get("cpu").toString());
            Map<String, String> env = c.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
            assertEquals("s1", env.get(RunnerContract.SESSION_ID));
            assertEquals("token-s1", env.get(RunnerContract.JOIN_TOKEN));
            assertEquals("control-plane.mbi.svc.cluster.local:50051", env.get(RunnerContract.CONTROL_PLANE_ADDR));
            assertEquals("/usr/bin/chromium", env.get(RunnerContract.CHROMIUM_PATH));
            assertEquals("/tmp", env.get(RunnerContract.WORK_DIR));
            assertEquals("/tmp", env.get(RunnerContract.HOME));
            // The runner in the pod reads back the session's contract, writing to the pod's tmpfs.
            assertEquals(spec.contract().inWritableDir(Path.of("/tmp")), RunnerContract.from(new Env(env)));
            assertEquals(List.of("/tmp", "/dev/shm"), c.getVolumeMounts().stream().map(m -> m.getMountPath()).toList());
            assertEquals("Memory", pod.getSpec().getVolumes().getFirst().getEmptyDir().getMedium());

            assertEquals(1, launcher.hosts().getFirst().sessions());
            SessionException drain = assertThrows(SessionException.class, () -> launcher.setDrained("kubernetes/" + NS, true));
            assertEquals(SessionException.Reason.NOT_READY, drain.reason());

            handle.stop();
            await("the pod is deleted when its session ends").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                    .until(() -> pod("mbi-runner-s1") == null);
        }
    }

    @Test
    void aRunnerPodThatFailsReportsItsExitCode() throws Exception {
        try (KubernetesLauncher launcher = KubernetesLauncher.start(fleet("cp-two"), client, work, timer, WINDOW)) {
            RunnerLauncher.RunnerHandle handle = launcher.launch(spec("s2"));
            CompletableFuture<Integer> exit = new CompletableFuture<>();
            handle.onExit(exit::complete);
            Pod failed = new PodBuilder(pod("mbi-runner-s2")).withStatus(new PodStatusBuilder()
                    .withPhase("Failed")
                    .withContainerStatuses(new ContainerStatusBuilder().withName("runner")
                            .withNewState().withNewTerminated().withExitCode(137).withReason("OOMKilled").endTerminated().endState()
                            .build())
                    .build()).build();
            client.pods().inNamespace(NS).resource(failed).updateStatus();
            assertEquals(137, exit.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void onStartItKeepsItsOwnLivePodsForAdoptionDeletesEndedOnesAndLeavesOthersAlone() throws Exception {
        Map<String, String> mine = spec("old").contract().labels("cp-three");
        Map<String, String> unclaimed = spec("unclaimed").contract().labels("cp-three");
        Map<String, String> ended = spec("ended").contract().labels("cp-three");
        Map<String, String> theirs = new HashMap<>(mine);
        theirs.put(RunnerContract.LABEL_CONTROL_PLANE, "someone-else");
        for (var e : Map.of("mbi-runner-old", mine, "mbi-runner-unclaimed", unclaimed, "mbi-runner-ended", ended,
                "mbi-runner-other", theirs).entrySet()) {
            client.pods().inNamespace(NS).resource(new PodBuilder().withNewMetadata().withName(e.getKey()).withLabels(e.getValue())
                    .endMetadata().withNewSpec().addNewContainer().withName("runner").withImage("mbi/runner:dev").endContainer()
                    .endSpec().withNewStatus().withPhase(e.getKey().endsWith("ended") ? "Succeeded" : "Running").endStatus()
                    .build()).create();
        }
        try (KubernetesLauncher launcher = KubernetesLauncher.start(fleet("cp-three"), client, work, timer, WINDOW)) {
            assertNull(pod("mbi-runner-ended"), "an ended pod left by an earlier control plane is deleted at once");
            assertNotNull(pod("mbi-runner-old"), "a live one is kept while its runner may dial back");
            assertNotNull(pod("mbi-runner-unclaimed"));
            // The runner of "old" dials back: its pod is adopted, and followed like one this launcher created.
            RunnerLauncher.RunnerHandle adopted = launcher.adopt("old").orElseThrow();
            assertTrue(launcher.adopt("old").isEmpty(), "adopted once");
            assertTrue(launcher.adopt("someone-elses").isEmpty());
            assertEquals(1, launcher.hosts().getFirst().sessions());
            org.awaitility.Awaitility.await("the unclaimed pod deleted after the window").atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> pod("mbi-runner-unclaimed") == null);
            assertNotNull(pod("mbi-runner-old"), "the adopted pod stays");
            assertNotNull(pod("mbi-runner-other"), "another control plane's pod is left alone");
            adopted.stop();
            org.awaitility.Awaitility.await("the adopted pod deleted on stop").atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> pod("mbi-runner-old") == null);
        }
    }
}
