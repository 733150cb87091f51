package dev.mbi.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import dev.mbi.config.Env;
import dev.mbi.controlplane.ControlPlane;
import dev.mbi.controlplane.ControlPlaneConfig;
import dev.mbi.controlplane.testing.SyntheticRunner;
import dev.mbi.controlplane.testing.TestApi;
import dev.mbi.controlplane.testing.TestRunners;
import io.grpc.Status;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code make bench}: what the relay carries. A synthetic runner (no Chromium) behind a real
 * control plane over real gRPC, a real edge, and WebSocket viewers, all in this JVM (so the
 * runner's and the viewer's clocks are one clock): input events a viewer pushes through to the
 * runner, frame bytes the runner gets through to a viewer, and a frame's time on its way at a
 * moderate rate. Token auth is on, as in production.
 */
@Tag("bench")
class RelayThroughputBench {
    private static final Duration WARM_UP = Duration.ofSeconds(2);
    private static final Duration INPUT_RUN = Duration.ofSeconds(10);
    private static final Duration FRAME_RUN = Duration.ofSeconds(8);
    private static final int[] FRAME_SIZES = {100 * 1024, 1024 * 1024};
    private static final int PACED_FPS = 30;
    private static final int PACED_FRAMES = 300;
    private static final int PACED_SIZE = 100 * 1024;
    /** Input events a viewer keeps on their way in the throughput run (well under the control plane's 1024 for a runner). */
    private static final int INPUT_WINDOW = 256;
    private static final Duration FLOOD_RUN = Duration.ofSeconds(5);
    private static final String MOUSEMOVE = "{\"type\":\"mousemove\",\"x\":640,\"y\":360}";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** One frame's way (µs since the epoch): the runner sent it, the control plane relayed it, the edge made its message, the viewer had it. */
    record FrameTimes(long seq, long runnerSentUs, long relayedUs, long edgeUs, long receivedUs) {
        double totalMs() {
            return (receivedUs - runnerSentUs) / 1000.0;
        }
    }

    /** What the frame viewer got: running counts, and each frame's times. Called on the socket's one thread. */
    private static final class Received implements Consumer<ViewerClient.BinaryFrame> {
        final AtomicLong frames = new AtomicLong();
        final AtomicLong jpegBytes = new AtomicLong();
        final Queue<FrameTimes> times = new ConcurrentLinkedQueue<>();

        @Override
        public void accept(ViewerClient.BinaryFrame f) {
            JsonNode timing = f.header().get("timing");
            times.add(new FrameTimes(f.header().get("seq").asLong(), timing.get("runnerSentUs").asLong(),
                    timing.get("relayedUs").asLong(), timing.get("edgeUs").asLong(), f.receivedUnixUs()));
            jpegBytes.addAndGet(f.jpegBytes());
            frames.incrementAndGet();
        }

        /** The times of the frames from this sequence number on. */
        List<FrameTimes> since(long firstSeq) {
            return times.stream().filter(t -> t.seq() >= firstSeq).toList();
        }
    }

    private final List<String> rows = new ArrayList<>();

    @Test
    void relay() throws Exception {
        TestRunners.HandOverLauncher launcher = new TestRunners.HandOverLauncher();
        Map<String, String> env = new HashMap<>(TestApi.controlPlaneEnv());
        env.put("RUNNER_JAR", "pom.xml"); // checked at start, never run: the launcher hands each session to the bench
        try (ControlPlane controlPlane = ControlPlane.start(ControlPlaneConfig.from(new Env(env)), launcher);
                Edge edge = Edge.start(EdgeConfig.from(new Env(Map.of("PORT", "0",
                        "CONTROL_PLANE_ADDR", "localhost:" + controlPlane.apiPort(), "CONTROL_PLANE_TOKEN", TestApi.TOKEN,
                        // The relay's own capacity, not the per-viewer limit (1000 a second by default), is measured.
                        "API_TOKENS", "tester:" + TestStack.USER_TOKEN, "INPUT_MESSAGES_PER_SECOND", "1000000"))))) {
            String id = createSession(edge);
            try (SyntheticRunner runner = connectRunner(edge, id, launcher)) {
                input(edge, id, runner);
                String frameViewer = "ws://localhost:" + edge.port() + ViewerSocket.PATH_PREFIX + id + "?token="
                        + TestStack.USER_TOKEN + "&frames=binary";
                Received received = new Received();
                try (ViewerClient viewer = new ViewerClient(frameViewer, received)) {
                    viewer.next("status", 5_000); // attached: frames from now on reach it
                    for (int size : FRAME_SIZES) {
                        frameThroughput(runner, received, size);
                    }
                    pacedLatency(runner, received);
                }
                if (runner.ended().isDone()) {
                    throw new AssertionError("the control plane ended the synthetic runner's stream: " + runner.ended().get());
                }
            }
            String flooded = createSession(edge);
            try (SyntheticRunner runner = connectRunner(edge, flooded, launcher)) {
                inputFlood(edge, flooded, runner);
            }
        }
        String text = "Relay throughput: a synthetic runner (no Chromium) behind a real control plane over real gRPC, a"
                + " real edge and WebSocket viewers, all in one JVM, token auth on (`RelayThroughputBench`):\n\n"
                + "| measure | figures | note |\n|---|---|---|\n" + String.join("\n", rows) + "\n";
        System.out.println("\n" + text);
        Path results = Path.of("..", "bench", "results");
        Files.createDirectories(results);
        Files.writeString(results.resolve("relay-throughput.md"), text);
    }

