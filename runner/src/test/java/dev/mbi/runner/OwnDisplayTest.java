package dev.mbi.runner;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class OwnDisplayTest {
    @Test
    void theRunnersOwnXvfbEndsAndNothingElseDoes() throws Exception {
        Process xvfb = new ProcessBuilder("Xvfb", "-displayfd", "1", "-screen", "0", "320x240x24", "-nolisten", "tcp")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Process other = new ProcessBuilder("sleep", "30").start();
        try {
            assertTrue(xvfb.inputReader().readLine().matches("\\d+"), "Xvfb is up and says its display");
            assertFalse(OwnDisplay.end(String.valueOf(other.pid())), "a process that is no Xvfb is left alone");
            assertTrue(other.isAlive());
            assertFalse(OwnDisplay.end("not a number"));
            assertTrue(OwnDisplay.end(String.valueOf(xvfb.pid())));
            assertTrue(xvfb.waitFor(5, TimeUnit.SECONDS), "the runner's Xvfb ended");
        } finally {
            xvfb.destroyForcibly();
            other.destroyForcibly();
        }
    }
}
