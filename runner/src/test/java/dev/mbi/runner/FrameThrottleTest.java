package dev.mbi.runner;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.Test;

class FrameThrottleTest {
    @Test
    void sendsNothingUntilEnabledThenTheNewestFrameAtOnce() {
        List<Integer> sent = new CopyOnWriteArrayList<>();
        try (FrameThrottle<Integer> throttle = new FrameThrottle<>(5, sent::add)) {
            throttle.offer(1);
            throttle.offer(2);
            await("nothing is sent while disabled").during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(1))
                    .until(sent::isEmpty);
            throttle.setEnabled(true);
            eventually().until(() -> sent.size() == 1);
            assertEquals(List.of(2), sent);
        }
    }

    @Test
    void aBurstYieldsTheFirstFrameAndTheLastNotTheOnesBetween() {
        List<Integer> sent = new CopyOnWriteArrayList<>();
        try (FrameThrottle<Integer> throttle = new FrameThrottle<>(5, sent::add)) {
            throttle.setEnabled(true);
            for (int i = 1; i <= 20; i++) {
                throttle.offer(i);
            }
            eventually().until(() -> sent.contains(20));
            assertEquals(20, sent.get(sent.size() - 1));
            assertTrue(sent.size() <= 3, "a burst of 20 at 5 fps sent " + sent);
            assertTrue(throttle.dropped() >= 17);
        }
    }

    @Test
    void disablingStopsTheFlowAndReEnablingResendsTheNewest() {
        List<Integer> sent = new CopyOnWriteArrayList<>();
        try (FrameThrottle<Integer> throttle = new FrameThrottle<>(30, sent::add)) {
            throttle.setEnabled(true);
            throttle.offer(1);
            eventually().until(() -> sent.size() == 1);
            throttle.setEnabled(false);
            throttle.offer(2);
            await("nothing more is sent while disabled").during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(1))
                    .until(() -> sent.equals(List.of(1)));
            throttle.setEnabled(true);
            eventually().until(() -> sent.size() == 2);
            assertEquals(List.of(1, 2), sent);
        }
    }

    private static ConditionFactory eventually() {
        return await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10));
    }
}