    /**
     * A viewer writes mousemove messages back to back on its socket (a raw one: no wait for each
     * write, as a browser's send() does not wait), keeping at most {@link #INPUT_WINDOW} on their
     * way; the runner counts what reaches it.
     */
    private void input(Edge edge, String id, SyntheticRunner runner) throws Exception {
        AtomicLong sent = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        List<Double> perSecond;
        long during;
        try (RawWebSocket viewer = openViewer(edge, id); ExecutorService sender = Executors.newSingleThreadExecutor()) {
            Future<?> sending = sender.submit(() -> sendMousemoves(viewer, runner, INPUT_WINDOW, sent, stop));
            try {
                Thread.sleep(WARM_UP.toMillis());
                long before = runner.inputsReceived();
                perSecond = ratePerSecond(runner::inputsReceived, INPUT_RUN);
                during = runner.inputsReceived() - before;
            } finally {
                stop.set(true);
            }
            sending.get(10, TimeUnit.SECONDS);
        }
        // What is still on its way arrives once the viewer stops; what stops arriving is reported as missing.
        for (long last = -1; runner.inputsReceived() < sent.get() && runner.inputsReceived() != last; ) {
            last = runner.inputsReceived();
            Thread.sleep(500);
        }
        row("input events a viewer's WebSocket pushes through edge → control plane → runner (mousemove, counted at the runner)",
                Distribution.of(perSecond).summary("%.0f", "events/s", 50, 95) + String.format(Locale.ROOT,
                        "; %d in the %d s measured; %d sent in all, %d arrived", during, INPUT_RUN.toSeconds(), sent.get(),
                        runner.inputsReceived()),
                "one viewer writing `" + MOUSEMOVE + "` back to back on one socket, at most " + INPUT_WINDOW + " events on their way"
                        + " (sent, not yet at the runner: without such a bound a flood overflows the control plane's queue toward the"
                        + " runner, see the last row); " + WARM_UP.toSeconds() + " s warm-up, then one-second windows; INPUT_MESSAGES_PER_SECOND"
                        + " raised to 1,000,000 (the per-viewer limit, 1000 by default, is not what is measured), control plane and"
                        + " edge defaults otherwise; " + machine());
    }

    /**
     * The same viewer with no bound on what is on its way (an open loop, as a misbehaving client
     * would send): how long until the control plane gives up on the session's runner, if it does.
     */
    private void inputFlood(Edge edge, String id, SyntheticRunner runner) throws Exception {
        AtomicLong sent = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        long t0 = System.nanoTime();
        double seconds;
        try (RawWebSocket viewer = openViewer(edge, id); ExecutorService sender = Executors.newSingleThreadExecutor()) {
            Future<?> sending = sender.submit(() -> sendMousemoves(viewer, runner, Long.MAX_VALUE, sent, stop));
            try {
                while (!runner.ended().isDone() && System.nanoTime() - t0 < FLOOD_RUN.toNanos()) {
                    Thread.sleep(10);
                }
            } finally {
                seconds = (System.nanoTime() - t0) / 1e9;
                stop.set(true);
            }
            sending.get(10, TimeUnit.SECONDS);
        }
        long reached = runner.inputsReceived();
        String figures = runner.ended().isDone()
                ? String.format(Locale.ROOT, "the runner's stream was cut after %.1f s (%s): %d events sent, %d had reached the"
                        + " runner", seconds, Status.fromThrowable(runner.ended().get()).getDescription(), sent.get(), reached)
                : String.format(Locale.ROOT, "not cut within %.1f s: %d events sent, %d reached the runner, %d dropped at the edge (stale pointer moves) or still on their way",
                        seconds, sent.get(), reached, sent.get() - reached);
        row("a viewer's input flood with no bound on what is on its way (open loop)", figures,
                "with the per-viewer limit raised as above, pointer moves the control plane's stream is not ready for are"
                        + " dropped at the edge (a later move says where the pointer is; counted in browser_viewer_input_dropped_total),"
                        + " so nothing piles up behind the edge and the runner's stream is not cut; at the default limit the edge drops"
                        + " everything beyond 1000 a second (ViewerInputRateTest);"
                        + " a fresh session, up to " + FLOOD_RUN.toSeconds() + " s; " + machine());
    }

