package dev.mbi.controlplane.grpc;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import dev.mbi.controlplane.core.SessionException;
import dev.mbi.proto.v1.LimitReason;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;

/** The one mapping from the session rules' refusals to gRPC status codes. */
final class GrpcErrors {
    /** The domain of the google.rpc.ErrorInfo that RESOURCE_EXHAUSTED statuses carry. */
    static final String DOMAIN = "mbi.dev";

    private GrpcErrors() {
    }

    static StatusRuntimeException toStatus(SessionException e) {
        if (e.reason() == SessionException.Reason.LIMIT_REACHED) {
            return limitReached(e.limit(), e.getMessage());
        }
        Status status = switch (e.reason()) {
            case NOT_FOUND -> Status.NOT_FOUND;
            case LIMIT_REACHED -> Status.RESOURCE_EXHAUSTED;
            case INVALID -> Status.INVALID_ARGUMENT;
            case REJECTED -> Status.PERMISSION_DENIED;
            case NOT_READY -> Status.FAILED_PRECONDITION;
            case RUNNER_UNREACHABLE -> Status.ABORTED;
            case RETURNING -> Status.UNAVAILABLE;
            case FORBIDDEN -> Status.PERMISSION_DENIED;
        };
        return status.withDescription(e.getMessage()).asRuntimeException();
    }

    /**
     * RESOURCE_EXHAUSTED whose details carry a google.rpc.ErrorInfo (domain {@value #DOMAIN},
     * reason the LimitReason's name), so that clients tell the limits apart without reading the message.
     */
    static StatusRuntimeException limitReached(LimitReason limit, String message) {
        return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                .setCode(Code.RESOURCE_EXHAUSTED_VALUE)
                .setMessage(message)
                .addDetails(Any.pack(ErrorInfo.newBuilder().setDomain(DOMAIN).setReason(limit.name()).build()))
                .build());
    }
}
