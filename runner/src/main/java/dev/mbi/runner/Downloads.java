package dev.mbi.runner;

import com.google.protobuf.ByteString;
import com.ruiyun.jvppeteer.api.core.Connection;
import com.ruiyun.jvppeteer.api.events.ConnectionEvents;
import com.ruiyun.jvppeteer.cdp.entities.DownloadState;
import com.ruiyun.jvppeteer.cdp.events.DownloadProgressEvent;
import com.ruiyun.jvppeteer.cdp.events.DownloadWillBeginEvent;
import dev.mbi.proto.v1.ActionBlocked;
import dev.mbi.proto.v1.DownloadCredit;
import dev.mbi.proto.v1.DownloadRead;
import dev.mbi.proto.v1.DownloadUpdate;
import dev.mbi.proto.v1.FileChunk;
import dev.mbi.proto.v1.RunnerMessage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The session's downloads: Chromium saves them as {@code <downloads>/<guid>} (allowAndName), the
 * control plane hears of each as it starts, grows (at most twice a second) and ends, and reads
 * completed ones in pieces, as fast as its reader grants credit. The policy refuses them all, or
 * those that grow past the largest transfer. Prints ({@link Printing}) join as completed downloads.
 * <p>
 * Thread use: Chromium's events arrive on jvppeteer's thread and only update state and send; DevTools
 * calls and file reads run on the tasks executor, never on the CDP or gRPC threads.
 */
