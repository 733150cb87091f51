package dev.mbi.edge;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** A request that fails with an HTTP status and a message for the client; the one error shape of the API. */
final class ApiException extends Exception {
    private final int status;
    private final java.util.Map<String, String> headers = new java.util.LinkedHashMap<>();

    ApiException(int status, String message) {
        super(message, null, false, false);
        this.status = status;
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
            case RESOURCE_EXHAUSTED -> new ApiException(503, "max concurrent sessions reached");
            case FAILED_PRECONDITION -> new ApiException(409, description);
            case ABORTED -> new ApiException(502, description.isEmpty() ? "runner unreachable" : description);
            case UNAVAILABLE, DEADLINE_EXCEEDED -> new ApiException(503,
                    "control plane unavailable at " + controlPlaneAddr + ": try again shortly");
            default -> new ApiException(502, "control plane error: " + s.getCode());
        };
    }
}
