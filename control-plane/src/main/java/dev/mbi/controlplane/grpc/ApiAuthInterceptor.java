package dev.mbi.controlplane.grpc;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthGrpc;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * The API port's door: every call must carry {@code authorization: Bearer <CONTROL_PLANE_TOKEN>},
 * or it is closed with UNAUTHENTICATED before it reaches a service. One exception: health checks
 * ({@code grpc.health.v1.Health}) that carry no credential at all, so that probes which cannot
 * send headers (Kubernetes' gRPC probes) work; a health check with a wrong token is refused like
 * any other call, so an edge's readiness also proves its token.
 */
public final class ApiAuthInterceptor implements ServerInterceptor {
    private static final Logger LOG = Logger.getLogger(ApiAuthInterceptor.class.getName());
    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final String BEARER = "bearer ";
    private static final String HEALTH = HealthGrpc.SERVICE_NAME + "/";
    /** At most one log line per this many ms about refused calls (a scanner must not flood the log). */
    private static final long LOG_EVERY_MS = 10_000;

    private final ApiToken token;
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong lastLoggedMs = new AtomicLong();

    public ApiAuthInterceptor(ApiToken token) {
        this.token = token;
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        String presented = headers.get(AUTHORIZATION);
        String method = call.getMethodDescriptor().getFullMethodName();
        if (presented == null && method.startsWith(HEALTH)) {
            return next.startCall(call, headers);
        }
        String problem = check(presented);
        if (problem == null) {
            return next.startCall(call, headers);
        }
        long n = refused.incrementAndGet();
        long now = System.currentTimeMillis();
        long last = lastLoggedMs.get();
        if (now - last >= LOG_EVERY_MS && lastLoggedMs.compareAndSet(last, now)) {
            LOG.warning("refused " + method + " from " + call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR) + ": "
                    + problem + " (" + n + " calls refused so far)");
        }
        call.close(Status.UNAUTHENTICATED.withDescription(problem
                + ": calls on the control plane's API port need 'authorization: Bearer <CONTROL_PLANE_TOKEN>'"), new Metadata());
        return new ServerCall.Listener<>() {
        };
    }

    /** Calls refused since start (no, or a wrong, credential). */
    public long refused() {
        return refused.get();
    }

    /** Why a presented credential is refused, or null when it is the token. Never says what the token is. */
    private String check(String presented) {
        if (presented == null) {
            return "no credential";
        }
        if (presented.length() <= BEARER.length() || !presented.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return "not a bearer credential";
        }
        return token.matches(presented.substring(BEARER.length()).strip()) ? null : "wrong token";
    }
}