    private static RawWebSocket openViewer(Edge edge, String id) throws IOException {
        RawWebSocket viewer = RawWebSocket.connect(edge.port(), ViewerSocket.PATH_PREFIX + id + "?token=" + TestStack.USER_TOKEN,
                Map.of(), 0);
        if (viewer.status != 101) {
            throw new AssertionError("the viewer socket answered " + viewer.status + ": " + viewer.body);
        }
        return viewer;
    }

    /**
     * Writes mousemoves until stopped, waiting while {@code window} of them are on their way (sent,
     * not yet counted by the runner); ends quietly when the socket closes.
     */
    private static Void sendMousemoves(RawWebSocket viewer, SyntheticRunner runner, long window, AtomicLong sent,
            AtomicBoolean stop) {
        try {
            while (!stop.get()) {
                if (sent.get() - runner.inputsReceived() >= window) {
                    LockSupport.parkNanos(20_000); // not a spin: the two cores are shared with the relay
                    continue;
                }
                viewer.sendText(MOUSEMOVE);
                sent.incrementAndGet();
            }
        } catch (IOException socketClosed) {
            // nothing more can be sent; the figures say how far it got
        }
        return null;
    }

    /**
     * The runner sends frames of this size as fast as its gRPC stream's flow control lets them go;
     * each hop keeps only the newest frame for a receiver that is behind, so the viewer gets what
     * the slowest hop carries.
     */
    private void frameThroughput(SyntheticRunner runner, Received received, int size) throws Exception {
        ByteString jpeg = randomBytes(size);
        try (ExecutorService sender = Executors.newSingleThreadExecutor()) {
            Future<Long> sending = sender.submit(() -> runner.sendFramesFlowControlled(jpeg, WARM_UP.plus(FRAME_RUN)));
            Thread.sleep(WARM_UP.toMillis());
            long firstSeq = runner.framesSent() + 1;
            long frames0 = received.frames.get();
            long sent0 = runner.framesSent();
            long t0 = System.nanoTime();
            List<Double> mbPerSecond = ratePerSecond(received.jpegBytes::get, FRAME_RUN).stream().map(b -> b / 1e6).toList();
            double seconds = (System.nanoTime() - t0) / 1e9;
            double viewerFps = (received.frames.get() - frames0) / seconds;
            double runnerFps = (runner.framesSent() - sent0) / seconds;
            sending.get(FRAME_RUN.toSeconds() + 10, TimeUnit.SECONDS);
            Distribution ms = Distribution.of(received.since(firstSeq).stream().map(FrameTimes::totalMs).toList());
            row(String.format(Locale.ROOT, "frame throughput runner → control plane → edge → viewer, %d KiB frames", size / 1024),
                    Distribution.of(mbPerSecond).summary("%.1f", "MB/s", 50, 95) + String.format(Locale.ROOT,
                            "; %.0f frames/s at the viewer of %.0f/s the runner sent", viewerFps, runnerFps),
                    String.format(Locale.ROOT, "JPEG bytes (random, %d B a frame) received by one viewer taking binary frames"
                            + " (`?frames=binary`, as the UI does); the runner sends whenever its stream is ready (gRPC `isReady()`);"
                            + " MB = 10^6 B; %d s warm-up, then one-second windows; runner sent → viewer received meanwhile p50 %.1f ms,"
                            + " p95 %.1f ms; %s", size, WARM_UP.toSeconds(), ms.percentile(50), ms.percentile(95), machine()));
        }
    }

