package dev.mbi.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * `make bench`: figures, not pass/fail. Session start, input-to-photon latency (click injected →
 * first frame at the viewer showing the change) over WebRTC and over the WebSocket, and frame
 * rate, bitrate and runner CPU on an animated page. Medians of one run on this machine.
 */
@Tag("bench")
class WebRtcBench {
    private static final int CLICKS = 20;
    private static final int STARTS = 5;
    private static final int ANIMATED_SECONDS = 10;

    private static final IntPredicate WHITE = rgb -> (rgb & 0xFF) > 200 && ((rgb >> 8) & 0xFF) > 200;
    private static final IntPredicate BLACK = rgb -> (rgb & 0xFF) < 50 && ((rgb >> 8) & 0xFF) < 50;

    private final List<String> rows = new ArrayList<>();

    @Test
    void measure(@Stack({"FALLBACK_FPS=30", "MAX_SESSIONS=2"}) TestStack stack,
            @Stack("RUNNER_CAPTURE=desktop") TestStack desktop) throws Exception {
        sessionStart(stack, stack.site);
        webrtcLatency(stack, stack.site, "screencast");
        websocketLatency(stack, stack.site);
        animated(stack, stack.site, "screencast");

        webrtcLatency(desktop, desktop.site, "desktop");
        animated(desktop, desktop.site, "desktop");
        String table = "| measure | value |\n|---|---|\n" + String.join("\n", rows) + "\n";
        System.out.println("\n" + table);
        Files.writeString(Path.of("target", "bench-results.md"), table);
    }

    private void sessionStart(TestStack stack, TestSite site) throws Exception {
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < STARTS; i++) {
            long t0 = System.nanoTime();
            String id = stack.createSession(site.url("/page"));
            stack.awaitStatus(id, "ready", Duration.ofSeconds(30));
            ms.add((System.nanoTime() - t0) / 1e6);
            stack.request("DELETE", "/api/sessions/" + id, null);
            Thread.sleep(500);
        }
        row("session start, create → ready (median of " + STARTS + ")", ms(median(ms)));
    }

    private void webrtcLatency(TestStack stack, TestSite site, String capture) throws Exception {
        String id = stack.createSession(site.url("/toggle"));
        stack.awaitStatus(id, "ready", Duration.ofSeconds(30));
        List<Double> ms = new ArrayList<>();
        try (WebRtcViewer viewer = WebRtcTest.connect(stack, id, false)) {
            viewer.awaitPixel(BLACK, 15_000);
            boolean white = false;
            for (int i = 0; i < CLICKS + 2; i++) {
                white = !white;
                CompletableFuture<Long> seen = viewer.expect(white ? WHITE : BLACK);
                long t0 = System.nanoTime();
                viewer.click(640, 360);
                long t1 = seen.get(5, TimeUnit.SECONDS);
                if (i >= 2) { // the first clicks warm up the path
                    ms.add((t1 - t0) / 1e6);
                }
                Thread.sleep(200);
            }
        }
        stack.request("DELETE", "/api/sessions/" + id, null);
        row("input-to-photon over WebRTC (" + capture + " capture), p50 of " + CLICKS + " clicks", ms(percentile(ms, 50)));
        row("input-to-photon over WebRTC (" + capture + " capture), p95", ms(percentile(ms, 95)));
    }

    private void websocketLatency(TestStack stack, TestSite site) throws Exception {
        String id = stack.createSession(site.url("/toggle"));
        stack.awaitStatus(id, "ready", Duration.ofSeconds(30));
        List<Double> ms = new ArrayList<>();
        try (ViewerClient viewer = new ViewerClient(stack.wsUrl(id))) {
            viewer.awaitPixel(640, 360, BLACK, 15_000);
            boolean white = false;
            for (int i = 0; i < CLICKS + 2; i++) {
                white = !white;
                viewer.messages.clear();
                long t0 = System.nanoTime();
                viewer.send("{\"type\":\"mousedown\",\"x\":640,\"y\":360,\"button\":\"left\"}");
                viewer.send("{\"type\":\"mouseup\",\"x\":640,\"y\":360,\"button\":\"left\"}");
                viewer.awaitPixel(640, 360, white ? WHITE : BLACK, 5_000);
                if (i >= 2) {
                    ms.add((System.nanoTime() - t0) / 1e6);
                }
                Thread.sleep(200);
            }
        }
        stack.request("DELETE", "/api/sessions/" + id, null);
        row("input-to-photon over WebSocket JPEG at 30 fps, p50", ms(percentile(ms, 50)));
        row("input-to-photon over WebSocket JPEG, p95", ms(percentile(ms, 95)));
    }

    private void animated(TestStack stack, TestSite site, String capture) throws Exception {
        String id = stack.createSession(site.url("/animated"));
        stack.awaitStatus(id, "ready", Duration.ofSeconds(30));
        try (WebRtcViewer viewer = WebRtcTest.connect(stack, id, false)) {
            viewer.awaitPixel(rgb -> true, 15_000);
            Thread.sleep(3_000);
            long f0 = viewer.framesReceived;
            List<Double> cpu = new ArrayList<>();
            List<Double> kbps = new ArrayList<>();
            for (int s = 0; s < ANIMATED_SECONDS; s += 2) {
                Thread.sleep(2_000);
                JsonNode m = stack.session(id).get("metrics");
                cpu.add(m.get("cpuPercent").asDouble());
                kbps.add(m.get("webrtc").get("bitrateKbps").asDouble());
            }
            double fps = (viewer.framesReceived - f0) / (double) ANIMATED_SECONDS;
            String label = "animated page over WebRTC (" + capture + " capture): ";
            row(label + "frames received per second", String.format(Locale.ROOT, "%.1f fps", fps));
            row(label + "bitrate (median)", String.format(Locale.ROOT, "%.0f kbit/s", median(kbps)));
            row(label + "runner + Chromium CPU (median, % of one core)", String.format(Locale.ROOT, "%.0f %%", median(cpu)));
        }
        stack.request("DELETE", "/api/sessions/" + id, null);
    }

    private void row(String measure, String value) {
        rows.add("| " + measure + " | " + value + " |");
        System.out.println("bench: " + measure + ": " + value);
    }

    private static String ms(double v) {
        return String.format(Locale.ROOT, "%.0f ms", v);
    }

    private static double median(List<Double> values) {
        return percentile(values, 50);
    }

    private static double percentile(List<Double> values, int p) {
        return Distribution.of(values).percentile(p);
    }
}
