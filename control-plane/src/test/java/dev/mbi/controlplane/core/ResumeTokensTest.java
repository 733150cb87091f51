package dev.mbi.controlplane.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ResumeTokensTest {
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00.123456789Z");
    private static final byte[] KEY = ResumeTokens.keyFromText("resume-tokens-test-key-0123456789abcdef");
    private static final ResumeTokens.Claims CLAIMS = new ResumeTokens.Claims("s-1", "alice", T0, "https://example.com/",
            "ab".repeat(32), List.of("ads.example"));

    private static ResumeTokens at(Instant now) {
        return new ResumeTokens(KEY, Duration.ofHours(24), Clock.fixed(now, ZoneOffset.UTC));
    }

    @Test
    void aTokenGivesBackEveryClaimUntilItExpires() {
        String token = at(T0).issue(CLAIMS);
        assertEquals(Optional.of(CLAIMS), at(T0.plus(Duration.ofHours(23))).verify(token, "s-1"));
        assertEquals(Optional.empty(), at(T0.plus(Duration.ofHours(24))).verify(token, "s-1"), "expired");
        assertEquals(Optional.empty(), at(T0).verify(token, "s-2"), "another session's");
        ResumeTokens otherKey = new ResumeTokens(ResumeTokens.keyFromText("another-key-0123456789abcdefghijklmn"),
                Duration.ofHours(24), Clock.fixed(T0, ZoneOffset.UTC));
        assertEquals(Optional.empty(), otherKey.verify(token, "s-1"), "signed with another key");
    }

    @Test
    void anUnsignedOrReSignedTokenIsRefused() {
        String token = at(T0).issue(CLAIMS);
        String[] parts = token.split("\\.");
        // alg=none with the same claims, and no signature.
        String none = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"none\"}".getBytes()) + "." + parts[1] + ".";
        assertEquals(Optional.empty(), at(T0).verify(none, "s-1"));
        // Claims changed (another owner) under the old signature.
        String otherOwner = at(T0).issue(new ResumeTokens.Claims("s-1", "mallory", T0, CLAIMS.url(), CLAIMS.sessionTokenSha256(),
                List.of())).split("\\.")[1];
        assertEquals(Optional.empty(), at(T0).verify(parts[0] + "." + otherOwner + "." + parts[2], "s-1"));
        assertEquals(Optional.empty(), at(T0).verify("", "s-1"));
        assertEquals(Optional.empty(), at(T0).verify("a.b.c", "s-1"));
    }

    @Test
    void keysAreAtLeast256Bits() {
        assertThrows(IllegalArgumentException.class, () -> new ResumeTokens(new byte[16], Duration.ofHours(1), Clock.systemUTC()));
        assertEquals(32, ResumeTokens.randomKey().length);
        assertTrue(!java.util.Arrays.equals(ResumeTokens.randomKey(), ResumeTokens.randomKey()));
    }
}
