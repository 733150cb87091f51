package dev.mbi.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class RunnerExecutorsTest {

    @Test
    void closingWaitsForRunningWorkOnEveryExecutorAndLeavesNoThread() throws Exception {
        RunnerExecutors executors = RunnerExecutors.create(Duration.ofSeconds(10));
        Set<String> finished = ConcurrentHashMap.newKeySet();
        CountDownLatch started = new CountDownLatch(6);
        executors.timer().schedule(slow("timer", started, finished), 0, TimeUnit.MILLISECONDS);
        executors.input().execute(slow("input", started, finished));
        executors.frames().execute(slow("frames", started, finished));
        executors.navigation().execute(slow("navigation", started, finished));
        executors.signalling().execute(slow("signalling", started, finished));
        executors.tasks().execute(slow("tasks", started, finished));
        assertTrue(started.await(5, TimeUnit.SECONDS));
        assertFalse(RunnerThreads.alive().isEmpty(), "the thread dump shows the runner's threads");

        long t0 = System.nanoTime();
        RunnerThreads.closeAndAssertNoneLeft(executors);
        long tookMs = (System.nanoTime() - t0) / 1_000_000;

        assertEquals(Set.of("timer", "input", "frames", "navigation", "signalling", "tasks"), finished, "close waited for each");
        assertTrue(tookMs < 5_000, "no work outlasted the grace, yet close took " + tookMs + " ms");
    }

    @Test
    void serialLanesKeepArrivalOrderAndCloseFinishesWhatWasQueued() throws Exception {
        RunnerExecutors executors = RunnerExecutors.create();
        List<Executor> lanes = List.of(executors.input(), executors.frames(), executors.navigation(), executors.signalling());
        List<List<Integer>> done = new ArrayList<>();
        List<Set<Thread>> threads = new ArrayList<>();
        for (Executor lane : lanes) {
            List<Integer> laneDone = new CopyOnWriteArrayList<>();
            Set<Thread> laneThreads = ConcurrentHashMap.newKeySet();
            done.add(laneDone);
            threads.add(laneThreads);
            for (int i = 0; i < 50; i++) {
                int n = i;
                lane.execute(() -> {
                    laneThreads.add(Thread.currentThread());
                    if (n == 0) {
                        sleep(200); // the rest queue up behind the first
                    }
                    laneDone.add(n);
                });
            }
        }
        RunnerThreads.closeAndAssertNoneLeft(executors);
        for (int i = 0; i < lanes.size(); i++) {
            assertEquals(IntStream.range(0, 50).boxed().toList(), done.get(i), "queued work ran, in order");
            assertEquals(1, threads.get(i).size(), "one thread per lane");
            assertTrue(threads.get(i).iterator().next().isVirtual());
        }
    }

    @Test
    void workThatOutlastsTheGraceIsInterrupted() throws Exception {
        RunnerExecutors executors = RunnerExecutors.create(Duration.ofMillis(200));
        AtomicBoolean interrupted = new AtomicBoolean();
        CountDownLatch started = new CountDownLatch(1);
        executors.tasks().execute(() -> {
            started.countDown();
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                interrupted.set(true);
            }
        });
        assertTrue(started.await(5, TimeUnit.SECONDS));
        long t0 = System.nanoTime();
        RunnerThreads.closeAndAssertNoneLeft(executors);
        long tookMs = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(interrupted.get());
        assertTrue(tookMs >= 150 && tookMs < 5_000, "close took " + tookMs + " ms");
    }

    @Test
    void pendingTimersAreDroppedOnCloseAndCancelledOnesLeaveTheQueue() throws Exception {
        RunnerExecutors executors = RunnerExecutors.create();
        AtomicBoolean ran = new AtomicBoolean();
        ScheduledFuture<?> periodic = executors.timer().scheduleAtFixedRate(() -> { }, 1, 1, TimeUnit.HOURS);
        periodic.cancel(false);
        assertEquals(0, ((ScheduledThreadPoolExecutor) executors.timer()).getQueue().size());
        executors.timer().schedule(() -> ran.set(true), 30, TimeUnit.SECONDS);
        long t0 = System.nanoTime();
        RunnerThreads.closeAndAssertNoneLeft(executors);
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 1_000, "a delayed task does not hold up close");
        assertFalse(ran.get());
    }

    @Test
    void theTimerIsTwoPlatformDaemonThreadsSoASlowTaskDoesNotHoldUpTheNext() throws Exception {
        RunnerExecutors executors = RunnerExecutors.create();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch quickRan = new CountDownLatch(1);
        AtomicBoolean daemonPlatform = new AtomicBoolean();
        executors.timer().schedule(() -> await(release), 0, TimeUnit.MILLISECONDS);
        executors.timer().schedule(() -> {
            daemonPlatform.set(Thread.currentThread().isDaemon() && !Thread.currentThread().isVirtual());
            quickRan.countDown();
        }, 10, TimeUnit.MILLISECONDS);
        assertTrue(quickRan.await(5, TimeUnit.SECONDS), "a heartbeat is not stuck behind a slow report");
        assertTrue(daemonPlatform.get());
        release.countDown();
        RunnerThreads.closeAndAssertNoneLeft(executors);
    }

    private static Runnable slow(String name, CountDownLatch started, Set<String> finished) {
        return () -> {
            started.countDown();
            sleep(300);
            finished.add(name);
        };
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
