package dev.mbi.controlplane.grpc;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;

/**
 * The shared secret every call on the API port carries (CONTROL_PLANE_TOKEN). Only its SHA-256 is
 * kept, so comparing takes the same time whatever is presented; it never prints.
 */
public final class ApiToken {
    private final byte[] digest;

    private ApiToken(byte[] digest) {
        this.digest = digest;
    }

    public static ApiToken of(String token) {
        Objects.requireNonNull(token, "token");
        return new ApiToken(sha256(token));
    }

    /** Whether a presented token is this one, in constant time. */
    public boolean matches(String presented) {
        return presented != null && MessageDigest.isEqual(digest, sha256(presented));
    }

    static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "ApiToken[redacted]";
    }
}
