package dev.mbi.runner;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FrameThrottleTest {
    private final RunnerExecutors executors = RunnerExecutors.create();
    /** What the throttle sent, in order; tests wait on it instead of polling. */
    private final BlockingQueue<Integer> sent = new LinkedBlockingQueue<>();

    @AfterEach
    void theSenderEndsWithTheThrottle() throws Exception {
        RunnerThreads.closeAndAssertNoneLeft(executors);
    }

    private FrameThrottle<Integer> throttle(int maxFps) {
        return new FrameThrottle<>(maxFps, sent::add, executors.tasks());
    }

    @Test
    void sendsNothingUntilEnabledThenTheNewestFrameAtOnce() throws Exception {
        try (FrameThrottle<Integer> throttle = throttle(5)) {
            throttle.offer(1);
            throttle.offer(2);
            assertNull(sent.poll(300, TimeUnit.MILLISECONDS), "nothing is sent while disabled");
            throttle.setEnabled(true);
            assertEquals(2, next());
            assertNull(sent.poll(300, TimeUnit.MILLISECONDS), "and only that one");
        }
    }

    @Test
    void aBurstYieldsTheFirstFrameAndTheLastNotTheOnesBetween() throws Exception {
        try (FrameThrottle<Integer> throttle = throttle(5)) {
            throttle.setEnabled(true);
            for (int i = 1; i <= 20; i++) {
                throttle.offer(i);
            }
            List<Integer> got = new ArrayList<>();
            while (got.isEmpty() || got.get(got.size() - 1) != 20) {
                got.add(next());
            }
            assertTrue(got.size() <= 3, "a burst of 20 at 5 fps sent " + got);
            assertTrue(throttle.dropped() >= 17);
        }
    }

    @Test
    void disablingStopsTheFlowAndReEnablingResendsTheNewest() throws Exception {
        try (FrameThrottle<Integer> throttle = throttle(30)) {
            throttle.setEnabled(true);
            throttle.offer(1);
            assertEquals(1, next());
            throttle.setEnabled(false);
            throttle.offer(2);
            assertNull(sent.poll(200, TimeUnit.MILLISECONDS), "nothing more is sent while disabled");
            throttle.setEnabled(true);
            assertEquals(2, next());
        }
    }

    @Test
    void theRateHoldsFramesBackWithoutDroppingTheLast() throws Exception {
        try (FrameThrottle<Integer> throttle = throttle(2)) {
            throttle.setEnabled(true);
            throttle.offer(1);
            assertEquals(1, next());
            long t0 = System.nanoTime();
            throttle.offer(2);
            assertEquals(2, next());
            long heldMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(heldMs >= 300, "a frame right after another waits its turn at 2 fps, not " + heldMs + " ms");
        }
    }

    @Test
    void closingEndsTheSenderEvenWithAFrameHeld() {
        FrameThrottle<Integer> throttle = throttle(1);
        throttle.setEnabled(true);
        throttle.offer(1);
        throttle.offer(2);
        throttle.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> executors.liveThreads().isEmpty());
    }

    private int next() throws InterruptedException {
        Integer frame = sent.poll(5, TimeUnit.SECONDS);
        if (frame == null) {
            throw new AssertionError("no frame within 5 s");
        }
        return frame;
    }
}
