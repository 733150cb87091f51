package dev.mbi.edge.auth;

import java.util.Optional;

/**
 * Turns a bearer credential into a caller (AUTH_MODE picks the implementation: API tokens, or
 * OIDC JWTs). A session's own token is not a caller: the routes check it against the session.
 */
public interface Authenticator {
    /** The caller this bearer credential names, or empty when it names nobody (wrong, expired, ...). */
    Optional<Caller> authenticate(String bearer);
}
