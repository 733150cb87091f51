package dev.mbi.edge;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A page on 127.0.0.1 for the remote browser to open. It reports what happens to it (clicks,
 * keys, form submits) back to this server, so tests see exactly what the page saw.
 */
final class TestSite implements AutoCloseable {
    /** Green page; a 400x200 button at the top left turns it red; a text field at (0,300)-(400,400). */
    static final String PAGE = """
            <!doctype html><html><head><title>test page</title></head>
            <body style="margin:0;background:#00c000;width:100vw;height:100vh">
            <button id="b" style="position:absolute;left:0;top:0;width:400px;height:200px;font-size:40px"
              onclick="document.body.style.background='#e00000';report('click')">Click</button>
            <form id="f" style="position:absolute;left:0;top:300px;margin:0"
              onsubmit="report('submit:' + document.getElementById('t').value); return false;">
              <input id="t" autocomplete="off" style="width:400px;height:100px;font-size:40px;box-sizing:border-box"
                onkeydown="if (event.key === 'Enter') report('enter')">
            </form>
            <script>
              function report(what) { fetch('/report?event=' + encodeURIComponent(what)); }
              window.addEventListener('wheel', e => report('wheel:' + Math.sign(e.deltaY)));
            </script>
            </body></html>
            """;

    /** Any click toggles the whole page between black and white (for latency measurements). */
    static final String TOGGLE_PAGE = """
            <!doctype html><html><body style="margin:0;background:#000;width:100vw;height:100vh"
              onmousedown="document.body.style.background = document.body.style.background === 'rgb(255, 255, 255)' ? '#000' : '#fff'">
            </body></html>
            """;

    /** A click anywhere plays a 440 Hz tone (browsers let pages play sound after a gesture). */
    static final String TONE_PAGE = """
            <!doctype html><html><head><title>tone</title></head>
            <body style="margin:0;background:#00c000;width:100vw;height:100vh">
            <script>
              document.body.addEventListener('mousedown', async () => {
                const audio = new AudioContext();
                const tone = audio.createOscillator();
                tone.frequency.value = 440;
                tone.connect(audio.destination);
                tone.start();
                await audio.resume();
                document.body.style.background = '#e00000';
                fetch('/report?event=' + encodeURIComponent('tone:' + audio.state));
              }, { once: true });
            </script>
            </body></html>
            """;

    /** A one-page PDF with one line of text. */
    static final String PDF = """
            %PDF-1.4
            1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
            2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
            3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R
              /Resources << /Font << /F1 5 0 R >> >> >> endobj
            4 0 obj << /Length 44 >> stream
            BT /F1 48 Tf 72 600 Td (A PDF page) Tj ET
            endstream endobj
            5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj
            trailer << /Root 1 0 R >>
            %%EOF
            """;

    /** A page that changes every animation frame (for frame-rate and bitrate measurements). */
    static final String ANIMATED_PAGE = """
            <!doctype html><html><body style="margin:0;overflow:hidden"><canvas id="c" width="1280" height="720"></canvas>
            <script>
              const c = document.getElementById('c').getContext('2d');
              let t = 0;
              function draw() {
                t++;
                c.fillStyle = 'hsl(' + (t * 7 % 360) + ',70%,50%)';
                c.fillRect(0, 0, 1280, 720);
                c.fillStyle = '#fff';
                c.font = '120px sans-serif';
                c.fillText('frame ' + t, 100 + (t * 13 % 600), 400);
                requestAnimationFrame(draw);
              }
              draw();
            </script></body></html>
            """;

    /** Reports what the browser's profile already holds (history, cookies), then leaves a cookie behind. */
    static final String PROFILE_PAGE = """
            <!doctype html><html><body style="margin:0;background:#00c000;width:100vw;height:100vh">
            <script>
              fetch('/report?event=' + encodeURIComponent('profile history=' + history.length + ' cookies=' + document.cookie))
                .then(() => { document.cookie = 'visited=yes; max-age=3600; path=/'; });
            </script></body></html>
            """;

    /** A page three screens tall of random pixels: its full-page PNG cannot be small. */
    static final String NOISE_PAGE = """
            <!doctype html><html><head><title>noise</title></head><body style="margin:0">
            <canvas id="c" width="1280" height="2400" style="display:block"></canvas>
            <script>
              const c = document.getElementById('c').getContext('2d');
              const img = c.createImageData(1280, 2400);
              for (let i = 0; i < img.data.length; i++) img.data[i] = (i % 4 === 3) ? 255 : Math.random() * 256;
              c.putImageData(img, 0, 0);
            </script></body></html>
            """;

