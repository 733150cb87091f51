package dev.mbi.runner;

import com.fasterxml.jackson.databind.JsonNode;
import com.ruiyun.jvppeteer.api.core.CDPSession;
import com.ruiyun.jvppeteer.api.events.ConnectionEvents;
import com.ruiyun.jvppeteer.cdp.events.FileChooserOpenedEvent;
import dev.mbi.proto.v1.ActionBlocked;
import dev.mbi.proto.v1.FileChooserOpened;
import dev.mbi.proto.v1.RunnerMessage;
import dev.mbi.proto.v1.UploadDone;
import dev.mbi.proto.v1.UploadPiece;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The page's file inputs: Chromium never shows its own dialog (the chooser is intercepted); the
 * control plane hears of each chooser and answers with the viewer's files in pieces, written to
 * {@code <work>/uploads/<chooserId>/<name>} and then set on the input. The policy refuses uploads,
 * or those larger in all than the largest transfer.
 * <p>
 * Thread use: pieces are written on the caller's thread (the control plane stream's), in order;
 * DevTools calls run on the tasks executor, never on the CDP or gRPC threads.
 */
final class Uploads implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Uploads.class.getName());

    /** One open chooser and the upload under way for it; guarded by its own monitor. */
    private static final class Chooser {
        final String id;
        final int backendNodeId;
        final boolean multiple;
        final Path folder;
        final List<Path> files = new ArrayList<>();
        OutputStream current;
        long bytes;

        Chooser(String id, int backendNodeId, boolean multiple, Path folder) {
            this.id = id;
            this.backendNodeId = backendNodeId;
            this.multiple = multiple;
            this.folder = folder;
        }

        void closeCurrent() throws IOException {
            if (current != null) {
                current.close();
                current = null;
            }
        }
    }

    private final CDPSession page;
    private final Path folder;
    private final Executor tasks;
    private final Map<String, Chooser> choosers = new ConcurrentHashMap<>();
    /** Choosers whose upload was refused: their remaining pieces are dropped without another answer. */
    private final Set<String> refused = ConcurrentHashMap.newKeySet();
    private volatile DataPolicy policy = DataPolicy.DENY_ALL;
    private volatile Consumer<RunnerMessage> out = message -> { };
    private volatile boolean closed;

    /**
     * @param page   a DevTools session of the session's page, the runner's own
     * @param folder where uploads are written, inside the session's work folder
     */
    Uploads(CDPSession page, Path folder, Executor tasks) {
        this.page = page;
        this.folder = folder;
        this.tasks = tasks;
    }

    /** Intercepts every file chooser from now on; needs the Page domain enabled on the session. */
    void install() {
        page.on(ConnectionEvents.Page_fileChooserOpened, (Consumer<FileChooserOpenedEvent>) event ->
                tasks.execute(() -> onChooser(event)));
        page.send("Page.setInterceptFileChooserDialog", DataPaths.params("enabled", true));
    }

    void start(DataPolicy policy, Consumer<RunnerMessage> out) {
        this.policy = policy;
        this.out = out;
    }

    private void onChooser(FileChooserOpenedEvent event) {
        if (closed) {
            return;
        }
        if (!policy.uploads()) {
            // Still intercepted: no native dialog, and the page's input stays empty.
            send(RunnerMessage.newBuilder().setBlocked(ActionBlocked.newBuilder()
                    .setAction("upload").setRule("policy.uploads = deny")).build());
            return;
        }
        String id = UUID.randomUUID().toString();
        boolean multiple = "selectMultiple".equals(event.getMode());
        choosers.put(id, new Chooser(id, event.getBackendNodeId(), multiple, folder.resolve(id)));
        send(RunnerMessage.newBuilder().setFileChooser(FileChooserOpened.newBuilder()
                .setId(id).setMultiple(multiple).addAllAccept(accept(event.getBackendNodeId()))).build());
    }

    /** The input's accept attribute, split on commas; none when it has none or cannot be read. */
    private List<String> accept(int backendNodeId) {
        try {
            JsonNode attributes = page.send("DOM.describeNode", DataPaths.params("backendNodeId", backendNodeId)).path("node").path("attributes");
            for (int i = 0; i + 1 < attributes.size(); i += 2) {
                if (attributes.get(i).asText().equalsIgnoreCase("accept")) {
                    List<String> accept = new ArrayList<>();
                    for (String a : attributes.get(i + 1).asText().split(",")) {
                        if (!a.isBlank()) {
                            accept.add(a.strip());
                        }
                    }
                    return accept;
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "the file input's accept attribute could not be read", e);
        }
        return List.of();
    }

    /** One piece of a viewer's upload. Pieces of one chooser come in order, from one thread. */
    void piece(UploadPiece piece) {
        String id = piece.getChooserId();
        Chooser chooser = choosers.get(id);
        if (chooser == null) {
            if (refused.contains(id)) {
                if (piece.getLast()) {
                    refused.remove(id);
                }
                return;
            }
            done(id, "no file chooser " + id, 0);
            return;
        }
        List<String> paths;
        synchronized (chooser) {
            try {
                long max = policy.maxTransferBytes();
                chooser.bytes += piece.getData().size();
                if (chooser.bytes > max) {
                    refuse(chooser, piece.getLast(), "policy.maxTransferBytes = " + max);
                    return;
                }
                // The end of the upload may come as a piece of its own: no name, no bytes.
                boolean endOnly = piece.getLast() && piece.getFileName().isEmpty() && piece.getData().isEmpty();
                if (chooser.current == null && !endOnly) {
                    if (!chooser.multiple && !chooser.files.isEmpty()) {
                        refuse(chooser, piece.getLast(), null);
                        done(id, "file chooser " + id + " takes one file", 0);
                        return;
                    }
                    chooser.current = Files.newOutputStream(newFile(chooser, piece.getFileName()));
                }
                if (chooser.current != null) {
                    piece.getData().writeTo(chooser.current);
                    if (piece.getFileLast() || piece.getLast()) {
                        chooser.closeCurrent();
                    }
                }
                if (!piece.getLast()) {
                    return;
                }
                choosers.remove(id);
                paths = chooser.files.stream().map(p -> p.toAbsolutePath().toString()).toList();
            } catch (IOException | IllegalArgumentException e) {
                refuse(chooser, piece.getLast(), null);
                done(id, "the upload could not be written: " + e.getMessage(), 0);
                return;
            }
        }
        tasks.execute(() -> setFiles(chooser, paths));
    }

    /** A new file of the upload, by its safe name, apart from the upload's other files. */
    private static Path newFile(Chooser chooser, String name) throws IOException {
        String safe = FileNames.safe(name).orElseThrow(() -> new IllegalArgumentException("the file name \"" + name + "\" is not usable"));
        Files.createDirectories(chooser.folder);
        Path file = chooser.folder.resolve(safe);
        for (int n = 2; Files.exists(file); n++) {
            file = chooser.folder.resolve(n + "-" + safe); // two files of one name in one upload
        }
        chooser.files.add(file);
        return file;
    }

    private void setFiles(Chooser chooser, List<String> paths) {
        Map<String, Object> params = new HashMap<>();
        params.put("files", paths);
        params.put("backendNodeId", chooser.backendNodeId);
        try {
            page.send("DOM.setFileInputFiles", params);
            done(chooser.id, "", paths.size());
        } catch (RuntimeException e) {
            done(chooser.id, "the files could not be given to the page: " + e.getMessage(), 0);
        }
    }

    /** Ends a chooser's upload unfinished: its files go; a rule that refused it is told as blocked. */
    private void refuse(Chooser chooser, boolean last, String rule) {
        choosers.remove(chooser.id);
        if (!last) {
            refused.add(chooser.id);
        }
        try {
            chooser.closeCurrent();
        } catch (IOException e) {
            LOG.log(Level.FINE, "closing a refused upload failed", e);
        }
        ChromiumProcesses.removeFolder(chooser.folder);
        if (rule != null) {
            done(chooser.id, "refused by " + rule, 0);
            send(RunnerMessage.newBuilder().setBlocked(ActionBlocked.newBuilder().setAction("upload").setRule(rule)).build());
        }
    }

    private void done(String chooserId, String error, int files) {
        send(RunnerMessage.newBuilder().setUploadDone(UploadDone.newBuilder()
                .setChooserId(chooserId).setError(error).setFiles(files)).build());
    }

    private void send(RunnerMessage message) {
        if (!closed) {
            out.accept(message);
        }
    }

    /** Closes uploads under way; their files go with the session's work folder. */
    @Override
    public void close() {
        closed = true;
        for (Chooser chooser : choosers.values()) {
            synchronized (chooser) {
                try {
                    chooser.closeCurrent();
                } catch (IOException e) {
                    LOG.log(Level.FINE, "closing an upload failed", e);
                }
            }
        }
    }
}
