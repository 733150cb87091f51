package dev.mbi.controlplane.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mbi.config.Env;
import dev.mbi.controlplane.ControlPlane;
import dev.mbi.controlplane.ControlPlaneConfig;
import dev.mbi.controlplane.testing.TestApi;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Health follows the launcher: a control plane whose every runner host is down cannot start a
 * session, and says NOT_SERVING (so the edge turns unready), while AdminService, which operators
 * need most then, keeps serving.
 */
class LauncherHealthTest {

    @Test
    void everyDockerEngineDownMeansNotServing(@TempDir Path dir) {
        Map<String, String> env = new HashMap<>(TestApi.controlPlaneEnv());
        env.putAll(Map.of("RUNNER_LAUNCHER", "docker",
                "DOCKER_HOSTS", "gone=unix://" + dir.resolve("no-docker.sock"),
                "RUNNER_CONTROL_PLANE_ADDR", "127.0.0.1:1"));
        try (ControlPlane controlPlane = ControlPlane.start(ControlPlaneConfig.from(new Env(env)))) {
            ManagedChannel channel = Grpc.newChannelBuilder("localhost:" + controlPlane.apiPort(),
                    InsecureChannelCredentials.create()).build();
            try {
                HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(TestApi.withToken(channel))
                        .withDeadlineAfter(10, TimeUnit.SECONDS);
                assertEquals(ServingStatus.NOT_SERVING, health.check(HealthCheckRequest.getDefaultInstance()).getStatus());
                assertEquals(ServingStatus.NOT_SERVING, health.check(HealthCheckRequest.newBuilder()
                        .setService("mbi.v1.SessionService").build()).getStatus());
                assertEquals(ServingStatus.SERVING, health.check(HealthCheckRequest.newBuilder()
                        .setService("mbi.v1.AdminService").build()).getStatus());
            } finally {
                channel.shutdownNow();
            }
        }
    }
}
