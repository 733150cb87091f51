package dev.mbi.controlplane.launch;

import dev.mbi.controlplane.ControlPlaneConfig;
import dev.mbi.controlplane.launch.docker.DockerLauncher;
import dev.mbi.controlplane.launch.kubernetes.KubernetesLauncher;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/** The launcher RUNNER_LAUNCHER names. */
public final class RunnerLaunchers {
    private RunnerLaunchers() {
    }

    /**
     * @param work runs launchers' blocking follow-ups (waiting for exits, stopping runners)
     * @param timer runs their periodic checks
     */
    public static RunnerLauncher create(ControlPlaneConfig config, Executor work, ScheduledExecutorService timer) {
        return switch (config.launcher()) {
            case PROCESS -> new ProcessRunnerLauncher(config.runnerJar(), config.runnerJavaOptions(), work);
            case DOCKER -> DockerLauncher.start(config.fleet(), config.runner().egress(), config.runnerControlPlaneAddr(),
                    config.reconnectWindow(), work, timer);
            case KUBERNETES -> KubernetesLauncher.start(config.fleet(), work, timer, config.reconnectWindow());
        };
    }
}
