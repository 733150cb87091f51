package dev.mbi.controlplane.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.mbi.contract.RunnerContract;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A runner process inherits the control plane's environment, but never its secrets, and leaves no sound folder behind. */
class ProcessRunnerLauncherTest {
    @Test
    void theControlPlanesSecretsStayWithIt() {
        Map<String, String> env = new HashMap<>(Map.of(
                "PATH", "/usr/bin",
                "CONTROL_PLANE_TOKEN", "secret-token-0123456789",
                "CONTROL_PLANE_TOKEN_FILE", "/run/secrets/token",
                "TURN_SECRET", "turn-secret",
                "GRPC_TLS_KEY", "/etc/mbi/tls/key.pem",
                "RUNNER_TLS_KEY", "/etc/mbi/tls/runner-key.pem"));
        RunnerContract contract = new RunnerContract("s1", "join", "localhost:50051", RunnerContract.Settings.defaults());
        ProcessRunnerLauncher.runnerEnvironment(env, contract);
        for (String secret : ProcessRunnerLauncher.NOT_INHERITED) {
            assertFalse(env.containsKey(secret), secret);
        }
        assertEquals("/usr/bin", env.get("PATH"));
        assertEquals("join", env.get(RunnerContract.JOIN_TOKEN));
    }

    @Test
    void aRunnerThatEndsWithoutCleaningUpHasItsSoundFolderRemoved(@org.junit.jupiter.api.io.TempDir java.nio.file.Path work)
            throws Exception {
        RunnerContract contract = new RunnerContract("s2", "join", "localhost:50051", RunnerContract.Settings.defaults())
                .inWritableDir(work);
        java.nio.file.Path folder = contract.soundSocket().getParent();
        java.nio.file.Files.createDirectories(folder.resolve("runtime"));
        java.nio.file.Files.writeString(folder.resolve("pulseaudio.log"), "left by a runner that was killed");
        // Not a jar: the "runner" fails at once, as a killed one would, without its own clean-up.
        java.nio.file.Path notAJar = java.nio.file.Files.writeString(work.resolve("runner.jar"), "not a jar");
        try (java.util.concurrent.ExecutorService work2 = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            ProcessRunnerLauncher launcher = new ProcessRunnerLauncher(notAJar, java.util.List.of(), work2);
            java.util.concurrent.CompletableFuture<Integer> exited = new java.util.concurrent.CompletableFuture<>();
            launcher.launch(new RunnerLauncher.RunnerSpec(contract)).onExit(exited::complete);
            org.junit.jupiter.api.Assertions.assertNotEquals(0, exited.get(30, java.util.concurrent.TimeUnit.SECONDS));
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                    .until(() -> !java.nio.file.Files.exists(folder));
            launcher.close();
        }
    }
}
