package dev.mbi.edge;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import dev.mbi.proto.v1.DownloadUpdate;
import dev.mbi.proto.v1.FileChunk;
import dev.mbi.proto.v1.UploadDone;
import dev.mbi.proto.v1.UploadPiece;
import dev.mbi.proto.v1.UploadRequest;
import dev.mbi.proto.v1.UploadStart;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Files across the boundary: a session's downloads listed and streamed out piece by piece
 * (never a whole file in the edge's memory), and files for a page's file chooser streamed in from
 * a multipart form. The session's policy is enforced by the runner and the control plane.
 */
final class DataRoutes {
    /** How long the runner may take to set uploaded files on the page. */
    private static final long UPLOAD_ANSWER_SECONDS = 90;
    /** Pieces of an upload on their way to the control plane. */
    private static final int UPLOAD_PIECE = 256 * 1024;

    private final ControlPlaneClient controlPlane;

    DataRoutes(ControlPlaneClient controlPlane) {
        this.controlPlane = controlPlane;
    }

    static ObjectNode downloadJson(DownloadUpdate d) {
        ObjectNode n = SessionJson.MAPPER.createObjectNode();
        n.put("id", d.getId());
        n.put("name", d.getName());
        n.put("size", d.getSize());
        n.put("received", d.getReceived());
        n.put("mime", d.getMime());
        n.put("state", d.getState());
        n.put("createdAt", Instant.ofEpochMilli(d.getCreatedAtUnixMs()).toString());
        return n;
    }

    void list(String sessionId, ServerResponse res) throws ApiException {
        ObjectNode body = SessionJson.MAPPER.createObjectNode();
        ArrayNode all = body.putArray("downloads");
        controlPlane.downloads(sessionId).forEach(d -> all.add(downloadJson(d)));
        SessionRoutes.json(res, 200, body.toString());
    }

    /** Streams the file: headers from its first piece, then each piece as it comes. */
    void read(String sessionId, String downloadId, ServerResponse res) throws ApiException {
        controlPlane.readDownload(sessionId, downloadId, pieces -> {
            FileChunk first;
            try {
                first = pieces.next();
            } catch (StatusRuntimeException e) {
                throw new ReadFailed(ApiException.from(e, controlPlane.target()));
            }
            res.header(HeaderNames.CONTENT_TYPE, first.getMime().isEmpty() ? "application/octet-stream" : first.getMime());
            res.header(HeaderNames.CONTENT_DISPOSITION, "attachment; filename=\"" + asciiName(first.getName())
                    + "\"; filename*=UTF-8''" + URLEncoder.encode(first.getName(), StandardCharsets.UTF_8).replace("+", "%20"));
            res.header(HeaderNames.CONTENT_LENGTH, Long.toString(first.getSize()));
            try (OutputStream out = res.outputStream()) {
                write(out, first);
                FileChunk piece = first;
                while (!piece.getLast() && pieces.hasNext()) {
                    piece = pieces.next();
                    write(out, piece);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("the client stopped reading the download", e);
            }
        });
    }

    private static void write(OutputStream out, FileChunk piece) throws IOException {
        piece.getData().writeTo(out);
    }

    /** A name safe in a quoted header value; the exact name goes in filename*. */
    static String asciiName(String name) {
        String ascii = name.replaceAll("[^\\x20-\\x7e]", "_").replace("\"", "_").replace("\\", "_");
        return ascii.isBlank() ? "download" : ascii;
    }

    /** A failure before any byte went out: answered as JSON by the route. */
    static final class ReadFailed extends RuntimeException {
        final ApiException failure;

        ReadFailed(ApiException failure) {
            super(failure.getMessage(), null, false, false);
            this.failure = failure;
        }
    }

    /** Streams the form's files to the session's runner for one file chooser; answers {"files": n}. */
    void upload(String sessionId, String chooserId, ServerRequest req, ServerResponse res) throws ApiException {
        String boundary = MultipartFiles.boundary(req.headers().contentType().map(t -> t.text()));
        CompletableFuture<UploadDone> answer = new CompletableFuture<>();
        Object ready = new Object();
        @SuppressWarnings("unchecked")
        ClientCallStreamObserver<UploadRequest> up = (ClientCallStreamObserver<UploadRequest>) controlPlane.upload(
                new ClientResponseObserver<UploadRequest, UploadDone>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<UploadRequest> requests) {
                        requests.setOnReadyHandler(() -> {
                            synchronized (ready) {
                                ready.notifyAll();
                            }
                        });
                    }

                    @Override
                    public void onNext(UploadDone done) {
                        answer.complete(done);
                    }

                    @Override
                    public void onError(Throwable t) {
                        answer.completeExceptionally(t);
                        synchronized (ready) {
                            ready.notifyAll();
                        }
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        up.onNext(UploadRequest.newBuilder().setStart(UploadStart.newBuilder().setSessionId(sessionId).setChooserId(chooserId)).build());
        int files;
        try {
            files = MultipartFiles.read(req.content().inputStream(), boundary, new MultipartFiles.Consumer() {
                private String name = "";
                private String type = "";

                @Override
                public void start(MultipartFiles.Part part) {
                    name = part.fileName();
                    type = part.contentType();
                }

                @Override
                public void bytes(byte[] data, int length) throws ApiException {
                    for (int offset = 0; offset < length; offset += UPLOAD_PIECE) {
                        send(ByteString.copyFrom(data, offset, Math.min(UPLOAD_PIECE, length - offset)), false);
                    }
                }

                @Override
                public void end(MultipartFiles.Part part) throws ApiException {
                    send(ByteString.EMPTY, true);
                }

                private void send(ByteString data, boolean fileLast) throws ApiException {
                    awaitReady(up, ready, answer);
                    up.onNext(UploadRequest.newBuilder().setPiece(UploadPiece.newBuilder().setFileName(name).setMime(type)
                            .setData(data).setFileLast(fileLast)).build());
                }
            });
        } catch (ApiException e) {
            up.onError(io.grpc.Status.CANCELLED.withDescription(e.getMessage()).asRuntimeException());
            throw answer.isCompletedExceptionally() ? failure(answer) : e;
        } catch (IOException | UncheckedIOException e) {
            up.onError(io.grpc.Status.CANCELLED.withDescription("the upload was cut off").asRuntimeException());
            throw ApiException.badRequest("the upload was cut off: " + e.getMessage());
        }
        if (files == 0) {
            up.onError(io.grpc.Status.CANCELLED.withDescription("no files").asRuntimeException());
            throw ApiException.badRequest("the form has no files: send one or more parts named files");
        }
        up.onCompleted();
        UploadDone done;
        try {
            done = answer.get(UPLOAD_ANSWER_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw failure(answer);
        } catch (TimeoutException e) {
            throw new ApiException(504, "the session did not take the files within " + UPLOAD_ANSWER_SECONDS + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "interrupted");
        }
        ObjectNode body = SessionJson.MAPPER.createObjectNode();
        body.put("files", done.getFiles());
        SessionRoutes.json(res, 200, body.toString());
    }

    private static void awaitReady(ClientCallStreamObserver<UploadRequest> up, Object ready, CompletableFuture<UploadDone> answer)
            throws ApiException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        synchronized (ready) {
            while (!up.isReady()) {
                if (answer.isCompletedExceptionally()) {
                    throw failure(answer);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new ApiException(504, "the session did not take the upload's bytes for 30 s");
                }
                try {
                    ready.wait(Math.max(1, Math.min(100, left / 1_000_000)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ApiException(503, "interrupted");
                }
            }
        }
        if (answer.isCompletedExceptionally()) {
            throw failure(answer);
        }
    }

    private static ApiException failure(CompletableFuture<UploadDone> answer) {
        try {
            answer.join();
            return new ApiException(500, "upload failed");
        } catch (java.util.concurrent.CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof StatusRuntimeException s) {
                ApiException a = ApiException.from(s, "");
                // A refused upload (over the limit) is the request's fault.
                return s.getStatus().getCode() == io.grpc.Status.Code.PERMISSION_DENIED && a.getMessage().contains("larger")
                        ? new ApiException(413, a.getMessage()) : a;
            }
            return new ApiException(502, "upload failed: " + cause);
        }
    }
}
