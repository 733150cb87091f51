package dev.mbi.edge;

import dev.mbi.edge.auth.AccessConfig;
import dev.mbi.edge.auth.Authenticator;
import dev.mbi.edge.auth.Caller;
import dev.mbi.edge.auth.Tokens;
import dev.mbi.proto.v1.Session;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.webserver.http.ServerRequest;
import java.util.Optional;

/**
 * Who may do what, decided in one place for every route and the viewer WebSocket.
 *
 * <ul>
 *   <li>A user credential (an API token, or a JWT in OIDC mode) names a caller: they create
 *   sessions (owned by them), list theirs, and use theirs; an admin uses every session, the
 *   admin routes and (with METRICS_AUTH) /metrics.</li>
 *   <li>A session's own token (from its create answer) opens that session's routes and
 *   WebSocket, and nothing else.</li>
 *   <li>No credential: 401. Someone else's session, or a token that is not the session's: 404,
 *   the same as a session that does not exist.</li>
 * </ul>
 *
 * Credentials travel as {@code Authorization: Bearer <token>}; browser WebSockets, which cannot
 * set headers, send {@code ?token=<token>}.
 */
final class Access {
    /** Everyone, with AUTH_MODE=none. */
    static final Caller ANONYMOUS = new Caller("anonymous", true);

    /** A session someone may use, and who: a caller, or (empty) the holder of its own token. */
    record Grant(Session session, Optional<Caller> caller) {
        /** The key the caller's rate limits are kept under. */
        String rateKey() {
            return caller.map(c -> "user:" + c.name()).orElse("session:" + session.getSessionId());
        }
    }

    private final AccessConfig config;
    private final Authenticator authenticator;
    private final ControlPlaneClient controlPlane;
    private final EdgeMetrics metrics;

    /** @param authenticator null with AUTH_MODE=none */
    Access(AccessConfig config, Authenticator authenticator, ControlPlaneClient controlPlane, EdgeMetrics metrics) {
        this.metrics = metrics;
        this.config = config;
        this.authenticator = authenticator;
        this.controlPlane = controlPlane;
    }

    AccessConfig config() {
        return config;
    }

    private boolean open() {
        return authenticator == null;
    }

    static ApiException unauthorized() {
        return new ApiException(401, "authentication required: send Authorization: Bearer <token>")
                .header("WWW-Authenticate", "Bearer");
    }

    static ApiException notFound() {
        return new ApiException(404, "session not found");
    }

    /** The bearer token of a request's Authorization header. */
    static Optional<String> bearer(Headers headers) {
        return headers.first(HeaderNames.AUTHORIZATION).flatMap(v -> {
            String value = v.strip();
            if (value.length() > 7 && value.regionMatches(true, 0, "Bearer ", 0, 7)) {
                return Optional.of(value.substring(7).strip()).filter(t -> !t.isEmpty());
            }
            return Optional.empty();
        });
    }

    /** The header's bearer, else a {@code ?token=} (browser WebSockets only). */
    static Optional<String> bearerOrQueryToken(Headers headers, io.helidon.common.uri.UriQuery query) {
        return bearer(headers).or(() -> query.first("token").asOptional().filter(t -> !t.isBlank()));
    }

    /** The calling user; 401 without a user credential (a session's token is none). */
    Caller user(ServerRequest req) throws ApiException {
        return user(bearer(req.headers()));
    }

    Caller user(Optional<String> bearer) throws ApiException {
        if (open()) {
            return ANONYMOUS;
        }
        Optional<Caller> caller = bearer.flatMap(authenticator::authenticate);
        if (caller.isEmpty()) {
            metrics.authFailure();
            throw unauthorized();
        }
        return caller.get();
    }

    /** An administrator; 401 without a user credential, 403 for a user who is not one. */
    Caller admin(ServerRequest req) throws ApiException {
        Caller caller = user(req);
        if (!caller.admin()) {
            throw new ApiException(403, "administrators only");
        }
        return caller;
    }

    /** The session of a per-session route, if this credential may use it. */
    Grant session(ServerRequest req, String id) throws ApiException {
        return session(bearer(req.headers()), id);
    }

    Grant session(Optional<String> bearer, String id) throws ApiException {
        if (open()) {
            return new Grant(controlPlane.get(id), Optional.of(ANONYMOUS));
        }
        if (bearer.isEmpty()) {
            metrics.authFailure();
            throw unauthorized();
        }
        String presented = bearer.get();
        Optional<Caller> caller = authenticator.authenticate(presented);
        Session s = controlPlane.get(id);
        if (caller.isPresent()) {
            Caller c = caller.get();
            if (c.admin() || (!s.getOwner().isEmpty() && s.getOwner().equals(c.name()))) {
                return new Grant(s, caller);
            }
            throw notFound();
        }
        if (Tokens.matchesSha256Hex(presented, s.getSessionTokenSha256())) {
            return new Grant(s, Optional.empty());
        }
        metrics.authFailure(); // neither a user's token nor this session's
        throw notFound();
    }

    /**
     * Whether a WebSocket may be opened from this Origin: none (not a browser), one of
     * ALLOWED_ORIGINS, or, when that is unset, the edge's own origin (the one in the Host header).
     */
    boolean originAllowed(Headers headers) {
        Optional<String> origin = headers.first(HeaderNames.ORIGIN);
        if (origin.isEmpty()) {
            return true;
        }
        String normal = AccessConfig.normalOrigin(origin.get());
        if (normal == null) {
            return false;
        }
        if (!config.allowedOrigins().isEmpty()) {
            return config.allowedOrigins().contains(normal);
        }
        Optional<String> host = headers.first(HeaderNames.HOST);
        if (host.isEmpty()) {
            return false;
        }
        String scheme = normal.substring(0, normal.indexOf(':'));
        return normal.equals(AccessConfig.normalOrigin(scheme + "://" + host.get().strip()));
    }
}
