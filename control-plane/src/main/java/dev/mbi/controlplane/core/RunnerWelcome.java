package dev.mbi.controlplane.core;

import java.time.Duration;
import java.util.List;

/**
 * What a registered runner is told to open, and how; with the token it resumes with if it loses
 * its stream, and how long it may try. A resumed runner keeps its browser as it is.
 */
public record RunnerWelcome(
        String url,
        int viewportWidth,
        int viewportHeight,
        int maxFps,
        Duration heartbeatInterval,
        List<IceSettings.Server> iceServers,
        boolean relayOnly,
        List<String> egressDenyHosts,
        String resumeToken,
        boolean resumed,
        Duration reconnectWindow,
        boolean pooled,
        ControlHolder controller,
        PageOptions page,
        DataPolicy policy,
        dev.mbi.contract.RunnerContract.Viewport viewportMax) {

    /** What a runner started for the warm pool is told until a session claims it: keep beating, wait. */
    static RunnerWelcome pooled(int viewportWidth, int viewportHeight, int maxFps, Duration heartbeatInterval) {
        return new RunnerWelcome("about:blank", viewportWidth, viewportHeight, maxFps, heartbeatInterval, List.of(), false,
                List.of(), "", false, Duration.ZERO, true, ControlHolder.SHARED, PageOptions.DEFAULT, DataPolicy.OPEN,
                new dev.mbi.contract.RunnerContract.Viewport(viewportWidth, viewportHeight));
    }
}
