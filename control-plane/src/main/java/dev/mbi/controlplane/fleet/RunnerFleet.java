package dev.mbi.controlplane.fleet;

import dev.mbi.controlplane.core.SessionException;
import java.util.List;

/** A launcher whose runners run on several hosts that operators can list and drain. */
public interface RunnerFleet {

    /** Every host, in a stable order. */
    List<RunnerHost> hosts();

    /**
     * Stops ({@code drained}) or resumes placing new runners on a host. Runners already there
     * keep running until their sessions end.
     *
     * @throws SessionException NOT_FOUND for an unknown host, NOT_READY when this fleet cannot drain
     */
    RunnerHost setDrained(String name, boolean drained) throws SessionException;
}
