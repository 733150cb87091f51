package dev.mbi.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvTest {
    @Test
    void parsesGoStyleDurationsAndPlainSeconds() {
        assertEquals(Duration.ofMinutes(30), Env.parseDuration("30m"));
        assertEquals(Duration.ofSeconds(90), Env.parseDuration("90"));
        assertEquals(Duration.ofMinutes(90), Env.parseDuration("1h30m"));
        assertEquals(Duration.ofMillis(250), Env.parseDuration("250ms"));
        assertEquals(Duration.ofMillis(1500), Env.parseDuration("1.5s"));
        assertNull(Env.parseDuration("soon"));
        assertNull(Env.parseDuration("5 m"));
        assertNull(Env.parseDuration("m5"));
    }

    @Test
    void reportsEveryBadValueAtOnceNamingTheVariable() {
        Env env = new Env(Map.of("PORT", "http", "MAX_SESSIONS", "0", "SESSION_TIMEOUT", "later", "TURN_ENABLED", "maybe"));
        assertEquals(8090, env.integer("PORT", 8090, 1, 65535));
        assertEquals(10, env.integer("MAX_SESSIONS", 10, 1, 10_000));
        assertEquals(Duration.ofMinutes(30), env.duration("SESSION_TIMEOUT", Duration.ofMinutes(30), Duration.ofSeconds(1)));
        env.bool("TURN_ENABLED", false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> env.requireValid("edge"));
        for (String name : new String[] {"PORT=http", "MAX_SESSIONS=0", "SESSION_TIMEOUT=later", "TURN_ENABLED=maybe"}) {
            assertTrue(e.getMessage().contains(name), e.getMessage());
        }
    }

    @Test
    void blankMeansDefault() {
        Env env = new Env(Map.of("PORT", " "));
        assertEquals(8090, env.integer("PORT", 8090, 1, 65535));
        env.requireValid("edge");
    }
}
