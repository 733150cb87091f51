package dev.mbi.controlplane.launch.docker;

import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.LogConfig;
import com.github.dockerjava.api.model.RestartPolicy;
import dev.mbi.contract.RunnerContract;
import dev.mbi.controlplane.launch.FleetConfig;
import dev.mbi.controlplane.launch.RunnerLauncher.RunnerSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How one runner's container is made: its name, labels, environment, limits and hardening.
 * No capabilities, no privilege gain, a read-only root with tmpfs where Chromium and the JVM
 * write, a non-root user, and a seccomp allow-list (Chromium runs with --no-sandbox inside it).
 */
final class RunnerContainer {
    /** The seccomp profile shipped with the control plane (also in the repository at this path). */
    static final String SHIPPED_SECCOMP = "/seccomp/runner-chromium.json";

    private RunnerContainer() {
    }

    static String name(String sessionId) {
        return "mbi-runner-" + sessionId;
    }

    static Map<String, String> labels(FleetConfig fleet, RunnerSpec spec, String host) {
        return spec.contract().labels(fleet.controlPlaneId(), host);
    }

    /** Labels that select every runner of this control plane. */
    static Map<String, String> ownerLabels(FleetConfig fleet) {
        return RunnerContract.ownerLabels(fleet.controlPlaneId());
    }

    /** The runner's environment: the session's contract, dialing {@code controlPlaneAddr}, writing to the tmpfs. */
    static List<String> environment(RunnerSpec spec, String controlPlaneAddr, String logFormat) {
        Map<String, String> env = new TreeMap<>(
                spec.contract().dialing(controlPlaneAddr).inWritableDir(FleetConfig.CONTAINER_TMP).toEnvironment());
        env.put("LOG_FORMAT", logFormat);
        List<String> list = new ArrayList<>();
        env.forEach((k, v) -> list.add(k + "=" + v));
        return list;
    }

    static HostConfig hostConfig(FleetConfig fleet, String network, String seccompJson) {
        return HostConfig.newHostConfig()
                .withNetworkMode(network)
                .withMemory(fleet.memoryBytes())
                .withMemorySwap(fleet.memoryBytes())
                .withNanoCPUs(Math.round(fleet.cpus() * 1e9))
                .withPidsLimit(fleet.pids())
                .withShmSize(fleet.shmBytes())
                .withCapDrop(Capability.ALL)
                .withSecurityOpts(List.of("no-new-privileges:true", "seccomp=" + seccompJson))
                .withReadonlyRootfs(true)
                .withTmpFs(Map.of(FleetConfig.CONTAINER_TMP.toString(), "rw,noexec,nosuid,nodev,size=" + fleet.tmpBytes() + ",mode=1777"))
                .withRestartPolicy(RestartPolicy.noRestart())
                .withLogConfig(new LogConfig(LogConfig.LoggingType.JSON_FILE, Map.of("max-size", "10m", "max-file", "2")));
    }

    /** The profile RUNNER_SECCOMP_PROFILE names, or the shipped one. */
    static String seccompProfile(FleetConfig fleet) {
        try {
            if (fleet.seccompProfile().isPresent()) {
                return Files.readString(fleet.seccompProfile().get());
            }
            try (InputStream in = RunnerContainer.class.getResourceAsStream(SHIPPED_SECCOMP)) {
                if (in == null) {
                    throw new IllegalStateException("the shipped seccomp profile " + SHIPPED_SECCOMP + " is missing from the build");
                }
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the runner seccomp profile: " + e.getMessage(), e);
        }
    }
}
