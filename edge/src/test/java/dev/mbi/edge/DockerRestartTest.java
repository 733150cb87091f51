package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import dev.mbi.config.Env;
import dev.mbi.controlplane.ControlPlane;
import dev.mbi.controlplane.ControlPlaneConfig;
import dev.mbi.controlplane.testing.TestApi;
import dev.mbi.proto.v1.CreateSessionRequest;
import dev.mbi.proto.v1.DeleteSessionRequest;
import dev.mbi.proto.v1.GetSessionRequest;
import dev.mbi.proto.v1.Session;
import dev.mbi.proto.v1.SessionServiceGrpc;
import dev.mbi.proto.v1.SessionStatus;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A control plane with the Docker launcher stops for a restart (what SIGTERM does) while a session
 * runs in its container, and a new one starts with the same key and CONTROL_PLANE_ID: the
 * container keeps running, its runner dials back, and the new control plane takes the session
 * back and adopts the container, not a new one. A running container nobody claims within the
 * reconnect window is removed.
 */
class DockerRestartTest {

    private static ControlPlane start(Map<String, String> env) {
        return ControlPlane.start(ControlPlaneConfig.from(new Env(env)));
    }

    private static SessionServiceGrpc.SessionServiceBlockingStub sessions(ManagedChannel channel) {
        return SessionServiceGrpc.newBlockingStub(TestApi.withToken(channel)).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static Session awaitReady(ManagedChannel channel, String id, Duration timeout) {
        return Awaitility.await(id + " ready").atMost(timeout).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .until(() -> sessions(channel).getSession(GetSessionRequest.newBuilder().setSessionId(id).build()),
                        s -> s.getStatus() == SessionStatus.SESSION_STATUS_READY);
    }

    private static ManagedChannel api(ControlPlane cp) {
        return Grpc.newChannelBuilder("127.0.0.1:" + cp.apiPort(), InsecureChannelCredentials.create()).build();
    }

    @Test
    void aRestartedControlPlaneAdoptsTheRunningContainerAndRemovesOnesNobodyClaims() throws Exception {
        DockerTestEngines.Engine engine = DockerTestEngines.up().getFirst();
        int grpcPort = DockerTestEngines.freePort();
        String controlPlaneId = "restart-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> env = new HashMap<>(TestApi.controlPlaneEnv());
        env.putAll(engine.launcherEnv(grpcPort, controlPlaneId));
        env.putAll(Map.of(
                "CONTROL_PLANE_SIGNING_KEY", "docker-restart-test-key-" + UUID.randomUUID(),
                // Covers the gap between the two control planes on a busy host (a container started
                // between them, a JVM and a Docker client starting); the unclaimed container waits as long.
                "RUNNER_RECONNECT_WINDOW", "20s",
                "EGRESS_ALLOW_PRIVATE", "true",
                "RUNNER_MEMORY", "768m"));
        env.put("RUNNER_SHM_SIZE", "128m");
        try (DockerClient docker = engine.client(); TestSite site = new TestSite(engine.gateway())) {
            ControlPlane first = start(env);
            ManagedChannel firstApi = api(first);
            String id;
            String container;
            try {
                id = sessions(firstApi).createSession(CreateSessionRequest.newBuilder().setUrl(site.pageUrl())
                        .setOwner("tester").build()).getSessionId();
                awaitReady(firstApi, id, Duration.ofSeconds(60));
                container = DockerTestEngines.containersOf(docker, id).getFirst().getId();
            } finally {
                firstApi.shutdownNow();
                first.stopForRestart();
            }

            // A running runner container of this control plane whose session nobody will claim.
            String ghost = docker.createContainerCmd("mbi/runner:dev").withEntrypoint("sleep", "300")
                    .withLabels(Map.of("dev.mbi.role", "runner", "dev.mbi.control-plane", controlPlaneId,
                            "dev.mbi.session", "ghost-" + UUID.randomUUID()))
                    .exec().getId();
            docker.startContainerCmd(ghost).exec();

            ControlPlane second = start(env);
            ManagedChannel secondApi = api(second);
            try {
                Session back = awaitReady(secondApi, id, Duration.ofSeconds(20));
                assertEquals("tester", back.getOwner());
                List<Container> containers = DockerTestEngines.containersOf(docker, id);
                assertEquals(1, containers.size(), "one container for the session");
                assertEquals(container, containers.getFirst().getId(), "the same container, adopted, not a new one");
                assertEquals("running", containers.getFirst().getState());
                Awaitility.await("the container adopted").atMost(Duration.ofSeconds(10)).until(() -> engine.name()
                        .equals(sessions(secondApi).getSession(GetSessionRequest.newBuilder().setSessionId(id).build()).getRunnerHost()));
                assertEquals(1, docker.listContainersCmd().withIdFilter(List.of(ghost)).exec().size(),
                        "a running container is kept while its runner may still dial back");

                Awaitility.await("the unclaimed container removed after the window").atMost(Duration.ofSeconds(50))
                        .until(() -> docker.listContainersCmd().withShowAll(true).withIdFilter(List.of(ghost)).exec().isEmpty());
                assertEquals(SessionStatus.SESSION_STATUS_READY, sessions(secondApi).getSession(
                        GetSessionRequest.newBuilder().setSessionId(id).build()).getStatus(), "the adopted session is untouched");

                // Ending the adopted session removes its container, as for one this control plane started.
                sessions(secondApi).deleteSession(DeleteSessionRequest.newBuilder().setSessionId(id).build());
                Awaitility.await("the adopted container removed").atMost(Duration.ofSeconds(20))
                        .until(() -> DockerTestEngines.containersOf(docker, id).isEmpty());
            } finally {
                secondApi.shutdownNow();
                second.close();
                docker.listContainersCmd().withShowAll(true).withIdFilter(List.of(ghost)).exec()
                        .forEach(c -> docker.removeContainerCmd(c.getId()).withForce(true).exec());
            }
        }
    }
}
