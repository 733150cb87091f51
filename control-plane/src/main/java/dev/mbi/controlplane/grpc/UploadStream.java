package dev.mbi.controlplane.grpc;

import dev.mbi.controlplane.core.DataPaths;
import dev.mbi.controlplane.core.SessionException;
import dev.mbi.controlplane.core.SessionRegistry;
import dev.mbi.proto.v1.UploadDone;
import dev.mbi.proto.v1.UploadRequest;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

/** SessionService.Upload: a start naming the session and file chooser, then the files' pieces, then the runner's answer. */
final class UploadStream implements StreamObserver<UploadRequest> {
    private final SessionRegistry registry;
    private final StreamObserver<UploadDone> responses;
    private DataPaths.Upload upload;
    private boolean failed;

    UploadStream(SessionRegistry registry, StreamObserver<UploadDone> responses) {
        this.registry = registry;
        this.responses = responses;
    }

    @Override
    public synchronized void onNext(UploadRequest request) {
        if (failed) {
            return;
        }
        try {
            switch (request.getKindCase()) {
                case START -> {
                    if (upload == null) {
                        upload = registry.upload(request.getStart().getSessionId(), request.getStart().getChooserId());
                    }
                }
                case PIECE -> {
                    if (upload == null) {
                        throw new SessionException(SessionException.Reason.INVALID, "an upload starts with start");
                    }
                    upload.piece(request.getPiece());
                }
                case KIND_NOT_SET -> {
                }
            }
        } catch (SessionException e) {
            failed = true;
            responses.onError(GrpcErrors.toStatus(e));
        }
    }

    @Override
    public synchronized void onError(Throwable t) {
        failed = true;
    }

    @Override
    public synchronized void onCompleted() {
        if (failed) {
            return;
        }
        if (upload == null) {
            responses.onError(Status.INVALID_ARGUMENT.withDescription("an upload starts with start").asRuntimeException());
            return;
        }
        upload.finish().whenComplete((done, failure) -> {
            if (failure != null) {
                responses.onError(Status.ABORTED.withDescription("the runner did not take the files in time").asRuntimeException());
            } else if (!done.getError().isEmpty()) {
                responses.onError(Status.FAILED_PRECONDITION.withDescription(done.getError()).asRuntimeException());
            } else {
                responses.onNext(done);
                responses.onCompleted();
            }
        });
    }
}
