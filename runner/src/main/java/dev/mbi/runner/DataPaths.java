package dev.mbi.runner;

import com.ruiyun.jvppeteer.api.core.CDPSession;
import com.ruiyun.jvppeteer.api.core.Page;
import dev.mbi.proto.v1.ControlMessage;
import dev.mbi.proto.v1.RunnerMessage;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * The files that cross the isolation boundary in one session: {@link Downloads}, {@link Uploads}
 * and {@link Printing}. Installed on the browser's blank tab before the session is known (everything
 * refused), started with the session's policy before its page opens.
 */
final class DataPaths implements AutoCloseable {
    /** Where viewers' uploads are written, in the session's work folder. */
    static final String UPLOADS = "uploads";

    private final Downloads downloads;
    private final Uploads uploads;
    private final Printing printing;

    private DataPaths(Downloads downloads, Uploads uploads, Printing printing) {
        this.downloads = downloads;
        this.uploads = uploads;
        this.printing = printing;
    }

    /**
     * Listens to the browser's downloads and the page's file choosers and print calls, on a DevTools
     * session of the page of its own (its Page and Runtime domains stay out of the frame path).
     *
     * @param workDir the session's throw-away work folder
     */
    static DataPaths install(CDPSession anyPageSession, Page page, Path workDir, Executor tasks) {
        Downloads downloads = new Downloads(anyPageSession.connection(), workDir.resolve(CdpBrowserFactory.DOWNLOADS), tasks);
        downloads.install();
        CDPSession own = page.createCDPSession();
        own.send("Page.enable", new HashMap<>());
        own.send("Runtime.enable", new HashMap<>());
        Uploads uploads = new Uploads(own, workDir.resolve(UPLOADS), tasks);
        uploads.install();
        Printing printing = new Printing(own, downloads, tasks);
        printing.install();
        return new DataPaths(downloads, uploads, printing);
    }

    /** The session's policy as the data paths obey it: everything denied until {@link #start}. */
    DataPolicy policy() {
        return downloads.policy();
    }

    /** The session's policy, and where its messages go (the control plane's stream). */
    void start(DataPolicy policy, Consumer<RunnerMessage> out) {
        downloads.start(policy, out);
        uploads.start(policy, out);
        printing.start(out);
    }

    /** Handles a control message of the data paths; false for any other kind. */
    boolean onMessage(ControlMessage message) {
        switch (message.getKindCase()) {
            case DOWNLOAD_READ -> downloads.read(message.getDownloadRead());
            case DOWNLOAD_CREDIT -> downloads.credit(message.getDownloadCredit());
            case UPLOAD -> uploads.piece(message.getUpload());
            default -> {
                return false;
            }
        }
        return true;
    }

    /**
     * Prints the page as the policy allows (a PDF download, or blocked). For the viewer's Ctrl+P /
     * Meta+P: key handling calls this instead of passing the key press to the page.
     */
    void print() {
        printing.print();
    }

    /** A DevTools call's params from keys and values; mutable, because jvppeteer removes nulls from them in place. */
    static Map<String, Object> params(Object... keysAndValues) {
        Map<String, Object> params = new HashMap<>();
        for (int i = 0; i + 1 < keysAndValues.length; i += 2) {
            params.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return params;
    }

    Downloads downloads() {
        return downloads;
    }

    Uploads uploads() {
        return uploads;
    }

    @Override
    public void close() {
        downloads.close();
        uploads.close();
    }
}
