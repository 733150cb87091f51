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

    @Test
    void jsonLinesCarryTheFieldsAPipelineIndexesAndStillNoCredential() throws Exception {
        PrintStream stderr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            LogLevel.configure("control-plane", "info", LogLevel.Format.JSON);
            Logger.getLogger("dev.mbi.controlplane.core.SessionRegistry").info(
                    "session 6f1c2d3e-aaaa-bbbb-cccc-0123456789ab: created for https://alice:hunter2@example.com/x");
            Logger.getLogger("some.library").log(Level.WARNING, "failed \"quoted\"\nsecond line",
                    new IllegalStateException("at http://bob:pa55word@example.org/"));
            for (Handler h : Logger.getLogger("").getHandlers()) {
                h.flush();
            }
        } finally {
            System.setErr(stderr);
            LogManager.getLogManager().readConfiguration();
        }
        String[] lines = captured.toString(StandardCharsets.UTF_8).strip().split("\n");
        org.junit.jupiter.api.Assertions.assertEquals(2, lines.length, String.join("\n", lines));
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var first = mapper.readTree(lines[0]);
        org.junit.jupiter.api.Assertions.assertEquals("control-plane", first.get("service").asText());
        org.junit.jupiter.api.Assertions.assertEquals("INFO", first.get("level").asText());
        org.junit.jupiter.api.Assertions.assertEquals("6f1c2d3e-aaaa-bbbb-cccc-0123456789ab", first.get("session").asText());
        org.junit.jupiter.api.Assertions.assertTrue(first.get("event").asText().endsWith("created for https://example.com/x"));
        org.junit.jupiter.api.Assertions.assertTrue(first.has("time") && first.has("host") && first.has("logger"));
        var second = mapper.readTree(lines[1]);
        org.junit.jupiter.api.Assertions.assertEquals("failed \"quoted\"\nsecond line", second.get("event").asText());
        org.junit.jupiter.api.Assertions.assertFalse(second.has("session"));
        org.junit.jupiter.api.Assertions.assertTrue(second.get("error").asText().contains("at http://example.org/"));
        String all = String.join("\n", lines);
        assertFalse(all.contains("hunter2") || all.contains("alice") || all.contains("pa55word"), all);
    }
}
