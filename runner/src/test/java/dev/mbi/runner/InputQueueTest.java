package dev.mbi.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.proto.v1.InputEvent;
import dev.mbi.proto.v1.KeyAction;
import dev.mbi.proto.v1.KeyEvent;
import dev.mbi.proto.v1.MouseButton;
import dev.mbi.proto.v1.PointerAction;
import dev.mbi.proto.v1.PointerEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class InputQueueTest {

    /** A browser that takes input only once released; records what it was given, in order. */
    private static final class StuckBrowser {
        final List<InputEvent> injected = new CopyOnWriteArrayList<>();
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch firstArrived = new CountDownLatch(1);

        void inject(InputEvent event) {
            injected.add(event);
            firstArrived.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    static InputEvent move(double x) {
        return InputEvent.newBuilder().setPointer(PointerEvent.newBuilder()
                .setAction(PointerAction.POINTER_ACTION_MOVE).setX(x).setY(x)).build();
    }

    static InputEvent button(PointerAction action) {
        return InputEvent.newBuilder().setPointer(PointerEvent.newBuilder()
                .setAction(action).setButton(MouseButton.MOUSE_BUTTON_LEFT).setClickCount(1)).build();
    }

    static InputEvent key(KeyAction action, String key) {
        return InputEvent.newBuilder().setKey(KeyEvent.newBuilder().setAction(action).setKey(key).setCode("Key" + key)).build();
    }

    @Test
    void aFloodWhileTheBrowserIsStuckStaysBoundedMergesMovesDropsTheRestAndLaterInputStillLands() throws Exception {
        StuckBrowser browser = new StuckBrowser();
        try (RunnerExecutors executors = RunnerExecutors.create()) {
            InputQueue queue = new InputQueue(browser::inject, executors.input());
            assertEquals(InputQueue.Outcome.QUEUED, queue.offer(key(KeyAction.KEY_ACTION_DOWN, "S")));
            assertTrue(browser.firstArrived.await(5, TimeUnit.SECONDS), "the first event is being injected");

            // What the browser should get after the first: the queue as a model, moves merged, drops left out.
            List<InputEvent> expected = new ArrayList<>();
            Map<InputQueue.Outcome, Integer> outcomes = new EnumMap<>(InputQueue.Outcome.class);
            int maxPending = 0;
            int sent = 0;
            for (int group = 0; group < 1_000; group++) {
                // A burst of moves, then a key: 6 000 events in all, far more than the bound.
                for (int m = 0; m < 5; m++) {
                    InputEvent e = move(group * 10 + m);
                    InputQueue.Outcome o = queue.offer(e);
                    outcomes.merge(o, 1, Integer::sum);
                    if (o == InputQueue.Outcome.QUEUED) {
                        expected.add(e);
                    } else if (o == InputQueue.Outcome.MERGED) {
                        expected.set(expected.size() - 1, e);
                    }
                    sent++;
                }
                InputEvent k = key(KeyAction.KEY_ACTION_DOWN, Character.toString('A' + group % 26));
                InputQueue.Outcome o = queue.offer(k);
                outcomes.merge(o, 1, Integer::sum);
                if (o == InputQueue.Outcome.QUEUED) {
                    expected.add(k);
                }
                sent++;
                maxPending = Math.max(maxPending, queue.pending());
            }
            assertEquals(6_000, sent);
            assertEquals(queue.bound(), maxPending, "the queue fills to its bound and no further");
            assertEquals(InputQueue.DEFAULT_BOUND, queue.pending());
            // 128 bursts fit (a merged move and a key each); every later event is dropped.
            assertEquals(256, outcomes.get(InputQueue.Outcome.QUEUED));
            assertEquals(128 * 4, outcomes.get(InputQueue.Outcome.MERGED));
            assertEquals(6_000 - 256 - 512, outcomes.get(InputQueue.Outcome.DROPPED));
            assertEquals(6_000 - 256 - 512, queue.dropped(), "each drop is counted");
            assertEquals(512, queue.merged());

            // A full queue still takes a release, so nothing stays held down in the page.
            InputEvent up = key(KeyAction.KEY_ACTION_UP, "S");
            assertEquals(InputQueue.Outcome.QUEUED, queue.offer(up));
            expected.add(up);
            assertEquals(InputQueue.Outcome.DROPPED, queue.offer(key(KeyAction.KEY_ACTION_DOWN, "X")));
            assertTrue(queue.pending() <= queue.capacity());

            browser.release.countDown();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> queue.pending() == 0);
            InputEvent later = key(KeyAction.KEY_ACTION_DOWN, "Enter");
            assertEquals(InputQueue.Outcome.QUEUED, queue.offer(later));
            expected.add(later);
            Awaitility.await("the later event lands").atMost(Duration.ofSeconds(10))
                    .until(() -> browser.injected.size() == 1 + expected.size());

            assertEquals(expected, browser.injected.subList(1, browser.injected.size()), "injected in order, as queued");
            assertEquals(move(4), browser.injected.get(1), "a burst of moves lands as its newest move");
        }
    }

    @Test
    void aMoveNeverJumpsOverAButtonOrAKey() throws Exception {
        StuckBrowser browser = new StuckBrowser();
        try (RunnerExecutors executors = RunnerExecutors.create()) {
            InputQueue queue = new InputQueue(browser::inject, executors.input());
            queue.offer(move(1));
            assertTrue(browser.firstArrived.await(5, TimeUnit.SECONDS));
            List<InputEvent> sent = List.of(move(2), button(PointerAction.POINTER_ACTION_DOWN), move(3),
                    key(KeyAction.KEY_ACTION_DOWN, "A"), move(4), button(PointerAction.POINTER_ACTION_UP), move(5));
            for (InputEvent e : sent) {
                assertEquals(InputQueue.Outcome.QUEUED, queue.offer(e), e.toString());
            }
            assertEquals(InputQueue.Outcome.MERGED, queue.offer(move(6)), "only a move right behind a move merges");
            browser.release.countDown();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> browser.injected.size() == 8);
            List<InputEvent> want = new ArrayList<>(List.of(move(1)));
            want.addAll(sent.subList(0, 6));
            want.add(move(6));
            assertEquals(want, browser.injected);
        }
    }

    @Test
    void otherWorkOnTheInputLaneWaitsForOneEventNotForTheWholeQueue() throws Exception {
        AtomicInteger injected = new AtomicInteger();
        try (RunnerExecutors executors = RunnerExecutors.create()) {
            InputQueue queue = new InputQueue(e -> {
                sleep(5);
                injected.incrementAndGet();
            }, executors.input());
            for (int i = 0; i < 100; i++) {
                queue.offer(key(KeyAction.KEY_ACTION_DOWN, "A"));
            }
            CountDownLatch ran = new CountDownLatch(1);
            AtomicInteger injectedBefore = new AtomicInteger();
            executors.input().execute(() -> {
                injectedBefore.set(injected.get());
                ran.countDown();
            });
            assertTrue(ran.await(5, TimeUnit.SECONDS));
            assertTrue(injectedBefore.get() < 10, "a capture waited behind " + injectedBefore.get() + " events");
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> injected.get() == 100);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
