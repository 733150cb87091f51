package dev.mbi.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    // ------------------------------------------------------------------ secrets

    private static final String VALUE = "s3cr3t-value-never-printed";

    @Test
    void aSecretComesFromItsVariableOrTrimmedFromTheFileItsFileVariableNames(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("turn"), "  " + VALUE + "\n");
        Env fromFile = new Env(Map.of("TURN_SECRET_FILE", file.toString()));
        assertTrue(fromFile.hasSecret("TURN_SECRET"));
        assertEquals(VALUE, fromFile.secret("TURN_SECRET"));
        fromFile.requireValid("control plane");

        Env direct = new Env(Map.of("TURN_SECRET", " " + VALUE + " ", "TURN_SECRET_FILE", " "));
        assertEquals(VALUE, direct.secret("TURN_SECRET"));
        direct.requireValid("control plane");

        Env neither = new Env(Map.of("TURN_SECRET", ""));
        assertFalse(neither.hasSecret("TURN_SECRET"));
        assertEquals("", neither.secret("TURN_SECRET"));
        neither.requireValid("control plane");
    }

    @Test
    void bothWaysAtOnceOrAnUnusableFileIsAProblemNamingTheVariableButNeverTheValue(@TempDir Path dir) throws Exception {
        Path good = Files.writeString(dir.resolve("good"), VALUE);
        Path empty = Files.writeString(dir.resolve("empty"), " \n");
        Path binary = Files.write(dir.resolve("binary"), new byte[] {(byte) 0xff, (byte) 0xfe, 'x'});
        Path huge = Files.writeString(dir.resolve("huge"), "x".repeat(Env.MAX_SECRET_FILE_BYTES + 1), StandardCharsets.UTF_8);
        Path unreadable = Files.writeString(dir.resolve("unreadable"), VALUE);
        boolean canRevoke = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
        if (canRevoke) {
            Files.setPosixFilePermissions(unreadable, PosixFilePermissions.fromString("---------"));
        }
        Env env = new Env(Map.of(
                "TURN_SECRET", VALUE, "TURN_SECRET_FILE", good.toString(),
                "TURN_CREDENTIAL_FILE", dir.resolve("missing").toString(),
                "API_TOKENS_FILE", empty.toString(),
                "ADMIN_TOKENS_FILE", dir.toString(),
                "CONTROL_PLANE_TOKEN_FILE", binary.toString(),
                "A_FILE", huge.toString(),
                "B_FILE", unreadable.toString()));
        for (String name : new String[] {"TURN_SECRET", "TURN_CREDENTIAL", "API_TOKENS", "ADMIN_TOKENS", "CONTROL_PLANE_TOKEN", "A"}) {
            assertEquals("", env.secret(name), name);
            assertTrue(env.hasSecret(name), name);
        }
        String b = env.secret("B");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> env.requireValid("control plane"));
        String m = e.getMessage();
        for (String expected : new String[] {
            "TURN_SECRET and TURN_SECRET_FILE are both set",
            "TURN_CREDENTIAL_FILE=" + dir.resolve("missing") + ": no such file",
            "API_TOKENS_FILE=" + empty + ": the file is empty",
            "ADMIN_TOKENS_FILE=" + dir + ": cannot be read",
            "CONTROL_PLANE_TOKEN_FILE=" + binary + ": not UTF-8 text",
            "A_FILE=" + huge + ": larger than 64 KiB"}) {
            assertTrue(m.contains(expected), "missing '" + expected + "' in:\n" + m);
        }
        // Root reads any file: the permission check holds only for other users.
        if (canRevoke && !Files.isReadable(unreadable)) {
            assertEquals("", b);
            assertTrue(m.contains("B_FILE=" + unreadable + ": permission denied"), m);
        }
        assertFalse(m.contains(VALUE), "a secret leaked into the message:\n" + m);
    }
}
