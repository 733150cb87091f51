package dev.mbi.runner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * CPU and memory of a process tree (the runner plus its Chromium), read from /proc.
 * CPU is the share of one core used since the previous sample, in percent. Memory is the
 * proportional set size (shared pages split among the processes sharing them), so Chromium's
 * many processes are not counted several times over.
 */
final class ProcessStats {
    private static final double CLOCK_TICKS = 100.0;
    private static final long PAGE_SIZE = 4096;

    private final List<Long> roots;
    private long lastTicks = -1;
    private long lastNanos;

    record Sample(double cpuPercent, double memMb) {
    }

    ProcessStats(List<Long> rootPids) {
        this.roots = List.copyOf(rootPids);
    }

    synchronized Sample sample() {
        long ticks = 0;
        long rssBytes = 0;
        for (long pid : pidsOfTree()) {
            long[] stat = readStat(pid);
            if (stat != null) {
                ticks += stat[0];
                long pssKb = readPssKb(pid);
                rssBytes += pssKb >= 0 ? pssKb * 1024 : stat[1] * PAGE_SIZE;
            }
        }
        long now = System.nanoTime();
        double cpu = 0;
        if (lastTicks >= 0 && now > lastNanos) {
            cpu = (ticks - lastTicks) / CLOCK_TICKS / ((now - lastNanos) / 1e9) * 100.0;
        }
        lastTicks = ticks;
        lastNanos = now;
        return new Sample(Math.max(0, cpu), rssBytes / (1024.0 * 1024.0));
    }

    /** Every process of the trees once: Chromium, a root of its own, is also a descendant of the runner. */
    java.util.Set<Long> pidsOfTree() {
        java.util.Set<Long> pids = new java.util.LinkedHashSet<>();
        for (long root : roots) {
            ProcessHandle.of(root).ifPresent(h -> {
                pids.add(h.pid());
                h.descendants().forEach(d -> pids.add(d.pid()));
            });
        }
        return pids;
    }

    /** @return the process's proportional set size in KiB, or -1 when the kernel does not say */
    private static long readPssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup"))) {
                if (line.startsWith("Pss:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or the process is gone
        }
        return -1;
    }

    /** @return {utime + stime in ticks, rss in pages}, or null if the process is gone */
    private static long[] readStat(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // The command name may contain spaces; the fields we need come after its closing parenthesis.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return new long[] {Long.parseLong(f[11]) + Long.parseLong(f[12]), Long.parseLong(f[21])};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
