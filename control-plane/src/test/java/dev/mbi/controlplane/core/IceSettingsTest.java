package dev.mbi.controlplane.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class IceSettingsTest {
    @Test
    void restCredentialsAreCoturnsHmacOfExpiryAndSession() {
        // Cross-checked with Python's hmac module.
        assertEquals("g5HTmCBrPDhYXFpM/1dHUtfE+c4=", IceSettings.restCredential("north", "1700000000:abc"));

        IceSettings ice = new IceSettings("stun:stun.example.org:3478", true, "turn.example.org", 3478, "user", "password",
                "north", Duration.ofHours(1), false, 15);
        List<IceSettings.Server> servers = ice.serversFor("abc", Instant.ofEpochSecond(1_700_000_000L - 3600));
        assertEquals("stun:stun.example.org:3478", servers.get(0).urls().get(0));
        IceSettings.Server turn = servers.get(1);
        assertEquals("turn:turn.example.org:3478?transport=udp", turn.urls().get(0));
        assertEquals("1700000000:abc", turn.username());
        assertEquals("g5HTmCBrPDhYXFpM/1dHUtfE+c4=", turn.credential());
    }

    @Test
    void withoutASecretTheStaticCredentialsAreHandedOut() {
        IceSettings ice = new IceSettings("", true, "coturn", 3478, "user", "password", "", Duration.ofHours(1), false, 15);
        List<IceSettings.Server> servers = ice.serversFor("abc", Instant.now());
        assertEquals(1, servers.size());
        assertEquals("user", servers.get(0).username());
        assertEquals("password", servers.get(0).credential());
        assertTrue(IceSettings.none().serversFor("abc", Instant.now()).isEmpty());
    }
}
