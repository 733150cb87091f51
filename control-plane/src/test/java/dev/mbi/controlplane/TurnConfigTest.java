package dev.mbi.controlplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.controlplane.core.IceSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With TURN_ENABLED=true, no empty, default, example or short TURN credential gets past the start. */
class TurnConfigTest {
    private static final String GOOD_SECRET = "9f2c4e7a1b3d5f60718293a4b5c6d7e8";

    private static ControlPlaneConfig read(Map<String, String> values) {
        return ConfigFixture.read(values);
    }

    private static String refusal(Map<String, String> values) {
        Map<String, String> env = new HashMap<>(values);
        env.put("TURN_ENABLED", "true");
        return assertThrows(IllegalArgumentException.class, () -> read(env)).getMessage();
    }

    @Test
    void turnWithNoCredentialAtAllStopsTheControlPlane() {
        String m = refusal(Map.of());
        assertTrue(m.contains("control plane cannot start"), m);
        assertTrue(m.contains("TURN_ENABLED=true needs TURN_SECRET"), m);
        // The old defaults are no defaults any more: user/password was an open relay.
        assertTrue(refusal(Map.of("TURN_USERNAME", "user")).contains("TURN_ENABLED=true needs TURN_SECRET"));
        assertTrue(refusal(Map.of("TURN_CREDENTIAL", "s0me-long-random-credential")).contains("needs TURN_SECRET"));
        assertTrue(refusal(Map.of("TURN_SECRET", " ")).contains("needs TURN_SECRET"));
    }

    @Test
    void wellKnownOrShortSecretsAreRefusedWithoutBeingShown() {
        for (String secret : List.of("change-me", "CHANGE_ME", "changeme", "secret", "north", "password",
                "change-me-change-me")) {
            String m = refusal(Map.of("TURN_SECRET", secret));
            assertTrue(m.contains("TURN_SECRET is a well-known default") || m.contains("TURN_SECRET is too weak"), m);
        }
        for (String secret : List.of("short", "0123456789abcde", "aaaaaaaaaaaaaaaaaaaaaaaa")) {
            String m = refusal(Map.of("TURN_SECRET", secret));
            assertTrue(m.contains("TURN_SECRET is too weak: use at least 16"), m);
            assertFalse(m.contains(secret), "the secret is shown: " + m);
        }
        assertTrue(refusal(Map.of("TURN_SECRET", "change-me")).contains("TURN_SECRET is a well-known default"));
    }

    @Test
    void defaultOrEmptyStaticCredentialsAreRefused() {
        for (String credential : List.of("password", "Password", "user", "change-me", "secret", "123456")) {
            String m = refusal(Map.of("TURN_USERNAME", "mbi-relay", "TURN_CREDENTIAL", credential));
            assertTrue(m.contains("TURN_CREDENTIAL is a well-known default"), m);
            assertFalse(m.contains("=" + credential), "the credential is shown: " + m);
        }
        assertTrue(refusal(Map.of("TURN_USERNAME", "relay-user-7", "TURN_CREDENTIAL", "relay-user-7"))
                .contains("TURN_CREDENTIAL is the same as TURN_USERNAME"));
        assertTrue(refusal(Map.of("TURN_USERNAME", "", "TURN_CREDENTIAL", "Xk3v9Qm2Lr8t")).contains("needs TURN_SECRET"));
    }

    @Test
    void aProperSecretOrStaticCredentialIsAcceptedAndNeverShownByTheConfiguration(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("turn-secret"), GOOD_SECRET + "\n");
        IceSettings fromFile = read(Map.of("TURN_ENABLED", "true", "TURN_SECRET_FILE", file.toString())).ice();
        assertEquals(GOOD_SECRET, fromFile.turnSecret());
        IceSettings.Server server = fromFile.serversFor("abc", Instant.now()).getFirst();
        assertTrue(server.username().endsWith(":abc"), server.username());

        ControlPlaneConfig config = read(Map.of("TURN_ENABLED", "true", "TURN_USERNAME", "mbi-relay",
                "TURN_CREDENTIAL", "Xk3v9Qm2Lr8tPz"));
        assertEquals("Xk3v9Qm2Lr8tPz", config.ice().serversFor("abc", Instant.now()).getFirst().credential());
        assertFalse(config.toString().contains("Xk3v9Qm2Lr8tPz"), config.toString());
        assertFalse(read(Map.of("TURN_ENABLED", "true", "TURN_SECRET", GOOD_SECRET)).toString().contains(GOOD_SECRET));
    }

    @Test
    void aSecretFileThatCannotBeReadIsNamedOnceAndTurnOffChecksNothing(@TempDir Path dir) {
        String m = refusal(Map.of("TURN_SECRET_FILE", dir.resolve("missing").toString()));
        assertTrue(m.contains("TURN_SECRET_FILE=" + dir.resolve("missing") + ": no such file"), m);
        assertFalse(m.contains("needs TURN_SECRET"), "one message for one mistake: " + m);
        String both = refusal(Map.of("TURN_SECRET", GOOD_SECRET, "TURN_SECRET_FILE", dir.resolve("x").toString()));
        assertTrue(both.contains("TURN_SECRET and TURN_SECRET_FILE are both set"), both);
        assertFalse(both.contains(GOOD_SECRET), both);
        // Without TURN nothing is handed out, so nothing is checked (but a bad file is still a bad file).
        assertFalse(read(Map.of("TURN_SECRET", "change-me")).ice().turnEnabled());
    }
}
