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
            "ab".repeat(32), List.of("ads.example"),
            Optional.of(new DataPolicy(DataPolicy.Clipboard.TO_LOCAL, false, true, false, true, false, 4096)),
            new PageOptions(390, 844, "MbiTest/1.0", "de-DE", "Asia/Tokyo"));

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
                List.of(), CLAIMS.policy(), CLAIMS.page())).split("\\.")[1];
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

    @Test
    void aTokenFromBeforePoliciesHasNoneAndAPolicyIsNeverWidenedByTodaysDefaults() throws Exception {
        // A token as an older control plane issued it: no policy, no page options.
        com.nimbusds.jwt.JWTClaimsSet old = new com.nimbusds.jwt.JWTClaimsSet.Builder().issuer("mbi-control-plane")
                .audience("mbi-runner-resume").subject("s-1").expirationTime(java.util.Date.from(T0.plusSeconds(60)))
                .claim("owner", "alice").claim("created_ms", T0.toEpochMilli()).claim("created_ns", 0L)
                .claim("url", "https://example.com/").claim("token_sha256", "ab".repeat(32)).build();
        com.nimbusds.jwt.SignedJWT jwt = new com.nimbusds.jwt.SignedJWT(
                new com.nimbusds.jose.JWSHeader(com.nimbusds.jose.JWSAlgorithm.HS256), old);
        jwt.sign(new com.nimbusds.jose.crypto.MACSigner(KEY));
        ResumeTokens.Claims c = at(T0).verify(jwt.serialize(), "s-1").orElseThrow();
        assertEquals(Optional.empty(), c.policy());
        assertEquals(PageOptions.DEFAULT, c.page());

        DataPolicy own = CLAIMS.policy().orElseThrow();
        DataPolicy tighterToday = new DataPolicy(DataPolicy.Clipboard.TO_REMOTE, true, false, true, true, true, 1024);
        assertEquals(new DataPolicy(DataPolicy.Clipboard.NONE, false, false, false, true, false, 1024), own.intersect(tighterToday));
        assertEquals(own, own.intersect(DataPolicy.OPEN));
    }
}
