package dev.mbi.controlplane.launch.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.config.Env;
import dev.mbi.contract.RunnerContract;
import dev.mbi.controlplane.ControlPlaneConfig;
import dev.mbi.controlplane.launch.FleetConfig;
import dev.mbi.controlplane.launch.RunnerLauncher.RunnerSpec;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a runner container is told and how it is labelled (no Docker engine needed). */
class RunnerContainerTest {
    private static final FleetConfig FLEET = ControlPlaneConfig.from(new Env(Map.of(
            "RUNNER_LAUNCHER", "docker",
            "RUNNER_CONTROL_PLANE_ADDR", "172.17.0.1:50051",
            "CONTROL_PLANE_ID", "cp-docker",
            "CONTROL_PLANE_TOKEN", dev.mbi.controlplane.testing.TestApi.TOKEN))).fleet();

    private static final RunnerSpec SPEC = new RunnerSpec("s7", "token-s7", "172.17.0.1:50051",
            RunnerContract.Settings.defaults());

    @Test
    void theContainerDialsItsHostsAddressAndWritesToItsTmpfs() {
        List<String> lines = RunnerContainer.environment(SPEC, "10.0.0.1:50051", "json");
        assertEquals(lines.stream().sorted().toList(), lines, "a stable order");
        Map<String, String> env = new HashMap<>();
        for (String line : lines) {
            int eq = line.indexOf('=');
            env.put(line.substring(0, eq), line.substring(eq + 1));
        }
        assertEquals(SPEC.contract().dialing("10.0.0.1:50051").inWritableDir(Path.of("/tmp")), RunnerContract.from(new Env(env)));
        assertEquals("json", env.get("LOG_FORMAT"), "the runner logs as the control plane does");
        assertTrue(RunnerContainer.hostConfig(FLEET, "bridge", "{}").getTmpFs().containsKey(env.get(RunnerContract.WORK_DIR)),
                "the work folder is the container's tmpfs");
    }

    @Test
    void theContainerNamesItsOwnerSessionAndHost() {
        assertEquals(Map.of(RunnerContract.LABEL_ROLE, RunnerContract.ROLE_RUNNER, RunnerContract.LABEL_CONTROL_PLANE, "cp-docker",
                RunnerContract.LABEL_SESSION, "s7", RunnerContract.LABEL_HOST, "gpu1"), RunnerContainer.labels(FLEET, SPEC, "gpu1"));
        assertEquals(Map.of(RunnerContract.LABEL_ROLE, RunnerContract.ROLE_RUNNER, RunnerContract.LABEL_CONTROL_PLANE, "cp-docker"),
                RunnerContainer.ownerLabels(FLEET));
    }
}