final class Downloads implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Downloads.class.getName());
    /** The largest piece of a download read. */
    static final int PIECE_BYTES = 256 * 1024;
    /** Progress is reported at most this often per download. */
    private static final long PROGRESS_EVERY_MS = 500;
    /** A reader that grants no credit for this long is given up, with its file. */
    static final Duration READER_PATIENCE = Duration.ofSeconds(60);

    /** One download as the runner knows it; guarded by its own monitor. */
    private static final class Download {
        final String id;
        final String name;
        final String mime;
        final Path file;
        final long createdAtMs;
        long received;
        long size;
        String state = "in_progress";
        long lastReportMs;

        Download(String id, String name, String mime, Path file) {
            this.id = id;
            this.name = name;
            this.mime = mime;
            this.file = file;
            this.createdAtMs = System.currentTimeMillis();
        }

        synchronized DownloadUpdate update() {
            return DownloadUpdate.newBuilder().setId(id).setName(name).setMime(mime).setReceived(received)
                    .setSize(size).setState(state).setCreatedAtUnixMs(createdAtMs).build();
        }
    }

    private final Connection browser;
    private final Path folder;
    private final Executor tasks;
    private final Map<String, Download> downloads = new ConcurrentHashMap<>();
    private final Map<String, Reader> readers = new ConcurrentHashMap<>();
    private volatile DataPolicy policy = DataPolicy.DENY_ALL;
    private volatile Consumer<RunnerMessage> out = message -> { };
    private volatile boolean closed;

    /**
     * @param browser the browser-level DevTools connection (Browser domain)
     * @param folder  the session's downloads folder, inside its throw-away work folder
     */
    Downloads(Connection browser, Path folder, Executor tasks) {
        this.browser = browser;
        this.folder = folder;
        this.tasks = tasks;
    }

    /** Listens to Chromium's downloads and refuses them all until {@link #start} names the policy. */
    void install() {
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new IllegalStateException("the downloads folder " + folder + " cannot be made: " + e.getMessage(), e);
        }
        browser.on(ConnectionEvents.Browser_downloadWillBegin, (Consumer<DownloadWillBeginEvent>) this::onWillBegin);
        browser.on(ConnectionEvents.Browser_downloadProgress, (Consumer<DownloadProgressEvent>) this::onProgress);
        setBehavior(false);
    }

    /** The session's policy and where its messages go; downloads begin only now, if the policy allows them. */
    void start(DataPolicy policy, Consumer<RunnerMessage> out) {
        this.policy = policy;
        this.out = out;
        if (policy.downloads()) {
            setBehavior(true);
        }
    }

    private void setBehavior(boolean allow) {
        Map<String, Object> params = new HashMap<>();
        params.put("behavior", allow ? "allowAndName" : "deny");
        params.put("downloadPath", folder.toString());
        // Events even when denied: a download refused is told to the viewer as blocked.
        params.put("eventsEnabled", true);
        browser.send("Browser.setDownloadBehavior", params);
    }

    private void onWillBegin(DownloadWillBeginEvent event) {
        if (closed) {
            return;
        }
        String guid = event.getGuid();
        String name = FileNames.safe(event.getSuggestedFilename()).orElse("download");
        Download d = new Download(guid, name, FileNames.mime(name), folder.resolve(guid));
        DataPolicy p = policy;
        if (!p.downloads()) {
            // Cancelled whatever the browser's download behavior says now (an automation client may have set its own).
            cancel(d, "policy.downloads = deny");
            return;
        }
        downloads.put(guid, d);
        send(RunnerMessage.newBuilder().setDownload(d.update()).build());
    }

    private void onProgress(DownloadProgressEvent event) {
        Download d = downloads.get(event.getGuid());
        if (d == null || closed) {
            return;
        }
        long received = event.getReceivedBytes() == null ? 0 : event.getReceivedBytes().longValue();
        long total = event.getTotalBytes() == null ? 0 : event.getTotalBytes().longValue();
        long max = policy.maxTransferBytes();
        boolean report;
        boolean overLimit = false;
        synchronized (d) {
            if (!d.state.equals("in_progress")) {
                return; // ended here already (a limit), Chromium follows
            }
            d.received = received;
            d.size = event.getState() == DownloadState.Completed ? received : total;
            if (received > max || total > max) {
                overLimit = true; // and canceled now, so that later progress is ignored
                d.state = "canceled";
                report = false;
            } else if (event.getState() == DownloadState.Completed) {
                d.state = "completed";
                report = true;
            } else if (event.getState() == DownloadState.Canceled) {
                d.state = "canceled";
                report = true;
            } else {
                long now = System.currentTimeMillis();
                report = now - d.lastReportMs >= PROGRESS_EVERY_MS;
                if (report) {
                    d.lastReportMs = now;
                }
            }
        }
        if (overLimit) {
            cancel(d, "policy.maxTransferBytes = " + max);
            return;
        }
        if (report) {
            send(RunnerMessage.newBuilder().setDownload(d.update()).build());
        }
    }

    /** Cancels a download in Chromium, removes what it wrote, and tells the control plane which rule did it. */
    private void cancel(Download d, String rule) {
        synchronized (d) {
            d.state = "canceled";
        }
        if (downloads.containsKey(d.id)) {
            send(RunnerMessage.newBuilder().setDownload(d.update()).build());
        }
        send(RunnerMessage.newBuilder().setBlocked(ActionBlocked.newBuilder().setAction("download").setRule(rule)).build());
        tasks.execute(() -> {
            try {
                browser.send("Browser.cancelDownload", DataPaths.params("guid", d.id));
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "cancelling download " + d.id + " failed (it may have ended)", e);
            }
            try {
                Files.deleteIfExists(d.file);
            } catch (IOException e) {
                LOG.log(Level.FINE, "removing cancelled download " + d.id + " failed", e);
            }
        });
    }

    /**
     * A file made in the session (a print) joins the downloads, completed.
     *
     * @param file a file inside {@link #folder()}, named by the returned id
     */
    DownloadUpdate addCompleted(String id, String name, String mime, Path file) throws IOException {
        Download d = new Download(id, name, mime, file);
        long size = Files.size(file);
        synchronized (d) {
            d.received = size;
            d.size = size;
            d.state = "completed";
        }
        downloads.put(id, d);
        DownloadUpdate update = d.update();
        send(RunnerMessage.newBuilder().setDownload(update).build());
        return update;
    }

    Path folder() {
        return folder;
    }

    DataPolicy policy() {
        return policy;
    }

    // ---- reading

    /** Starts reading a completed download on a worker thread, sending at most the granted pieces. */
    void read(DownloadRead request) {
        String requestId = request.getRequestId();
        Download d = downloads.get(request.getDownloadId());
        if (d == null) {
            sendError(requestId, "no download " + request.getDownloadId());
            return;
        }
        DownloadUpdate state = d.update();
        if (!state.getState().equals("completed")) {
            sendError(requestId, "download " + d.id + " is not complete");
            return;
        }
        Reader reader = new Reader(requestId, d, request.getCredit());
        if (readers.putIfAbsent(requestId, reader) != null) {
            sendError(requestId, "read " + requestId + " is under way already");
            return;
        }
        tasks.execute(reader::run);
    }

    /** More pieces for a read under way, or its end. A credit for a read that ended is no news. */
    void credit(DownloadCredit credit) {
        Reader reader = readers.get(credit.getRequestId());
        if (reader != null) {
            reader.grant(credit.getPieces(), credit.getCancel());
        }
    }

    private void sendError(String requestId, String error) {
        send(RunnerMessage.newBuilder().setDownloadChunk(FileChunk.newBuilder().setRequestId(requestId).setError(error)).build());
    }

    /** One read of one file: pieces go out while credit lasts; the file is never held whole in memory. */
    private final class Reader {
        private final String requestId;
        private final Download download;
        private long credit;
        private boolean cancelled;

        Reader(String requestId, Download download, long credit) {
            this.requestId = requestId;
            this.download = download;
            this.credit = credit;
        }

        synchronized void grant(long pieces, boolean cancel) {
            credit += pieces;
            cancelled |= cancel;
            notifyAll();
        }

        /** Waits for credit; false when the read is cancelled, the runner closes or the reader is silent too long. */
        private synchronized boolean takeCredit() throws InterruptedException {
            long deadline = System.currentTimeMillis() + READER_PATIENCE.toMillis();
            while (credit <= 0 && !cancelled && !closed) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    return false;
                }
                wait(Math.min(left, 1_000)); // wakes now and then to see the runner closing
            }
            if (cancelled || closed) {
                return false;
            }
            credit--;
            return true;
        }

        void run() {
            try (InputStream in = Files.newInputStream(download.file)) {
                long size = Files.size(download.file);
                long sent = 0;
                boolean first = true;
                while (first || sent < size) {
                    if (!takeCredit()) {
                        if (!cancelled && !closed) {
                            sendError(requestId, "the reader of download " + download.id + " granted no pieces for "
                                    + READER_PATIENCE.toSeconds() + " s");
                        }
                        return;
                    }
                    byte[] piece = in.readNBytes((int) Math.min(PIECE_BYTES, size - sent));
                    sent += piece.length;
                    boolean last = sent >= size || piece.length == 0;
                    FileChunk.Builder chunk = FileChunk.newBuilder().setRequestId(requestId)
                            .setData(ByteString.copyFrom(piece)).setLast(last);
                    if (first) {
                        chunk.setSize(size).setName(download.name).setMime(download.mime);
                        first = false;
                    }
                    send(RunnerMessage.newBuilder().setDownloadChunk(chunk).build());
                    if (last) {
                        return;
                    }
                }
            } catch (IOException e) {
                sendError(requestId, "download " + download.id + " cannot be read: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                readers.remove(requestId);
            }
        }
    }

    private void send(RunnerMessage message) {
        if (!closed) {
            out.accept(message);
        }
    }

    /** Stops reads under way; the files go with the session's work folder. */
    @Override
    public void close() {
        closed = true;
        readers.values().forEach(r -> r.grant(0, true));
    }
}
