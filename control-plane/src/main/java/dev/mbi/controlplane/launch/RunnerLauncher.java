package dev.mbi.controlplane.launch;

import dev.mbi.contract.RunnerContract;
import java.util.Objects;
import java.util.function.IntConsumer;

/** Starts one runner for one session somewhere (a local process, a container, a pod). */
public interface RunnerLauncher extends AutoCloseable {

    /**
     * Starts a runner that will dial back with the given id and token. Returns once the runner is
     * started, not once it is ready.
     *
     * @throws LaunchException when the runner could not be started; the message says why and what to do
     */
    RunnerHandle launch(RunnerSpec spec) throws LaunchException;

    /**
     * Starts a runner on one named host, one of those its fleet reports ({@code RunnerFleet.hosts()}),
     * for a warm pool that keeps runners waiting on each host. A launcher that places runners itself
     * (a local process, a Kubernetes cluster whose nodes it cannot read) has one host and just launches.
     *
     * @throws LaunchException when that host cannot take a runner now (unknown, unhealthy, drained or
     *         full) or the runner could not be started there; no other host is tried
     */
    default RunnerHandle launchOn(RunnerSpec spec, String host) throws LaunchException {
        return launch(spec);
    }

    /**
     * A runner that an earlier control plane started dialed back for this session (this one
     * restarted): its handle, when this launcher can find it (a container of this control
     * plane's, say), so that ending the session stops it and its exit ends the session. Empty when
     * it cannot (a process started by another control plane: the runner then stops on request).
     */
    default java.util.Optional<RunnerHandle> adopt(String sessionId) {
        return java.util.Optional.empty();
    }

    /** Stops every runner this launcher started (on shutdown). */
    @Override
    void close();

    /** What a runner needs: its session, its one-time token, where to dial, and its settings. */
    record RunnerSpec(RunnerContract contract) {
        public RunnerSpec {
            Objects.requireNonNull(contract, "contract");
        }

        public RunnerSpec(String sessionId, String joinToken, String controlPlaneAddr, RunnerContract.Settings settings) {
            this(new RunnerContract(sessionId, joinToken, controlPlaneAddr, settings));
        }

        public String sessionId() {
            return contract.sessionId();
        }

        public String joinToken() {
            return contract.joinToken();
        }

        public String controlPlaneAddr() {
            return contract.controlPlaneAddr();
        }
    }

    /** A started runner. */
    interface RunnerHandle {
        /** Where it runs, for operators (e.g. "local" or a Docker host). */
        String host();

        /** Ends the runner: a grace period for it to exit by itself, then force. Never blocks long. */
        void stop();

        /** Called once, with the exit code, when the runner exits for any reason. */
        void onExit(IntConsumer exitCode);
    }

    final class LaunchException extends Exception {
        public LaunchException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
