package dev.mbi.runner.egress;

import dev.mbi.egress.EgressSettings;
import static dev.mbi.runner.egress.EgressFixtures.ip;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.mbi.config.Env;
import dev.mbi.runner.egress.EgressFixtures.WebSocketEcho;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real headless Chromium pointed at the proxy with {@link EgressProxy#chromiumFlags()}, each page
 * read with {@code --dump-dom}. allowed.test exists only in the proxy's resolver (127.0.0.2,
 * allowed by {@code EGRESS_ALLOW_CIDRS}), so a page from it can only have come through the proxy.
 * The internal server listens on 127.0.0.1 at the same port.
 */
class EgressChromiumTest {
    private static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("CHROMIUM_PATH", "/usr/bin/chromium"));
    private static final ExecutorService SERVERS = Executors.newVirtualThreadPerTaskExecutor();
    private static HttpServer internal;
    private static HttpServer allowed;
    private static WebSocketEcho allowedWs;
    private static int port;

    private final ConcurrentLinkedQueue<String> blocked = new ConcurrentLinkedQueue<>();
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private EgressProxy proxy;
    @TempDir
    Path profile;

    @BeforeAll
    static void servers() throws IOException {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM), "Chromium is not installed at " + CHROMIUM);
        internal = EgressFixtures.origin("internal", new InetSocketAddress(ip("127.0.0.1"), 0), SERVERS);
        port = internal.getAddress().getPort();
        allowed = EgressFixtures.origin("allowed", new InetSocketAddress(ip("127.0.0.2"), port), SERVERS);
        allowedWs = new WebSocketEcho(new InetSocketAddress(ip("127.0.0.2"), 0));
        // A page that reaches for loopback every way a page can: each on its own loopback address,
        // so the proxy's reports say which one was stopped.
        allowed.createContext("/slow", exchange -> {
            try (exchange) {
                Thread.sleep(1_500);
                exchange.sendResponseHeaders(404, -1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        allowed.createContext("/app", exchange -> {
            try (exchange) {
                String p = ":" + port;
                byte[] body = ("<!doctype html><html><body><h1 id=\"who\">app</h1>"
                        + "<p id=\"fetch\">pending</p><p id=\"ws\">pending</p><p id=\"blockedws\">pending</p>"
                        + "<img src=\"http://127.0.0.3" + p + "/img.png\">"
                        + "<script>"
                        + "fetch('http://127.0.0.4" + p + "/data').then(r => r.status)"
                        + "  .then(s => document.getElementById('fetch').textContent = 'status ' + s,"
                        + "        e => document.getElementById('fetch').textContent = 'failed');"
                        + "const bad = new WebSocket('ws://127.0.0.5" + p + "/ws');"
                        + "bad.onerror = () => document.getElementById('blockedws').textContent = 'failed';"
                        + "bad.onopen = () => document.getElementById('blockedws').textContent = 'open';"
                        + "const ws = new WebSocket('ws://allowed.test:" + allowedWs.port() + "/');"
                        + "ws.onopen = () => ws.send('through the proxy');"
                        + "ws.onmessage = e => document.getElementById('ws').textContent = 'echo: ' + e.data;"
                        + "</script>"
                        // Holds the load event (and so --dump-dom) until the WebSocket has had time to echo.
                        + "<img src=\"/slow\"></body></html>").getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "text/html; charset=utf-8");
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            }
        });
    }

    @AfterAll
    static void stopServers() throws IOException {
        if (internal != null) {
            internal.stop(0);
            allowed.stop(0);
            allowedWs.close();
        }
        SERVERS.shutdownNow();
    }

    @BeforeEach
    void start() throws IOException {
        Env env = new Env(Map.of(EgressSettings.ALLOW_CIDRS, "127.0.0.2/32"));
        EgressPolicy policy = EgressPolicy.of(EgressSettings.from(env));
        env.requireValid("test");
        proxy = EgressProxy.builder(policy)
                .resolver(name -> name.equals("allowed.test") ? List.of(ip("127.0.0.2")) : HostResolver.system().resolve(name))
                .executor(executor)
                .listener((host, reason) -> blocked.add(host + " " + reason.name()))
                .start();
    }

    @AfterEach
    void stop() {
        proxy.close();
        executor.shutdownNow();
    }

    /** Runs Chromium on one URL and returns the DOM it printed. */
    private String dumpDom(List<String> proxyFlags, String url, String... extra) throws Exception {
        List<String> command = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile.resolve("p")));
        command.addAll(proxyFlags);
        command.addAll(List.of(extra));
        command.addAll(List.of("--dump-dom", url));
        Process chromium = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            String dom = new String(chromium.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(chromium.waitFor(60, TimeUnit.SECONDS), "Chromium ended");
            return dom;
        } finally {
            chromium.descendants().forEach(ProcessHandle::destroyForcibly);
            chromium.destroyForcibly();
            try (Stream<Path> files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).filter(f -> !f.equals(profile)).forEach(f -> f.toFile().delete());
            }
        }
    }

    @Test
    void withoutTheBypassFlagChromiumGoesAroundTheProxyForLoopback() throws Exception {
        String dom = dumpDom(List.of("--proxy-server=http://127.0.0.1:" + proxy.port()), "http://127.0.0.1:" + port + "/");
        assertTrue(dom.contains("<h1 id=\"who\">internal</h1>"), "Chromium's implicit bypass rule: " + dom);
        assertFalse(dom.contains("connection: close"), "the proxy adds that header; it never saw this request");
        assertEquals(List.of(), List.copyOf(blocked));
    }

    @Test
    void loopbackNavigationsAreBlockedWithThePage() throws Exception {
        for (String url : List.of("http://127.0.0.1:" + port + "/", "http://2130706433:" + port + "/",
                "http://0x7f.1:" + port + "/", "http://localhost:" + port + "/")) {
            String dom = dumpDom(proxy.chromiumFlags(), url);
            assertTrue(dom.contains("blocked by the rule <b>loopback</b>"), url + ": " + dom);
            assertFalse(dom.contains(">internal<"), url);
        }
        assertTrue(blocked.contains("127.0.0.1 LOOPBACK") && blocked.contains("localhost LOOPBACK"), String.valueOf(blocked));
        assertTrue(blocked.stream().allMatch(b -> b.endsWith(" LOOPBACK")), String.valueOf(blocked));
    }

    @Test
    void httpsAndIpv6LoopbackAreBlocked() throws Exception {
        String dom = dumpDom(proxy.chromiumFlags(), "https://127.0.0.1:" + port + "/");
        assertFalse(dom.contains(">internal<"));
        dumpDom(proxy.chromiumFlags(), "http://[::1]:" + port + "/");
        await().atMost(Duration.ofSeconds(5)).until(() ->
                blocked.contains("127.0.0.1 LOOPBACK") && blocked.contains("[0:0:0:0:0:0:0:1] LOOPBACK"));
    }

    @Test
    void anAllowedHostLoadsAndEverythingItReachesForOnLoopbackIsBlocked() throws Exception {
        String dom = dumpDom(proxy.chromiumFlags(), "http://allowed.test:" + port + "/app", "--virtual-time-budget=5000");
        assertTrue(dom.contains("<h1 id=\"who\">app</h1>"), "the page came through the proxy: " + dom);
        assertTrue(dom.contains("echo: through the proxy"), "a WebSocket to an allowed host works through CONNECT: " + dom);
        assertTrue(dom.contains("<p id=\"fetch\">failed</p>"), dom);
        assertTrue(dom.contains("<p id=\"blockedws\">failed</p>"), dom);
        await().atMost(Duration.ofSeconds(5)).until(() -> blocked.containsAll(List.of(
                "127.0.0.3 LOOPBACK",     // <img>
                "127.0.0.4 LOOPBACK",     // fetch()
                "127.0.0.5 LOOPBACK")));  // new WebSocket('ws://...'): a CONNECT
    }
}
