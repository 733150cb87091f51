package dev.mbi.runner;

import static dev.mbi.runner.CdpTestClient.params;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpServer;
import dev.mbi.contract.RunnerContract;
import dev.mbi.proto.v1.ControlMessage;
import dev.mbi.proto.v1.DownloadCredit;
import dev.mbi.proto.v1.DownloadRead;
import dev.mbi.proto.v1.DownloadUpdate;
import dev.mbi.proto.v1.FileChooserOpened;
import dev.mbi.proto.v1.FileChunk;
import dev.mbi.proto.v1.RunnerMessage;
import dev.mbi.proto.v1.UploadDone;
import dev.mbi.proto.v1.UploadPiece;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Downloads, uploads and printing on the runner's real Chromium, with a small local web server:
 * what the control plane hears, what lands on disk, and what the policy refuses.
 */
class DataPathsChromiumTest {
    private static final String CHROMIUM = System.getenv().getOrDefault(RunnerContract.CHROMIUM_PATH,
            RunnerContract.Settings.DEFAULT_CHROMIUM_PATH);
    private static final DataPolicy ALLOW = new DataPolicy(dev.mbi.proto.v1.ClipboardPolicy.CLIPBOARD_POLICY_BOTH, true, true, true, true, true, 10_000_000);
    private static final byte[] FILE = bytes(64 * 1024);
    /** Larger than a read's piece, so that a read of it takes several. */
    private static final byte[] LARGE = bytes(1024 * 1024 + 17);
    private static final String PAGE = "<!doctype html><title>Data paths</title><body>"
            + "<a id=small href=/small.bin download>small</a> <a id=large href=/large.bin>large</a>"
            + "<input id=file type=file accept=\".txt, image/*\">"
            + "<script>document.getElementById('file').addEventListener('change', e => {"
            + " const f = e.target.files[0]; document.title = 'got ' + f.name + ' ' + f.size; });</script></body>";

    @TempDir
    Path work;
    private HttpServer server;
    private RunnerExecutors executors;
    private BrowserSession browser;
    private DataPaths data;
    private CdpTestClient client;
    private String pageSession;
    private final AtomicInteger calls = new AtomicInteger(10);
    private final List<RunnerMessage> sent = new CopyOnWriteArrayList<>();

