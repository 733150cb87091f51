package dev.mbi.controlplane.core;

import dev.mbi.proto.v1.DownloadUpdate;
import dev.mbi.proto.v1.FileChunk;
import dev.mbi.proto.v1.UploadDone;
import dev.mbi.proto.v1.UploadPiece;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Files crossing the boundary through the runner's stream: a download read piece by piece with
 * credit (the reader grants pieces as it takes them, so neither the control plane nor the edge
 * holds a whole file), and an upload's pieces on their way to a page's file chooser.
 */
public final class DataPaths {
    /** Pieces a reader may have in flight before it grants more (4 MiB at 256 KiB each). */
    static final int READ_WINDOW = 16;
    /** How long a runner may take to set uploaded files on the page. */
    static final Duration UPLOAD_ANSWER_TIMEOUT = Duration.ofSeconds(60);

    /** Where a download's pieces go; called in order, the last one with last or error set. */
    public interface DownloadReader {
        void piece(FileChunk chunk);
    }

    private record Read(String sessionId, DownloadReader reader) {
    }

    private final Map<String, Read> reads = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<UploadDone>> uploads = new ConcurrentHashMap<>();

    /** A reader's handle: grant more pieces, or stop. */
    public record ReadHandle(DataPaths paths, RunnerLink runner, String requestId) {
        public void credit(int pieces) {
            runner.downloadCredit(requestId, pieces, false);
        }

        public void cancel() {
            if (paths.reads.remove(requestId) != null) {
                runner.downloadCredit(requestId, 0, true);
            }
        }
    }

    ReadHandle read(Session s, String downloadId, DownloadReader reader) throws SessionException {
        RunnerLink runner = s.dataTarget();
        if (!s.hasDownload(downloadId)) {
            throw new SessionException(SessionException.Reason.NOT_FOUND, "no download " + downloadId + " in this session");
        }
        String requestId = UUID.randomUUID().toString();
        reads.put(requestId, new Read(s.id, reader));
        runner.downloadRead(requestId, downloadId, READ_WINDOW);
        return new ReadHandle(this, runner, requestId);
    }

    void runnerChunk(String sessionId, FileChunk chunk) {
        Read r = reads.get(chunk.getRequestId());
        if (r == null || !r.sessionId().equals(sessionId)) {
            return; // a reader that left, or a runner answering for another session: dropped
        }
        if (chunk.getLast() || !chunk.getError().isEmpty()) {
            reads.remove(chunk.getRequestId());
        }
        r.reader().piece(chunk);
    }

    /** A viewer's upload for one file chooser: pieces in order, then its end. */
    public final class Upload {
        private final Session session;
        private final RunnerLink runner;
        private final String chooserId;
        private final long maxBytes;
        private final AtomicLong bytes = new AtomicLong();
        private final CompletableFuture<UploadDone> done = new CompletableFuture<>();

        private Upload(Session session, RunnerLink runner, String chooserId, long maxBytes) {
            this.session = session;
            this.runner = runner;
            this.chooserId = chooserId;
            this.maxBytes = maxBytes;
        }

        /** Passes a piece on; refused (and nothing more passes) once the upload is larger than the policy allows. */
        public void piece(UploadPiece piece) throws SessionException {
            long total = bytes.addAndGet(piece.getData().size());
            if (total > maxBytes) {
                uploads.remove(key(session.id, chooserId));
                throw new SessionException(SessionException.Reason.FORBIDDEN, "the upload is larger than the session's"
                        + " policy allows (policy.maxTransferBytes = " + maxBytes + ")");
            }
            runner.upload(piece.toBuilder().setChooserId(chooserId).setLast(false).build());
        }

        /** The last piece was sent: the runner sets the files on the page and answers. */
        public CompletableFuture<UploadDone> finish() {
            runner.upload(UploadPiece.newBuilder().setChooserId(chooserId).setLast(true).build());
            return done.orTimeout(UPLOAD_ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .whenComplete((d, failure) -> uploads.remove(key(session.id, chooserId), done));
        }
    }

    Upload upload(Session s, String chooserId) throws SessionException {
        RunnerLink runner = s.dataTarget();
        DataPolicy policy = s.policy;
        if (!policy.uploads()) {
            throw new SessionException(SessionException.Reason.FORBIDDEN, "uploads are off for this session (policy.uploads = deny)");
        }
        Upload u = new Upload(s, runner, chooserId, policy.maxTransferBytes());
        if (uploads.putIfAbsent(key(s.id, chooserId), u.done) != null) {
            throw new SessionException(SessionException.Reason.NOT_READY, "an upload for file chooser " + chooserId
                    + " is under way already");
        }
        return u;
    }

    void runnerUploadDone(String sessionId, UploadDone done) {
        CompletableFuture<UploadDone> waiting = uploads.remove(key(sessionId, done.getChooserId()));
        if (waiting != null) {
            waiting.complete(done);
        }
    }

    /** The session ended: its readers and uploaders are told. */
    void sessionEnded(String sessionId) {
        reads.entrySet().removeIf(e -> {
            if (e.getValue().sessionId().equals(sessionId)) {
                e.getValue().reader().piece(FileChunk.newBuilder().setRequestId(e.getKey()).setError("the session ended").build());
                return true;
            }
            return false;
        });
        uploads.entrySet().removeIf(e -> {
            if (e.getKey().startsWith(sessionId + "/")) {
                e.getValue().complete(UploadDone.newBuilder().setError("the session ended").build());
                return true;
            }
            return false;
        });
    }

    private static String key(String sessionId, String chooserId) {
        return sessionId + "/" + chooserId;
    }

    static DownloadUpdate bounded(DownloadUpdate d) {
        return d.toBuilder().setName(Limits.truncate(d.getName(), 255)).setMime(Limits.truncate(d.getMime(), 128))
                .setState(Limits.truncate(d.getState(), 32)).setId(Limits.truncate(d.getId(), 64)).build();
    }
}
