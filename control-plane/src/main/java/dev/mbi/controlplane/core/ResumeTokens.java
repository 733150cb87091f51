package dev.mbi.controlplane.core;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;

/**
 * The tokens a runner presents when it dials again after losing its stream. Each is a JWT signed
 * (HS256) with the control plane's signing key, which outlives restarts, and binds what a control
 * plane needs to take the session back even when it has forgotten it: its id, owner, creation time,
 * start URL, the digest of its token, its own egress additions, its data policy and page options.
 * Tokens expire; every welcome hands out a fresh one.
 */
public final class ResumeTokens {
    /** The shortest signing key accepted, in bytes (HS256 needs 256 bits). */
    public static final int MIN_KEY_BYTES = 32;
    private static final String ISSUER = "mbi-control-plane";
    private static final String AUDIENCE = "mbi-runner-resume";

    /**
     * What a token says about its session.
     *
     * @param policy the session's data policy; empty in a token from before policies
     */
    public record Claims(String sessionId, String owner, Instant createdAt, String url, String sessionTokenSha256,
                         List<String> egressDenyHosts, Optional<DataPolicy> policy, PageOptions page) {
        public Claims {
            egressDenyHosts = List.copyOf(egressDenyHosts);
        }
    }

    private final MACSigner signer;
    private final MACVerifier verifier;
    private final Duration lifetime;
    private final Clock clock;

    /**
     * @param key      at least {@value #MIN_KEY_BYTES} bytes; the same on every start, or tokens from before a
     *                 restart are refused
     * @param lifetime how long a token is accepted after it was issued
     */
    public ResumeTokens(byte[] key, Duration lifetime, Clock clock) {
        if (key.length < MIN_KEY_BYTES) {
            throw new IllegalArgumentException("the signing key has " + key.length + " bytes; at least " + MIN_KEY_BYTES);
        }
        try {
            this.signer = new MACSigner(key);
            this.verifier = new MACVerifier(key);
        } catch (JOSEException e) {
            throw new IllegalArgumentException("unusable signing key: " + e.getMessage(), e);
        }
        this.lifetime = lifetime;
        this.clock = clock;
    }

    /** A key of its own for a control plane that was given none: tokens then survive stream losses, not restarts. */
    public static byte[] randomKey() {
        byte[] key = new byte[MIN_KEY_BYTES];
        new SecureRandom().nextBytes(key);
        return key;
    }

    /** The key from CONTROL_PLANE_SIGNING_KEY's text: its UTF-8 bytes, hashed when longer than needed is fine. */
    public static byte[] keyFromText(String text) {
        try {
            // Any text of enough entropy: SHA-256 gives a key of the right size whatever its length.
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    String issue(Claims c) {
        Instant now = clock.instant();
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(ISSUER)
                .audience(AUDIENCE)
                .subject(c.sessionId())
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(lifetime)))
                .claim("owner", c.owner())
                .claim("created_ms", c.createdAt().toEpochMilli())
                .claim("created_ns", c.createdAt().getNano())
                .claim("url", c.url())
                .claim("token_sha256", c.sessionTokenSha256())
                .claim("deny_hosts", c.egressDenyHosts())
                .claim("policy", c.policy().map(DataPolicy::toClaim).orElse(null))
                .claim("page", c.page().toClaim())
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("signing a resume token failed", e);
        }
        return jwt.serialize();
    }

    /**
     * The claims of a token this control plane (or one with the same key) issued for
     * {@code sessionId}, not expired; empty for anything else (forged, altered, expired, another
     * session's, or not a token at all).
     */
    Optional<Claims> verify(String token, String sessionId) {
        try {
            SignedJWT jwt = SignedJWT.parse(token);
            if (!JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm()) || !jwt.verify(verifier)) {
                return Optional.empty();
            }
            JWTClaimsSet c = jwt.getJWTClaimsSet();
            Date expires = c.getExpirationTime();
            if (!ISSUER.equals(c.getIssuer()) || c.getAudience() == null || !c.getAudience().contains(AUDIENCE)
                    || expires == null || !clock.instant().isBefore(expires.toInstant())
                    || !sessionId.equals(c.getSubject())) {
                return Optional.empty();
            }
            Instant created = Instant.ofEpochMilli(c.getLongClaim("created_ms"))
                    .plusNanos(c.getLongClaim("created_ns") % 1_000_000);
            List<String> deny = c.getStringListClaim("deny_hosts");
            return Optional.of(new Claims(sessionId, c.getStringClaim("owner"), created, c.getStringClaim("url"),
                    c.getStringClaim("token_sha256"), deny == null ? List.of() : deny,
                    DataPolicy.fromClaim(c.getClaim("policy")), PageOptions.fromClaim(c.getClaim("page"))));
        } catch (ParseException | JOSEException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
