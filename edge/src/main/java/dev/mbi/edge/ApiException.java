package dev.mbi.edge;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import dev.mbi.proto.v1.LimitReason;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;

/** A request that fails with an HTTP status and a message for the client; the one error shape of the API. */
final class ApiException extends Exception {
    /** The domain of the google.rpc.ErrorInfo the control plane puts in RESOURCE_EXHAUSTED statuses. */
    static final String LIMIT_DOMAIN = "mbi.dev";

    private final int status;
    private final java.util.Map<String, String> headers = new java.util.LinkedHashMap<>();
    private final LimitReason limit;

    ApiException(int status, String message) {
        this(status, message, LimitReason.LIMIT_REASON_UNSPECIFIED);
    }

    ApiException(int status, String message, LimitReason limit) {
        super(message, null, false, false);
        this.status = status;
        this.limit = limit;
    }

    int status() {
        return status;
    }

    /** A header to send with the error (Retry-After, WWW-Authenticate). */
    ApiException header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    java.util.Map<String, String> headers() {
        return headers;
    }

    /** Which of the control plane's limits refused the request (read from its typed reason), or UNSPECIFIED. */
    LimitReason limit() {
        return limit;
    }

    static ApiException badRequest(String message) {
        return new ApiException(400, message);
    }

    /** The one mapping from the control plane's gRPC codes to HTTP. */
    static ApiException from(StatusRuntimeException e, String controlPlaneAddr) {
        Status s = e.getStatus();
        String description = s.getDescription() == null ? "" : s.getDescription();
        return switch (s.getCode()) {
            case NOT_FOUND -> new ApiException(404, description.isEmpty() ? "session not found" : description);
            case INVALID_ARGUMENT -> new ApiException(400, description);
            case RESOURCE_EXHAUSTED -> {
                LimitReason limit = limitOf(e);
                yield new ApiException(503, limit == LimitReason.LIMIT_REASON_MAX_SESSIONS ? "max concurrent sessions reached"
                        : description.isEmpty() ? "a limit of the control plane was reached" : description, limit);
            }
            case FAILED_PRECONDITION -> new ApiException(409, description);
            // The session's policy refused it (e.g. uploads are off).
            case PERMISSION_DENIED -> new ApiException(403, description);
            case ABORTED -> new ApiException(502, description.isEmpty() ? "runner unreachable" : description);
            case UNAVAILABLE, DEADLINE_EXCEEDED -> new ApiException(503,
                    "control plane unavailable at " + controlPlaneAddr + ": try again shortly");
            case UNAUTHENTICATED -> new ApiException(503, "the control plane at " + controlPlaneAddr
                    + " refused this edge's credentials: its CONTROL_PLANE_TOKEN must be the control plane's");
            default -> new ApiException(502, "control plane error: " + s.getCode());
        };
    }

    /** The LimitReason in the status's google.rpc.ErrorInfo (domain {@value #LIMIT_DOMAIN}); UNSPECIFIED when there is none. */
    static LimitReason limitOf(StatusRuntimeException e) {
        com.google.rpc.Status details = StatusProto.fromThrowable(e);
        if (details == null) {
            return LimitReason.LIMIT_REASON_UNSPECIFIED;
        }
        for (Any any : details.getDetailsList()) {
            if (any.is(ErrorInfo.class)) {
                try {
                    ErrorInfo info = any.unpack(ErrorInfo.class);
                    if (LIMIT_DOMAIN.equals(info.getDomain())) {
                        for (LimitReason r : LimitReason.values()) {
                            if (r != LimitReason.UNRECOGNIZED && r.name().equals(info.getReason())) {
                                return r;
                            }
                        }
                    }
                } catch (InvalidProtocolBufferException malformed) {
                    // not a reason we can read
                }
            }
        }
        return LimitReason.LIMIT_REASON_UNSPECIFIED;
    }
}
