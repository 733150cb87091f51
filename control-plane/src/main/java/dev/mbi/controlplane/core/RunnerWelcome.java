package dev.mbi.controlplane.core;

import java.time.Duration;
import java.util.List;

/** What a registered runner is told to open, and how. */
public record RunnerWelcome(
        String url,
        int viewportWidth,
        int viewportHeight,
        int maxFps,
        Duration heartbeatInterval,
        List<IceSettings.Server> iceServers,
        boolean relayOnly,
        List<String> egressDenyHosts) {
}
