package dev.mbi.controlplane.grpc;

import dev.mbi.controlplane.core.DataPaths;
import dev.mbi.controlplane.core.SessionException;
import dev.mbi.controlplane.core.SessionRegistry;
import dev.mbi.proto.v1.FileChunk;
import dev.mbi.proto.v1.ReadDownloadRequest;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/**
 * SessionService.ReadDownload: the runner's pieces of one file, passed on as the edge takes them.
 * A piece the edge has taken (its stream is ready again) is granted back to the runner, so at most
 * a window of pieces is ever on its way, whatever the file's size.
 */
final class DownloadStream {
    private DownloadStream() {
    }

    static void serve(SessionRegistry registry, ReadDownloadRequest request, StreamObserver<FileChunk> responses) {
        ServerCallStreamObserver<FileChunk> call = (ServerCallStreamObserver<FileChunk>) responses;
        Object lock = new Object();
        int[] owed = {0};
        DataPaths.ReadHandle[] handle = {null};
        call.setOnReadyHandler(() -> {
            int grant;
            synchronized (lock) {
                grant = owed[0];
                owed[0] = 0;
            }
            if (grant > 0 && handle[0] != null) {
                handle[0].credit(grant);
            }
        });
        call.setOnCancelHandler(() -> {
            if (handle[0] != null) {
                handle[0].cancel();
            }
        });
        try {
            handle[0] = registry.readDownload(request.getSessionId(), request.getDownloadId(), chunk -> {
                synchronized (lock) {
                    if (call.isCancelled()) {
                        return;
                    }
                    if (!chunk.getError().isEmpty()) {
                        call.onError(Status.FAILED_PRECONDITION.withDescription(chunk.getError()).asRuntimeException());
                        return;
                    }
                    call.onNext(chunk);
                    if (chunk.getLast()) {
                        call.onCompleted();
                        return;
                    }
                    owed[0]++;
                }
                // Granted at once while the edge keeps up; otherwise when it is ready again.
                if (call.isReady()) {
                    int grant;
                    synchronized (lock) {
                        grant = owed[0];
                        owed[0] = 0;
                    }
                    if (grant > 0) {
                        handle[0].credit(grant);
                    }
                }
            });
        } catch (SessionException e) {
            responses.onError(GrpcErrors.toStatus(e));
        }
    }
}
