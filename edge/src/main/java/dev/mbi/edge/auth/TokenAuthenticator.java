package dev.mbi.edge.auth;

import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;

/**
 * AUTH_MODE=token: each configured API token names a caller. Tokens are held as SHA-256 digests
 * and every one is compared, in constant time, whatever the bearer: how long an answer takes says
 * nothing about which token, or how much of one, was right.
 */
public final class TokenAuthenticator implements Authenticator {
    private record Entry(byte[] sha256, Caller caller) {
    }

    private final List<Entry> entries;

    public TokenAuthenticator(List<AccessConfig.ApiToken> tokens) {
        this.entries = tokens.stream().map(t -> new Entry(Tokens.sha256(t.token()), new Caller(t.name(), t.admin()))).toList();
    }

    @Override
    public Optional<Caller> authenticate(String bearer) {
        if (bearer == null || bearer.isEmpty()) {
            return Optional.empty();
        }
        byte[] presented = Tokens.sha256(bearer);
        Caller found = null;
        for (Entry e : entries) {
            if (MessageDigest.isEqual(presented, e.sha256()) && found == null) {
                found = e.caller();
            }
        }
        return Optional.ofNullable(found);
    }
}
