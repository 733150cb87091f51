package dev.mbi.runner;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The runner's threads alive in this JVM, virtual ones included, as a thread dump lists them. */
final class RunnerThreads {
    private static final Pattern NAME = Pattern.compile("\"name\": \"([^\"]*)\"");

    private RunnerThreads() {
    }

    /** Names of live threads named like the runner's ({@link RunnerExecutors#THREAD_PREFIX}). */
    static List<String> alive() throws IOException {
        Path dir = Files.createTempDirectory("runner-threads");
        Path dump = dir.resolve("threads.json");
        try {
            ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                    .dumpThreads(dump.toString(), HotSpotDiagnosticMXBean.ThreadDumpFormat.JSON);
            List<String> names = new ArrayList<>();
            Matcher m = NAME.matcher(Files.readString(dump));
            while (m.find()) {
                if (m.group(1).startsWith(RunnerExecutors.THREAD_PREFIX)) {
                    names.add(m.group(1));
                }
            }
            return names;
        } finally {
            Files.deleteIfExists(dump);
            Files.delete(dir);
        }
    }

    /**
     * Closes the executors and asserts that nothing of theirs is left running: every thread they
     * made has ended (a thread may outlive its last task by a moment, hence the join).
     */
    static void closeAndAssertNoneLeft(RunnerExecutors executors) throws Exception {
        List<Thread> made = executors.liveThreads();
        executors.close();
        for (Thread t : made) {
            if (!t.join(java.time.Duration.ofSeconds(2))) {
                throw new AssertionError(t + " still runs after the executors closed");
            }
        }
        if (!executors.liveThreads().isEmpty()) {
            throw new AssertionError("still running: " + executors.liveThreads());
        }
        List<String> left = alive();
        if (!left.isEmpty()) {
            throw new AssertionError("runner threads left: " + left);
        }
    }
}
