package dev.mbi.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class FrameThrottleTest {
    @Test
    void sendsNothingUntilEnabledThenTheNewestFrameAtOnce() throws Exception {
        List<Integer> sent = new CopyOnWriteArrayList<>();
        try (FrameThrottle<Integer> throttle = new FrameThrottle<>(5, sent::add)) {
            throttle.offer(1);
            throttle.offer(2);
            Thread.sleep(300);
            assertTrue(sent.isEmpty());
            throttle.setEnabled(true);
            waitFor(() -> sent.size() == 1);
            assertEquals(List.of(2), sent);
        }
    }

    @Test
    void aBurstYieldsTheFirstFrameAndTheLastNotTheOnesBetween() throws Exception {
        List<Integer> sent = new CopyOnWriteArrayList<>();
        try (FrameThrottle<Integer> throttle = new FrameThrottle<>(5, sent::add)) {
            throttle.setEnabled(true);
            for (int i = 1; i <= 20; i++) {
                throttle.offer(i);
            }
            waitFor(() -> sent.contains(20));
            assertEquals(20, sent.get(sent.size() - 1));
            assertTrue(sent.size() <= 3, "a burst of 20 at 5 fps sent " + sent);
            assertTrue(throttle.dropped() >= 17);
        }
    }

    @Test
    void disablingStopsTheFlowAndReEnablingResendsTheNewest() throws Exception {
        List<Integer> sent = new CopyOnWriteArrayList<>();
        try (FrameThrottle<Integer> throttle = new FrameThrottle<>(30, sent::add)) {
            throttle.setEnabled(true);
            throttle.offer(1);
            waitFor(() -> sent.size() == 1);
            throttle.setEnabled(false);
            throttle.offer(2);
            Thread.sleep(200);
            assertEquals(List.of(1), sent);
            throttle.setEnabled(true);
            waitFor(() -> sent.size() == 2);
            assertEquals(List.of(1, 2), sent);
        }
    }

    static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 5_000;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("condition not met within 5 s");
            }
            Thread.sleep(10);
        }
    }
}
