package dev.mbi.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SettleCaptureTest {
    private static final Duration QUIET = Duration.ofMillis(100);
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final AtomicInteger captures = new AtomicInteger();
    private final SettleCapture settle = new SettleCapture(captures::incrementAndGet, timer, Runnable::run, QUIET);

    @AfterEach
    void stop() {
        settle.close();
        timer.shutdownNow();
    }

    @Test
    void aBurstOfFramesIsFollowedByOneCaptureOnceTheScreencastGoesQuiet() throws Exception {
        settle.frameArrived();
        settle.frameArrived();
        settle.frameArrived();
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> captures.get() == 1);
        Thread.sleep(QUIET.toMillis() * 3);
        assertEquals(1, captures.get(), "one capture per burst, and its echo starts nothing");
    }

    @Test
    void aLoneFrameCausesNoCapture() throws Exception {
        settle.frameArrived();
        Thread.sleep(QUIET.toMillis() * 4);
        assertEquals(0, captures.get());
    }

    @Test
    void noCaptureWhileFramesKeepComing() throws Exception {
        // A quiet period long against the gaps between frames: a busy machine's pauses do not end the burst.
        AtomicInteger slowCaptures = new AtomicInteger();
        try (SettleCapture slow = new SettleCapture(slowCaptures::incrementAndGet, timer, Runnable::run, Duration.ofMillis(600))) {
            for (int i = 0; i < 15; i++) {
                slow.frameArrived();
                Thread.sleep(40);
            }
            assertEquals(0, slowCaptures.get(), "frames kept coming: none of them can have been the last one yet");
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> slowCaptures.get() == 1);
        }
    }

    @Test
    void aClosedSettleCapturesNothing() throws Exception {
        settle.frameArrived();
        settle.frameArrived();
        settle.close();
        Thread.sleep(QUIET.toMillis() * 3);
        assertEquals(0, captures.get());
        settle.frameArrived();
        settle.frameArrived();
        Thread.sleep(QUIET.toMillis() * 3);
        assertEquals(0, captures.get());
    }
}
