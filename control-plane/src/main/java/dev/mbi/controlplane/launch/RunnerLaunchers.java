package dev.mbi.controlplane.launch;

import dev.mbi.controlplane.ControlPlaneConfig;
import dev.mbi.controlplane.launch.docker.DockerLauncher;
import dev.mbi.controlplane.launch.kubernetes.KubernetesLauncher;

/** The launcher RUNNER_LAUNCHER names. */
public final class RunnerLaunchers {
    private RunnerLaunchers() {
    }

    public static RunnerLauncher create(ControlPlaneConfig config) {
        return switch (config.launcher()) {
            case PROCESS -> new ProcessRunnerLauncher(config.runnerJar());
            case DOCKER -> DockerLauncher.start(config.fleet());
            case KUBERNETES -> KubernetesLauncher.start(config.fleet());
        };
    }
}
