package dev.mbi.runner;

import com.fasterxml.jackson.databind.JsonNode;
import com.ruiyun.jvppeteer.api.core.CDPSession;
import com.ruiyun.jvppeteer.api.events.ConnectionEvents;
import com.ruiyun.jvppeteer.cdp.events.BindingCalledEvent;
import dev.mbi.proto.v1.ActionBlocked;
import dev.mbi.proto.v1.RunnerMessage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Printing the page: a headless browser has no print dialog, so the page's {@code window.print()}
 * (and a viewer's Ctrl+P / Meta+P, through {@link #print()}) makes a PDF of the page that joins the
 * session's {@link Downloads}, named after the page's title. The policy may refuse it.
 */
final class Printing {
    private static final Logger LOG = Logger.getLogger(Printing.class.getName());
    /** The page's way to ask for a print; bindings are the runner session's own, invisible to other DevTools clients. */
    static final String BINDING = "__mbiPrint";
    /** window.print calls the binding, kept aside so that a page replacing the global cannot break it. */
    private static final String HOOK = "(() => { const ask = globalThis." + BINDING + ";"
            + " if (typeof ask !== 'function') return;"
            + " window.print = function print() { ask(''); }; })();";
    /** The PDF is read in pieces of this many bytes (before base64), never held whole. */
    private static final int READ_BYTES = 1024 * 1024;

    private final CDPSession page;
    private final Downloads downloads;
    private final Executor tasks;
    /** One print at a time: a page that calls print() in a loop gets one PDF per finished print. */
    private final AtomicBoolean printing = new AtomicBoolean();
    private volatile Consumer<RunnerMessage> out = message -> { };

    /** @param page a DevTools session of the session's page, the runner's own, with Runtime and Page enabled */
    Printing(CDPSession page, Downloads downloads, Executor tasks) {
        this.page = page;
        this.downloads = downloads;
        this.tasks = tasks;
    }

    /** Hooks window.print in every document from now on, and in the one shown now. */
    void install() {
        page.on(ConnectionEvents.Runtime_bindingCalled, (Consumer<BindingCalledEvent>) event -> {
            if (BINDING.equals(event.getName())) {
                print();
            }
        });
        page.send("Runtime.addBinding", DataPaths.params("name", BINDING));
        page.send("Page.addScriptToEvaluateOnNewDocument", DataPaths.params("source", HOOK, "runImmediately", true));
    }

    void start(Consumer<RunnerMessage> out) {
        this.out = out;
    }

    /**
     * Prints the page as the policy allows: a PDF download, or an ActionBlocked. Returns at once
     * (the work runs on a worker thread); for the page's window.print and for the viewer's
     * Ctrl+P / Meta+P, which the runner's key handling turns into a call here instead of a key press.
     */
    void print() {
        if (!printing.compareAndSet(false, true)) {
            return;
        }
        tasks.execute(() -> {
            try {
                printNow();
            } finally {
                printing.set(false);
            }
        });
    }

    private void printNow() {
        DataPolicy policy = downloads.policy();
        if (!policy.printing()) {
            blocked("policy.printing = deny");
            return;
        }
        String id = UUID.randomUUID().toString();
        Path file = downloads.folder().resolve(id);
        try {
            long size = writePdf(file, policy.maxTransferBytes());
            if (size < 0) {
                Files.deleteIfExists(file);
                blocked("policy.maxTransferBytes = " + policy.maxTransferBytes());
                return;
            }
            String name = FileNames.safe(title() + ".pdf").orElse("page.pdf");
            downloads.addCompleted(id, name, "application/pdf", file);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "printing the page failed", e);
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // the work folder goes with the session anyway
            }
        }
    }

    /** Writes the page as PDF, read from Chromium as a stream; the size, or -1 once past {@code max}. */
    private long writePdf(Path file, long max) throws IOException {
        Map<String, Object> params = new HashMap<>();
        params.put("transferMode", "ReturnAsStream");
        params.put("printBackground", true);
        String handle = page.send("Page.printToPDF", params).path("stream").asText();
        long size = 0;
        try (OutputStream pdf = Files.newOutputStream(file)) {
            while (true) {
                JsonNode piece = page.send("IO.read", DataPaths.params("handle", handle, "size", READ_BYTES));
                String data = piece.path("data").asText("");
                byte[] bytes = piece.path("base64Encoded").asBoolean() ? Base64.getDecoder().decode(data)
                        : data.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
                size += bytes.length;
                if (size > max) {
                    return -1;
                }
                pdf.write(bytes);
                if (piece.path("eof").asBoolean()) {
                    return size;
                }
            }
        } finally {
            try {
                page.send("IO.close", DataPaths.params("handle", handle));
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "closing the PDF stream failed", e);
            }
        }
    }

    private String title() {
        try {
            String title = page.send("Runtime.evaluate", DataPaths.params("expression", "document.title", "returnByValue", true))
                    .path("result").path("value").asText("").strip();
            return title.isEmpty() ? "page" : title;
        } catch (RuntimeException e) {
            return "page";
        }
    }

    private void blocked(String rule) {
        out.accept(RunnerMessage.newBuilder().setBlocked(ActionBlocked.newBuilder().setAction("print").setRule(rule)).build());
    }
}
