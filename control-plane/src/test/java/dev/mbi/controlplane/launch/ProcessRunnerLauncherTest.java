package dev.mbi.controlplane.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.mbi.contract.RunnerContract;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A runner process inherits the control plane's environment, but never its secrets. */
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
}