    /**
     * Everything that crosses a session's boundary, each control at a known spot of a 1280x720 page:
     * copy (0,0)-(300,100), paste field (0,120)-(300,220), download link (0,240)-(300,340), file
     * input (0,360)-(300,460), print (0,480)-(300,580) and a big download (0,600)-(300,700): all
     * within a phone's width, so a phone-sized page is not widened to fit them. The page
     * reports pastes (and the paste field's focus, and keys, to tell a missed click from a missed
     * key), chosen files, its width and touch support.
     */
    static final String DATA_PAGE = """
            <!doctype html><html><head><title>data paths</title><meta name="viewport" content="width=device-width"></head>
            <body style="margin:0;background:#00c000;width:100vw;height:100vh">
            <button id="copy" style="position:absolute;left:0;top:0;width:300px;height:100px"
              onclick="navigator.clipboard.writeText('copied by the page').catch(e => report('copy failed:' + e))">Copy</button>
            <input id="paste" style="position:absolute;left:0;top:120px;width:300px;height:100px;box-sizing:border-box"
              onfocus="report('focus:paste')" onpaste="report('paste:' + event.clipboardData.getData('text/plain'))">
            <a id="dl" href="/file?bytes=65536" style="position:absolute;left:0;top:240px;width:300px;height:100px;display:block">download</a>
            <a id="big" href="/file?bytes=52428800" style="position:absolute;left:0;top:600px;width:300px;height:100px;display:block">big</a>
            <input id="file" type="file" accept=".txt,text/plain" style="position:absolute;left:0;top:360px;width:300px;height:100px"
              onchange="for (const f of this.files) report('file:' + f.name + ':' + f.size)">
            <button id="print" style="position:absolute;left:0;top:480px;width:300px;height:100px" onclick="window.print()">Print</button>
            <script>
              function report(what) { fetch('/report?event=' + encodeURIComponent(what)); }
              window.addEventListener('resize', () => report('width:' + innerWidth + ' touch:' + (navigator.maxTouchPoints > 0)));
              window.addEventListener('keydown', e => report('key:' + (e.ctrlKey ? 'ctrl+' : '') + e.key));
            </script>
            </body></html>
            """;

    /** The bytes /file?bytes=N serves: the same for every request, so a test knows them. */
    static byte[] fileBytes(int offset, int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            long x = offset + i;
            b[i] = (byte) ((x * 2654435761L) >>> 13);
        }
        return b;
    }

    private final HttpServer server;
    private final BlockingQueue<String> reports = new LinkedBlockingQueue<>();
    /** Reports that arrived while another one was awaited, oldest first. */
    private final java.util.List<String> early = new java.util.ArrayList<>();
    private final java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();

    private final String host;

    /** On 127.0.0.1, or another address of this machine, e.g. a Docker bridge's gateway, for runners in containers. */
    TestSite(String host) throws IOException {
        this.host = host;
        server = HttpServer.create(new InetSocketAddress(host, 0), 0);
        server.createContext("/page", exchange -> respond(exchange, "text/html", PAGE));
        server.createContext("/profile", exchange -> respond(exchange, "text/html", PROFILE_PAGE));
        server.createContext("/toggle", exchange -> respond(exchange, "text/html", TOGGLE_PAGE));
        server.createContext("/tone", exchange -> respond(exchange, "text/html", TONE_PAGE));
        server.createContext("/animated", exchange -> respond(exchange, "text/html", ANIMATED_PAGE));
        server.createContext("/noise", exchange -> respond(exchange, "text/html", NOISE_PAGE));
        server.createContext("/data", exchange -> respond(exchange, "text/html", DATA_PAGE));
        // A PDF to open, not an attachment: Chromium shows it, its headless shell downloads it.
        server.createContext("/doc.pdf", exchange -> respond(exchange, "application/pdf", PDF));
        server.createContext("/file", exchange -> {
            int size = Integer.parseInt(exchange.getRequestURI().getQuery().replace("bytes=", ""));
            requests.incrementAndGet();
            exchange.getResponseHeaders().add("Content-Type", "application/octet-stream");
            exchange.getResponseHeaders().add("Content-Disposition", "attachment; filename=\"file-" + size + ".bin\"");
            exchange.sendResponseHeaders(200, size);
            try (OutputStream out = exchange.getResponseBody()) {
                for (int offset = 0; offset < size; offset += 65536) {
                    out.write(fileBytes(offset, Math.min(65536, size - offset)));
                }
            }
        });
        server.createContext("/report", exchange -> {
            String query = exchange.getRequestURI().getRawQuery();
            reports.add(URLDecoder.decode(query.substring(query.indexOf('=') + 1), StandardCharsets.UTF_8));
            respond(exchange, "text/plain", "ok");
        });
        server.start();
    }

    /** Requests this site answered so far (any path). */
    int requests() {
        return requests.get();
    }

    private void respond(com.sun.net.httpserver.HttpExchange exchange, String type, String body) throws IOException {
        requests.incrementAndGet();
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", type + "; charset=utf-8");
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    String pageUrl() {
        return url("/page");
    }

    String url(String path) {
        return "http://" + host + ":" + server.getAddress().getPort() + path;
    }

    /** Waits for the page to report this event, skipping others. */
    void awaitReport(String expected, long timeoutMs) throws InterruptedException {
        // Reports travel as separate requests (through the runner's egress proxy), so two the page
        // sends together may arrive in either order: one that arrives early waits here for its turn.
        long deadline = System.currentTimeMillis() + timeoutMs;
        synchronized (early) {
            if (early.remove(expected)) {
                return;
            }
        }
        while (System.currentTimeMillis() < deadline) {
            String r = reports.poll(deadline - System.currentTimeMillis(), TimeUnit.MILLISECONDS);
            if (expected.equals(r)) {
                return;
            }
            if (r != null) {
                synchronized (early) {
                    early.add(r);
                }
            }
        }
        synchronized (early) {
            throw new AssertionError("the page did not report '" + expected + "' (it reported: " + early + ")");
        }
    }

    /** Forgets what the page has reported so far. */
    void clearReports() {
        reports.clear();
        synchronized (early) {
            early.clear();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
