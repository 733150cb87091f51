package dev.mbi.runner;

import dev.mbi.proto.v1.SessionMetrics;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The figures a runner reports every few seconds: frames and bytes sent on the stream, the time
 * from an input to the next frame, input dropped under a flood, CPU and memory, and the WebRTC side's figures.
 */
final class SessionFigures {
    private final AtomicLong framesSent = new AtomicLong();
    private final AtomicLong bytesSent = new AtomicLong();
    private final AtomicLong lastInputNanos = new AtomicLong();
    private volatile double inputToFrameMs;
    /** Read and written by the one reporting thread. */
    private long lastReportFrames;
    private long lastReportNanos = System.nanoTime();

    /** An input other than a navigation was injected: the next frame shows its effect. */
    void inputInjected() {
        lastInputNanos.set(System.nanoTime());
    }

    /** The browser produced a frame. */
    void frameCaptured() {
        long inputAt = lastInputNanos.getAndSet(0);
        if (inputAt != 0) {
            inputToFrameMs = (System.nanoTime() - inputAt) / 1e6;
        }
    }

    /** A frame went out on the stream. */
    void frameSent(int bytes) {
        framesSent.incrementAndGet();
        bytesSent.addAndGet(bytes);
    }

    /**
     * The figures since the last report.
     *
     * @param peers the WebRTC side, or null while it is not running
     * @param inputDropped input events dropped so far because too many were pending
     */
    SessionMetrics report(ProcessStats stats, WebRtcPeers peers, FrameThrottle<?> throttle, long inputDropped) {
        long now = System.nanoTime();
        long frames = framesSent.get();
        double fps = (frames - lastReportFrames) / ((now - lastReportNanos) / 1e9);
        lastReportFrames = frames;
        lastReportNanos = now;
        ProcessStats.Sample s = stats.sample();
        SessionMetrics.Builder m = SessionMetrics.newBuilder();
        if (peers != null) {
            double[] w = peers.stats();
            m.setWebrtcPeers(peers.connectedPeers())
                    .setWebrtcFps(round(w[0]))
                    .setWebrtcBitrateKbps(round(w[1]))
                    .setWebrtcRttMs(round(w[2]))
                    .setWebrtcFramesDropped((long) w[3])
                    .setWebrtcFramesSent(peers.framesSentTotal())
                    .setWebrtcBytesSent(peers.bytesSentTotal())
                    .setWebrtcError(peers.lastError());
        }
        return m.setCpuPercent(round(s.cpuPercent()))
                .setMemMb(round(s.memMb()))
                .setFps(round(fps))
                .setFramesSent(frames)
                .setBytesSent(bytesSent.get())
                .setFramesDropped(throttle.dropped())
                .setTransport(peers != null && peers.connectedPeers() > 0 ? "webrtc" : "websocket")
                .setInputToFrameMs(round(inputToFrameMs))
                .setInputDropped(inputDropped)
                .build();
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
