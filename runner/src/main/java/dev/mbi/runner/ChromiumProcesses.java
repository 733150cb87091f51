package dev.mbi.runner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Ends a session's Chromium whatever state it is in: its browser process, every helper process
 * working on its profile (even helpers left behind by a browser process that died first, which
 * are no longer its descendants), its sound server, and its work folder.
 */
final class ChromiumProcesses {
    private static final Logger LOG = Logger.getLogger(ChromiumProcesses.class.getName());
    /** How long the browser process may take to go after SIGKILL. */
    private static final long EXIT_WAIT_MS = 2_000;
    /** Dying helpers may still write to the profile: the folder is removed again until it is gone. */
    private static final int REMOVE_ATTEMPTS = 20;
    private static final long REMOVE_PAUSE_MS = 50;

    private ChromiumProcesses() {
    }

    /**
     * No graceful close: the profile is thrown away, and a user who ended the session expects
     * Chromium gone at once.
     */
    static void end(Process browser, Path workDir, Optional<PageAudio> audio) {
        List<ProcessHandle> doomed = new ArrayList<>(browser.descendants().toList());
        doomed.addAll(workingOn(workDir));
        browser.destroyForcibly();
        doomed.forEach(ProcessHandle::destroyForcibly);
        audio.ifPresent(PageAudio::close);
        try {
            browser.waitFor(EXIT_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        removeFolder(workDir);
    }

    /** Live processes whose command line names the folder (Chromium's helpers carry --user-data-dir). */
    static List<ProcessHandle> workingOn(Path folder) {
        String path = folder.toAbsolutePath().toString();
        return ProcessHandle.allProcesses()
                .filter(p -> p.pid() != ProcessHandle.current().pid())
                .filter(p -> commandLine(p.pid()).contains(path))
                .toList();
    }

    /** Removes a folder and everything in it, again if something wrote into it meanwhile. */
    static void removeFolder(Path folder) {
        for (int attempt = 1; folder != null && Files.exists(folder); attempt++) {
            removeOnce(folder);
            if (!Files.exists(folder)) {
                return;
            }
            if (attempt == REMOVE_ATTEMPTS) {
                LOG.warning("could not remove " + folder + ": something keeps writing into it");
                return;
            }
            try {
                Thread.sleep(REMOVE_PAUSE_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void removeOnce(Path folder) {
        try (Stream<Path> paths = Files.walk(folder)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | java.io.UncheckedIOException e) {
            // Something was removed or added while walking: the next attempt sees the rest.
        }
    }

    private static String commandLine(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")));
        } catch (IOException e) {
            return ""; // gone, or not ours to read
        }
    }
}