    /** Frames at a steady rate a page could have: the time each spends between the runner and the viewer, hop by hop. */
    private void pacedLatency(SyntheticRunner runner, Received received) throws Exception {
        ByteString jpeg = randomBytes(PACED_SIZE);
        Thread.sleep(500); // what the throughput runs left on its way arrives first
        long firstSeq = runner.framesSent() + 1;
        long periodNanos = 1_000_000_000L / PACED_FPS;
        long start = System.nanoTime();
        for (int i = 0; i < PACED_FRAMES; i++) {
            long wait = start + i * periodNanos - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            runner.sendFrame(jpeg);
        }
        TestStack.await("the paced frames reach the viewer", Duration.ofSeconds(5))
                .until(() -> received.since(firstSeq).stream().anyMatch(t -> t.seq() == firstSeq + PACED_FRAMES - 1));
        List<FrameTimes> times = received.since(firstSeq);
        Distribution total = Distribution.of(times.stream().map(FrameTimes::totalMs).toList());
        row(String.format(Locale.ROOT, "the relay's added latency: runner sent → viewer received, %d KiB frames at %d fps",
                        PACED_SIZE / 1024, PACED_FPS),
                total.summary("%.2f", "ms", 50, 95, 99) + String.format(Locale.ROOT, "; %d of %d frames received", times.size(),
                        PACED_FRAMES),
                String.format(Locale.ROOT, "one clock (one JVM): the runner's send stamp against the moment the viewer had the"
                        + " whole binary message; hop by hop (p50 / p99): runner → control plane relayed it %s, → the edge made its"
                        + " message %s, → the viewer received it %s ms; %s", hop(times, t -> t.relayedUs() - t.runnerSentUs()),
                        hop(times, t -> t.edgeUs() - t.relayedUs()), hop(times, t -> t.receivedUs() - t.edgeUs()), machine()));
    }

    /** The machine as a row's note gives it: its cores, and how busy it was then (other work on it shows here). */
    private static String machine() {
        return String.format(Locale.ROOT, "%d cores, load average %.1f (1 min) after the run; viewer, edge, control plane and"
                + " runner share this JVM", Runtime.getRuntime().availableProcessors(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    private static String hop(List<FrameTimes> times, ToDoubleFunction<FrameTimes> micros) {
        Distribution d = Distribution.of(times.stream().map(t -> micros.applyAsDouble(t) / 1000.0).toList());
        return String.format(Locale.ROOT, "%.2f / %.2f", d.percentile(50), d.percentile(99));
    }

    /** Samples a running count once a second for this long: the rate in each one-second window. */
    private static List<Double> ratePerSecond(LongSupplier count, Duration run) throws InterruptedException {
        List<Double> rates = new ArrayList<>();
        long start = System.nanoTime();
        long lastTime = start;
        long lastCount = count.getAsLong();
        for (long s = 1; s <= run.toSeconds(); s++) {
            TimeUnit.NANOSECONDS.sleep(start + TimeUnit.SECONDS.toNanos(s) - System.nanoTime());
            long now = System.nanoTime();
            long c = count.getAsLong();
            rates.add((c - lastCount) / ((now - lastTime) / 1e9));
            lastTime = now;
            lastCount = c;
        }
        return rates;
    }

    /** Random bytes: as incompressible as a JPEG, and nothing on the path looks inside. */
    private static ByteString randomBytes(int size) {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        return ByteString.copyFrom(bytes);
    }

    /** The session's runner: the launcher hands over its spec (the join token), and the synthetic runner dials with it. */
    static SyntheticRunner connectRunner(Edge edge, String id, TestRunners.HandOverLauncher launcher) throws Exception {
        SyntheticRunner runner = SyntheticRunner.connect(launcher.next(Duration.ofSeconds(5)), Duration.ofSeconds(5));
        TestStack.await("session " + id + " ready", Duration.ofSeconds(10)).until(() -> "ready".equals(status(edge, id)));
        return runner;
    }

    static String createSession(Edge edge) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + edge.port() + "/api/sessions"))
                .header("Authorization", "Bearer " + TestStack.USER_TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"url\":\"http://127.0.0.1:9/\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) {
            throw new AssertionError("create answered " + r.statusCode() + ": " + r.body());
        }
        return SessionJson.MAPPER.readTree(r.body()).get("sessionId").asText();
    }

    static String status(Edge edge, String id) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + edge.port() + "/api/sessions/" + id))
                .header("Authorization", "Bearer " + TestStack.USER_TOKEN).build(), HttpResponse.BodyHandlers.ofString());
        return SessionJson.MAPPER.readTree(r.body()).path("status").asText();
    }

    private void row(String measure, String figures, String note) {
        rows.add("| " + measure + " | " + figures + " | " + note + " |");
        System.out.println("bench: " + measure + ": " + figures);
    }
}
