package dev.mbi.controlplane.core;

import java.util.Map;

/**
 * What a runner's report adds to its previous one: egress refusals by rule, JPEG frames and bytes
 * on the WebSocket stream, video frames and bytes over WebRTC, and the input-to-frame time when it
 * is a new one (0 otherwise), with the transport the runner serves now.
 */
public record RunnerFigures(Map<String, Long> egressBlocked, long jpegFrames, long jpegBytes, long webrtcFrames,
                            long webrtcBytes, double inputToFrameMs, String transport) {
    public RunnerFigures {
        egressBlocked = Map.copyOf(egressBlocked);
    }
}
