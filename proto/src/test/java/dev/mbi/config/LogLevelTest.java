package dev.mbi.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class LogLevelTest {
    @Test
    void credentialsInsideUrlsNeverReachTheLogWhoeverWroteTheLine() throws Exception {
        PrintStream stderr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            LogLevel.configure("test", "info");
            Logger.getLogger("some.library").log(Level.WARNING, "could not open https://alice:hunter2@example.com/x",
                    new IllegalStateException("net::ERR_FAILED at http://bob:pa55word@example.org/"));
            for (Handler h : Logger.getLogger("").getHandlers()) {
                h.flush();
            }
        } finally {
            System.setErr(stderr);
            LogManager.getLogManager().readConfiguration();
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("test WARNING library: could not open https://example.com/x"), log);
        assertTrue(log.contains("net::ERR_FAILED at http://example.org/"), log);
        assertFalse(log.contains("hunter2") || log.contains("alice") || log.contains("pa55word"), log);
    }
}
