package dev.mbi.runner;

import java.util.Optional;
import java.util.logging.Logger;

/**
 * The X server the process launcher started for this runner alone (the display capture). The
 * launcher ends it when the runner exits; a runner that outlived its control plane (it dials the
 * next one, and exits when none comes) ends it itself, or it would be left running.
 */
final class OwnDisplay {
    private static final Logger LOG = Logger.getLogger(OwnDisplay.class.getName());

    private OwnDisplay() {
    }

    /** Ends the X server named (its process id, as the launcher gave it) when this JVM exits; nothing for null. */
    static void endAtExit(String pid) {
        if (pid == null || pid.isBlank()) {
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> end(pid), "display"));
    }

    /**
     * Ends the process if it is an Xvfb; anything else (an id that is no number, a process that
     * has gone and whose id now names another) is left alone.
     *
     * @return whether an Xvfb was told to end
     */
    static boolean end(String pid) {
        Optional<ProcessHandle> server;
        try {
            server = ProcessHandle.of(Long.parseLong(pid.trim()));
        } catch (NumberFormatException e) {
            LOG.warning("the display server's process id is no number: " + pid);
            return false;
        }
        Optional<ProcessHandle> xvfb = server.filter(p -> p.info().command().map(c -> c.endsWith("/Xvfb") || c.equals("Xvfb")).orElse(false));
        xvfb.ifPresent(ProcessHandle::destroy);
        return xvfb.isPresent();
    }
}
