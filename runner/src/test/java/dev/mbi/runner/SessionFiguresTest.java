package dev.mbi.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.proto.v1.SessionMetrics;
import java.util.List;
import org.junit.jupiter.api.Test;

class SessionFiguresTest {
    private final ProcessStats stats = new ProcessStats(List.of(ProcessHandle.current().pid()));

    @Test
    void countsWhatWentOutOnTheStreamAndTheTimeFromInputToFrame() throws Exception {
        SessionFigures figures = new SessionFigures();
        try (RunnerExecutors executors = RunnerExecutors.create();
             FrameThrottle<Integer> throttle = new FrameThrottle<>(5, frame -> { }, executors.tasks())) {
            figures.frameCaptured(); // no input yet: no latency figure
            figures.frameSent(1_000);
            figures.frameSent(500);
            SessionMetrics first = figures.report(stats, null, throttle, 0);
            assertEquals(2, first.getFramesSent());
            assertEquals(1_500, first.getBytesSent());
            assertEquals(0.0, first.getInputToFrameMs());
            assertEquals("websocket", first.getTransport());
            assertEquals(0, first.getWebrtcPeers());

            figures.inputInjected();
            Thread.sleep(20);
            figures.frameCaptured();
            figures.frameCaptured(); // a later frame without new input keeps the figure
            SessionMetrics second = figures.report(stats, null, throttle, 7);
            assertTrue(second.getInputToFrameMs() >= 20, String.valueOf(second.getInputToFrameMs()));
            assertEquals(2, second.getFramesSent(), "totals, not rates");
            assertEquals(0.0, second.getFps(), "no frame since the last report");
            assertEquals(7, second.getInputDropped());
        }
    }
}
