package dev.mbi.controlplane.launch.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.config.Env;
import dev.mbi.contract.RunnerContract;
import dev.mbi.controlplane.ControlPlaneConfig;
import dev.mbi.controlplane.launch.RunnerLauncher.LaunchException;
import dev.mbi.controlplane.launch.RunnerLauncher.RunnerSpec;
import dev.mbi.egress.EgressSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the Docker launcher decides before it asks an engine for anything; no Docker engine is needed. */
class DockerLauncherTest {

    @Test
    void launchingOnAHostThatCannotTakeTheRunnerFailsSayingWhy(@TempDir Path dir) throws Exception {
        ControlPlaneConfig config = ControlPlaneConfig.from(new Env(Map.of(
                "RUNNER_JAR", "pom.xml",
                "CONTROL_PLANE_TOKEN", dev.mbi.controlplane.testing.TestApi.TOKEN,
                "RUNNER_LAUNCHER", "docker",
                "DOCKER_HOSTS", "gone=unix://" + dir.resolve("no-docker.sock"),
                "RUNNER_CONTROL_PLANE_ADDR", "127.0.0.1:1")));
        ExecutorService work = Executors.newCachedThreadPool();
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try (DockerLauncher launcher = DockerLauncher.start(config.fleet(), EgressSettings.defaults(), "127.0.0.1:1",
                Duration.ofSeconds(1), work, timer)) {
            RunnerSpec spec = new RunnerSpec("pooled-1", "token", "127.0.0.1:1", RunnerContract.Settings.defaults());

            LaunchException unknown = assertThrows(LaunchException.class, () -> launcher.launchOn(spec, "elsewhere"));
            assertEquals("runner host elsewhere is not one of DOCKER_HOSTS", unknown.getMessage());

            LaunchException down = assertThrows(LaunchException.class, () -> launcher.launchOn(spec, "gone"));
            assertTrue(down.getMessage().startsWith("runner host gone cannot take a runner now: unhealthy ("), down.getMessage());
            assertEquals(0, launcher.hosts().getFirst().sessions(), "a refused launch holds no place");
        } finally {
            timer.shutdownNow();
            work.shutdownNow();
        }
    }
}
