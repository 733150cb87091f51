package dev.mbi.runner;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mbi.contract.RunnerContract;
import dev.mbi.proto.v1.ControlMessage;
import dev.mbi.proto.v1.DownloadRead;
import dev.mbi.proto.v1.DownloadUpdate;
import dev.mbi.proto.v1.FileChunk;
import dev.mbi.proto.v1.Permission;
import dev.mbi.proto.v1.RunnerMessage;
import dev.mbi.proto.v1.SessionPolicy;
import dev.mbi.proto.v1.Shutdown;
import dev.mbi.proto.v1.UploadPiece;
import dev.mbi.proto.v1.Welcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A whole runner on real Chromium: the welcome's policy reaches the data paths, and the control plane's reads reach the files. */
class RunnerDataPathsTest {
    private static final String CHROMIUM = System.getenv().getOrDefault(RunnerContract.CHROMIUM_PATH,
            RunnerContract.Settings.DEFAULT_CHROMIUM_PATH);
    /** A page that downloads "hello" as soon as it loads. */
    private static final String PAGE = "data:text/html,<a id=a href='data:application/octet-stream;base64,aGVsbG8=' download=hello.txt>x</a>"
            + "<script>document.getElementById('a').click()</script>";

    @TempDir
    Path work;

    @Test
    void aDownloadOfTheFirstPageIsAnnouncedAndReadThroughTheStream() throws Exception {
        assumeTrue(Files.isExecutable(Path.of(CHROMIUM)), "Chromium is not installed at " + CHROMIUM);
        SessionPolicy policy = SessionPolicy.newBuilder().setDownloads(Permission.PERMISSION_ALLOW)
                .setUploads(Permission.PERMISSION_ALLOW).setMaxTransferBytes(1_000_000).build();
        Welcome welcome = Welcome.newBuilder().setUrl(PAGE).setViewportWidth(800).setViewportHeight(600)
                .setMaxFps(5).setHeartbeatIntervalMs(60_000).setPolicy(policy).build();
        try (FakeControlPlane controlPlane = new FakeControlPlane(welcome);
             RunnerExecutors executors = RunnerExecutors.create()) {
            RunnerContract contract = new RunnerContract("data", "token", controlPlane.address(),
                    CdpClientsChromiumTest.contract(work).settings());
            try (EgressGuard egress = EgressGuard.start(contract, executors)) {
                Runner runner = new Runner(contract, new CdpBrowserFactory(contract, executors, List.of(), TopFrameGuard.NONE),
                        executors, egress);
                CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(runner::run, executors.tasks());
                Awaitility.await("a completed download").atMost(Duration.ofSeconds(30))
                        .until(() -> controlPlane.received(RunnerMessage.KindCase.DOWNLOAD).stream()
                                .anyMatch(m -> m.getDownload().getState().equals("completed")));
                DownloadUpdate done = controlPlane.received(RunnerMessage.KindCase.DOWNLOAD).stream()
                        .map(RunnerMessage::getDownload).filter(d -> d.getState().equals("completed")).findFirst().orElseThrow();
                assertEquals("hello.txt", done.getName());
                assertEquals("text/plain", done.getMime());

                controlPlane.send(ControlMessage.newBuilder().setDownloadRead(DownloadRead.newBuilder()
                        .setRequestId("r").setDownloadId(done.getId()).setCredit(4)).build());
                controlPlane.send(ControlMessage.newBuilder().setUpload(UploadPiece.newBuilder()
                        .setChooserId("c").setFileName("a.txt").setFileLast(true).setLast(true)).build());
                Awaitility.await("the read and the refused upload").atMost(Duration.ofSeconds(10))
                        .until(() -> controlPlane.received(RunnerMessage.KindCase.DOWNLOAD_CHUNK).size() == 1
                                && controlPlane.received(RunnerMessage.KindCase.UPLOAD_DONE).size() == 1);
                FileChunk chunk = controlPlane.received(RunnerMessage.KindCase.DOWNLOAD_CHUNK).get(0).getDownloadChunk();
                assertArrayEquals("hello".getBytes(), chunk.getData().toByteArray());
                assertEquals(true, chunk.getLast());
                assertEquals("no file chooser c",
                        controlPlane.received(RunnerMessage.KindCase.UPLOAD_DONE).get(0).getUploadDone().getError());

                controlPlane.send(ControlMessage.newBuilder().setShutdown(Shutdown.newBuilder().setReason("test over")).build());
                assertEquals(0, exit.get(20, TimeUnit.SECONDS));
            }
        }
    }
}
