package dev.mbi.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ProcessStatsTest {
    @Test
    void aRootThatIsAlsoADescendantIsCountedOnce() throws Exception {
        Process child = new ProcessBuilder("sleep", "30").start();
        try {
            long self = ProcessHandle.current().pid();
            ProcessStats stats = new ProcessStats(List.of(self, child.pid()));
            var pids = stats.pidsOfTree();
            assertTrue(pids.contains(child.pid()));
            assertEquals(pids.size(), pids.stream().distinct().count());
            assertEquals(new ProcessStats(List.of(self)).pidsOfTree(), pids, "the child is in the runner's tree already");
        } finally {
            child.destroyForcibly();
            child.waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aProcessNamedTwiceIsNotCountedTwice() throws Exception {
        long self = ProcessHandle.current().pid();
        ProcessStats once = new ProcessStats(List.of(self));
        ProcessStats twice = new ProcessStats(List.of(self, self));
        once.sample();
        twice.sample();
        long end = System.nanoTime() + 300_000_000L;
        long spin = 0;
        while (System.nanoTime() < end) {
            spin++;
        }
        double a = once.sample().cpuPercent();
        double b = twice.sample().cpuPercent();
        assertTrue(spin > 0 && a > 20, "a busy thread shows: " + a + " %");
        assertTrue(Math.abs(a - b) < a * 0.25 + 5, "the same window, the same processes: " + a + " % vs " + b + " %");
    }
}
