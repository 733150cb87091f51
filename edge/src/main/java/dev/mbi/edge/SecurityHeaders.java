package dev.mbi.edge;

import dev.mbi.edge.auth.AccessConfig;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.http.WritableHeaders;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

/**
 * The headers every answer of the edge carries, set once for all routes (and on WebSocket
 * upgrades): nothing is stored by caches (answers name sessions and may carry tokens), the UI
 * may be framed only by ALLOWED_FRAME_ANCESTORS, types are not sniffed, and no address (which
 * may hold a token) leaks as a referrer.
 */
final class SecurityHeaders implements Filter {
    private final String csp;

    SecurityHeaders(AccessConfig config) {
        this.csp = csp(config);
    }

    private static String csp(AccessConfig config) {
        return "frame-ancestors " + config.frameAncestors();
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.header(HeaderNames.create("Content-Security-Policy"), csp);
        res.header(HeaderNames.X_CONTENT_TYPE_OPTIONS, "nosniff");
        res.header(HeaderNames.create("Referrer-Policy"), "no-referrer");
        chain.proceed();
    }

    /** The same headers for a WebSocket's 101 answer. */
    static Headers upgradeHeaders(AccessConfig config) {
        WritableHeaders<?> h = WritableHeaders.create();
        h.set(HeaderNames.CACHE_CONTROL, "no-store");
        h.set(HeaderNames.create("Content-Security-Policy"), csp(config));
        return h;
    }
}
