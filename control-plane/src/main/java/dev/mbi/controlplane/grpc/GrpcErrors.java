package dev.mbi.controlplane.grpc;

import dev.mbi.controlplane.core.SessionException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** The one mapping from the session rules' refusals to gRPC status codes. */
final class GrpcErrors {
    private GrpcErrors() {
    }

    static StatusRuntimeException toStatus(SessionException e) {
        Status status = switch (e.reason()) {
            case NOT_FOUND -> Status.NOT_FOUND;
            case LIMIT_REACHED -> Status.RESOURCE_EXHAUSTED;
            case INVALID -> Status.INVALID_ARGUMENT;
            case REJECTED -> Status.PERMISSION_DENIED;
            case NOT_READY -> Status.FAILED_PRECONDITION;
            case RUNNER_UNREACHABLE -> Status.ABORTED;
        };
        return status.withDescription(e.getMessage()).asRuntimeException();
    }
}