    @BeforeEach
    void serve() throws IOException {
        assumeTrue(Files.isExecutable(Path.of(CHROMIUM)), "Chromium is not installed at " + CHROMIUM);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = switch (exchange.getRequestURI().getPath()) {
                case "/small.bin" -> FILE;
                case "/large.bin" -> LARGE;
                default -> PAGE.getBytes(StandardCharsets.UTF_8);
            };
            boolean file = exchange.getRequestURI().getPath().endsWith(".bin");
            exchange.getResponseHeaders().add("Content-Type", file ? "application/octet-stream" : "text/html");
            if (file) {
                exchange.getResponseHeaders().add("Content-Disposition", "attachment; filename=\""
                        + exchange.getRequestURI().getPath().substring(1) + "\"");
            }
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        executors = RunnerExecutors.create();
    }

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.close();
        }
        if (executors != null) {
            executors.close();
        }
        if (server != null) {
            server.stop(0);
        }
    }

    private void open(DataPolicy policy) throws Exception {
        BrowserSession.Started started = new CdpBrowserFactory(CdpClientsChromiumTest.contract(work), executors, List.of(), TopFrameGuard.NONE)
                .start(800, 600);
        data = started.dataPaths().orElseThrow();
        data.start(policy, sent::add);
        browser = started.open("http://127.0.0.1:" + server.getAddress().getPort() + "/", BrowserSession.PageOptions.NONE,
                CdpClientsChromiumTest.listener(new AtomicLong()));
        client = CdpTestClient.open("data", browser.devtools().orElseThrow());
        pageSession = client.attachToPage(1, title -> true);
    }

    /** Runs script in the page as a user's gesture would (file choosers need one). */
    private JsonNode evaluate(String expression) {
        return client.call(calls.incrementAndGet(), "Runtime.evaluate", params().put("expression", expression)
                .put("returnByValue", true).put("userGesture", true).put("awaitPromise", true), pageSession)
                .path("result").path("result").path("value");
    }

    private Path downloads() {
        return work.toFile().listFiles()[0].toPath().resolve(CdpBrowserFactory.DOWNLOADS);
    }

    @Test
    void aDownloadCompletesAndReadsBackByteForByte() throws Exception {
        open(ALLOW);
        evaluate("document.getElementById('small').click()");
        DownloadUpdate done = await(m -> m.hasDownload() && m.getDownload().getState().equals("completed")).getDownload();
        assertEquals("small.bin", done.getName());
        assertEquals(FILE.length, done.getSize());
        assertEquals("application/octet-stream", done.getMime());
        assertTrue(sent.stream().anyMatch(m -> m.hasDownload() && m.getDownload().getState().equals("in_progress")));
        assertArrayEquals(FILE, Files.readAllBytes(downloads().resolve(done.getId())));

        List<FileChunk> pieces = read(done.getId(), "r1", 100);
        assertEquals(1, pieces.size());
        assertEquals(FILE.length, pieces.get(0).getSize());
        assertEquals("small.bin", pieces.get(0).getName());
        assertTrue(pieces.get(0).getLast());
        assertArrayEquals(FILE, pieces.get(0).getData().toByteArray());
    }

    @Test
    void aReadSendsNoMoreThanItsCredit() throws Exception {
        open(ALLOW);
        evaluate("document.getElementById('large').click()");
        DownloadUpdate done = await(m -> m.hasDownload() && m.getDownload().getState().equals("completed")).getDownload();
        assertEquals(LARGE.length, done.getSize());

        data.onMessage(ControlMessage.newBuilder().setDownloadRead(DownloadRead.newBuilder()
                .setRequestId("r2").setDownloadId(done.getId()).setCredit(2)).build());
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> chunks("r2").size() == 2);
        Thread.sleep(300);
        assertEquals(2, chunks("r2").size(), "two pieces, then nothing until more credit");
        assertFalse(chunks("r2").get(1).getLast());
        data.onMessage(ControlMessage.newBuilder().setDownloadCredit(DownloadCredit.newBuilder()
                .setRequestId("r2").setPieces(10)).build());
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> chunks("r2").stream().anyMatch(FileChunk::getLast));
        List<FileChunk> all = chunks("r2");
        assertEquals(5, all.size(), "1 MiB + 17 bytes in 256 KiB pieces");
        ByteArrayOutputStream whole = new ByteArrayOutputStream();
        for (FileChunk c : all) {
            c.getData().writeTo(whole);
        }
        assertArrayEquals(LARGE, whole.toByteArray());

        List<FileChunk> unknown = read("nope", "r3", 1);
        assertEquals("no download nope", unknown.get(0).getError());
    }

    @Test
    void deniedDownloadsAreBlockedAndLeaveNothingOnDisk() throws Exception {
        open(new DataPolicy(dev.mbi.proto.v1.ClipboardPolicy.CLIPBOARD_POLICY_BOTH, false, true, true, true, true, 10_000_000));
        evaluate("document.getElementById('small').click()");
        RunnerMessage blocked = await(RunnerMessage::hasBlocked);
        assertEquals("download", blocked.getBlocked().getAction());
        assertEquals("policy.downloads = deny", blocked.getBlocked().getRule());
        Thread.sleep(500);
        assertFalse(sent.stream().anyMatch(RunnerMessage::hasDownload));
        assertEquals(List.of(), listed(downloads()));
    }

    @Test
    void aDownloadPastTheLargestTransferIsCanceled() throws Exception {
        open(new DataPolicy(dev.mbi.proto.v1.ClipboardPolicy.CLIPBOARD_POLICY_BOTH, true, true, true, true, true, 100_000));
        evaluate("document.getElementById('large').click()");
        RunnerMessage blocked = await(RunnerMessage::hasBlocked);
        assertEquals("download", blocked.getBlocked().getAction());
        assertEquals("policy.maxTransferBytes = 100000", blocked.getBlocked().getRule());
        DownloadUpdate canceled = await(m -> m.hasDownload() && m.getDownload().getState().equals("canceled")).getDownload();
        Thread.sleep(500);
        assertFalse(sent.stream().anyMatch(m -> m.hasDownload() && m.getDownload().getState().equals("completed")));
        assertFalse(Files.exists(downloads().resolve(canceled.getId())));
        assertEquals("download " + canceled.getId() + " is not complete", read(canceled.getId(), "r4", 1).get(0).getError());
    }

    @Test
    void aFileChooserTakesTheViewersFileUnderItsSafeName() throws Exception {
        open(ALLOW);
        evaluate("document.getElementById('file').click()");
        FileChooserOpened chooser = await(RunnerMessage::hasFileChooser).getFileChooser();
        assertEquals(List.of(".txt", "image/*"), chooser.getAcceptList());
        assertFalse(chooser.getMultiple());

        byte[] content = bytes(300_000);
        upload(chooser.getId(), "../../etc/passwd", content, 4);
        UploadDone done = await(RunnerMessage::hasUploadDone).getUploadDone();
        assertEquals("", done.getError());
        assertEquals(1, done.getFiles());
        Path landed = work.toFile().listFiles()[0].toPath().resolve(DataPaths.UPLOADS).resolve(chooser.getId()).resolve("passwd");
        assertArrayEquals(content, Files.readAllBytes(landed));
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> evaluate("document.title").asText().equals("got passwd 300000"));

        sent.clear();
        upload(chooser.getId(), "again.txt", content, 1);
        assertEquals("no file chooser " + chooser.getId(), await(RunnerMessage::hasUploadDone).getUploadDone().getError());
    }

    @Test
    void anUploadPastTheLargestTransferIsRefused() throws Exception {
        open(new DataPolicy(dev.mbi.proto.v1.ClipboardPolicy.CLIPBOARD_POLICY_BOTH, true, true, true, true, true, 100_000));
        evaluate("document.getElementById('file').click()");
        FileChooserOpened chooser = await(RunnerMessage::hasFileChooser).getFileChooser();
        upload(chooser.getId(), "big.txt", bytes(200_000), 4);
        assertEquals("refused by policy.maxTransferBytes = 100000", await(RunnerMessage::hasUploadDone).getUploadDone().getError());
        assertEquals("policy.maxTransferBytes = 100000", await(RunnerMessage::hasBlocked).getBlocked().getRule());
        Thread.sleep(300);
        assertEquals(1, sent.stream().filter(RunnerMessage::hasUploadDone).count(), "one answer, whatever pieces followed");
        assertEquals(0, evaluate("document.getElementById('file').files.length").asInt());
    }

    @Test
    void deniedUploadsAreBlockedWithoutADialog() throws Exception {
        open(new DataPolicy(dev.mbi.proto.v1.ClipboardPolicy.CLIPBOARD_POLICY_BOTH, true, false, true, true, true, 10_000_000));
        evaluate("document.getElementById('file').click()");
        RunnerMessage blocked = await(RunnerMessage::hasBlocked);
        assertEquals("upload", blocked.getBlocked().getAction());
        assertEquals("policy.uploads = deny", blocked.getBlocked().getRule());
        assertFalse(sent.stream().anyMatch(RunnerMessage::hasFileChooser));
    }

    @Test
    void windowPrintMakesAPdfDownload() throws Exception {
        open(ALLOW);
        evaluate("window.print()");
        DownloadUpdate pdf = await(RunnerMessage::hasDownload).getDownload();
        assertEquals("Data paths.pdf", pdf.getName());
        assertEquals("application/pdf", pdf.getMime());
        assertEquals("completed", pdf.getState());
        List<FileChunk> pieces = read(pdf.getId(), "p1", 100);
        assertTrue(pieces.get(0).getData().startsWith(ByteString.copyFromUtf8("%PDF")));
        assertEquals(pdf.getSize(), pieces.get(0).getSize());
    }

    @Test
    void deniedPrintingIsBlocked() throws Exception {
        open(new DataPolicy(dev.mbi.proto.v1.ClipboardPolicy.CLIPBOARD_POLICY_BOTH, true, true, false, true, true, 10_000_000));
        evaluate("window.print()");
        RunnerMessage blocked = await(RunnerMessage::hasBlocked);
        assertEquals("print", blocked.getBlocked().getAction());
        assertEquals("policy.printing = deny", blocked.getBlocked().getRule());
        data.print(); // the viewer's Ctrl+P takes the same way
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> sent.stream().filter(RunnerMessage::hasBlocked).count() == 2);
        assertFalse(sent.stream().anyMatch(RunnerMessage::hasDownload));
    }

    private void upload(String chooserId, String name, byte[] content, int pieces) {
        int step = (content.length + pieces - 1) / pieces;
        for (int i = 0; i < pieces; i++) {
            int from = i * step;
            boolean last = i == pieces - 1;
            data.onMessage(ControlMessage.newBuilder().setUpload(UploadPiece.newBuilder().setChooserId(chooserId)
                    .setFileName(name).setMime("text/plain")
                    .setData(ByteString.copyFrom(content, from, Math.min(step, content.length - from)))
                    .setFileLast(last).setLast(last)).build());
        }
    }

    private List<FileChunk> read(String downloadId, String requestId, int credit) {
        data.onMessage(ControlMessage.newBuilder().setDownloadRead(DownloadRead.newBuilder()
                .setRequestId(requestId).setDownloadId(downloadId).setCredit(credit)).build());
        Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> chunks(requestId).stream().anyMatch(c -> c.getLast() || !c.getError().isEmpty()));
        return chunks(requestId);
    }

    private List<FileChunk> chunks(String requestId) {
        return sent.stream().filter(RunnerMessage::hasDownloadChunk).map(RunnerMessage::getDownloadChunk)
                .filter(c -> c.getRequestId().equals(requestId)).toList();
    }

    private RunnerMessage await(java.util.function.Predicate<RunnerMessage> which) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> sent.stream().anyMatch(which));
        return sent.stream().filter(which).findFirst().orElseThrow();
    }

    private static List<Path> listed(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.toList();
        }
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + i / 251);
        }
        return b;
    }
}
