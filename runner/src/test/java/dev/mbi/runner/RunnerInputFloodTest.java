package dev.mbi.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.proto.v1.ControlMessage;
import dev.mbi.proto.v1.InputEvent;
import dev.mbi.proto.v1.KeyAction;
import dev.mbi.proto.v1.RunnerMessage;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A whole runner, with a browser that stops taking input, under an input flood from its control
 * plane: the flood is bounded (moves merged, the rest dropped and reported in the metrics), and
 * once the browser recovers, new input lands.
 */
class RunnerInputFloodTest {

    /** A browser whose input injection hangs until released. */
    private static final class HungBrowser extends FakeBrowser {
        final List<InputEvent> injected = new CopyOnWriteArrayList<>();
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch hung = new CountDownLatch(1);

        @Override
        public void dispatch(InputEvent event) {
            injected.add(event);
            hung.countDown();
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void close() {
            release.countDown();
        }
    }

    @Test
    void aFloodIsBoundedMergedDroppedAndCountedAndLaterInputLands() throws Exception {
        HungBrowser browser = new HungBrowser();
        try (ReadyRunner runner = new ReadyRunner("flood", browser)) {
            FakeControlPlane controlPlane = runner.controlPlane;

            controlPlane.send(input(InputQueueTest.key(KeyAction.KEY_ACTION_DOWN, "S")));
            assertTrue(browser.hung.await(10, TimeUnit.SECONDS), "the browser took the first event and hangs");
            int sent = 0;
            for (int group = 0; group < 500; group++) {
                for (int m = 0; m < 5; m++) {
                    controlPlane.send(input(InputQueueTest.move(group * 10 + m)));
                    sent++;
                }
                controlPlane.send(input(InputQueueTest.key(KeyAction.KEY_ACTION_DOWN, "K")));
                sent++;
            }
            assertEquals(3_000, sent);
            // 128 bursts fill the 256 slots (the newest move of each, and its key); the rest are dropped.
            long expectedDropped = 3_000 - 256 - 128 * 4;
            Awaitility.await("the metrics report the drops").atMost(Duration.ofSeconds(20))
                    .until(() -> controlPlane.received(RunnerMessage.KindCase.METRICS).stream()
                            .anyMatch(m -> m.getMetrics().getInputDropped() == expectedDropped));
            assertEquals(1, browser.injected.size(), "nothing more reached the hung browser");

            browser.release.countDown();
            InputEvent later = InputQueueTest.key(KeyAction.KEY_ACTION_DOWN, "Enter");
            Awaitility.await("the backlog drains").atMost(Duration.ofSeconds(20)).until(() -> browser.injected.size() == 257);
            controlPlane.send(input(later));
            Awaitility.await("later input lands").atMost(Duration.ofSeconds(20)).until(() -> browser.injected.size() == 258);
            assertEquals(later.getKey(), browser.injected.get(257).getKey());
            assertEquals(InputQueueTest.move(4).getPointer(), browser.injected.get(1).getPointer(), "moves were merged");
            assertEquals(InputQueueTest.move(1274).getPointer(), browser.injected.get(255).getPointer(),
                    "the last burst that fit, as its newest move");

            runner.shutDown();
        }
    }

    private static ControlMessage input(InputEvent event) {
        return ControlMessage.newBuilder().setInput(event).build();
    }
}
