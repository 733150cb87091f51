package dev.mbi.runner.egress;

import dev.mbi.egress.EgressSettings;
import dev.mbi.egress.UpstreamProxy;
import static dev.mbi.runner.egress.EgressFixtures.connect;
import static dev.mbi.runner.egress.EgressFixtures.exchange;
import static dev.mbi.runner.egress.EgressFixtures.ip;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.mbi.config.Env;
import dev.mbi.runner.egress.EgressFixtures.TableResolver;
import dev.mbi.runner.egress.EgressFixtures.Tunnel;
import dev.mbi.runner.egress.EgressFixtures.WebSocketEcho;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The egress proxy with real sockets. Every local address is private, so "allowed" is a server on
 * 127.0.0.2 with {@code EGRESS_ALLOW_CIDRS=127.0.0.2/32} (Linux routes all of 127/8 to the
 * loopback interface), and "denied" is the same kind of server on 127.0.0.1, which only the
 * loopback rule stands between. Names come from a test resolver: allowed.test is 127.0.0.2,
 * internal.test 127.0.0.1.
 */
class EgressProxyTest {
    private static final ExecutorService SERVERS = Executors.newVirtualThreadPerTaskExecutor();
    private static HttpServer internal;
    private static HttpServer allowed;
    private static int port;

    private final ConcurrentLinkedQueue<String> blocked = new ConcurrentLinkedQueue<>();
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private TableResolver resolver;
    private EgressProxy proxy;

    @BeforeAll
    static void servers() throws IOException {
        // The same port on both addresses, so a request that went to the wrong one would still be answered.
        internal = EgressFixtures.origin("internal", new InetSocketAddress(ip("127.0.0.1"), 0), SERVERS);
        port = internal.getAddress().getPort();
        allowed = EgressFixtures.origin("allowed", new InetSocketAddress(ip("127.0.0.2"), port), SERVERS);
    }

    @AfterAll
    static void stopServers() {
        internal.stop(0);
        allowed.stop(0);
        SERVERS.shutdownNow();
    }

    @BeforeEach
    void start() throws IOException {
        AtomicInteger rebinds = new AtomicInteger();
        TableResolver table = new TableResolver(Map.of(
                "allowed.test", List.of(ip("127.0.0.2")),
                "internal.test", List.of(ip("127.0.0.1")),
                "both.test", List.of(ip("127.0.0.2"), ip("127.0.0.1"))));
        resolver = new TableResolver(Map.of()) {
            @Override
            public List<InetAddress> resolve(String name) throws java.net.UnknownHostException {
                lookups.add(name);
                if (name.equals("rebind.test")) {
                    // First answer allowed, every later one loopback: a DNS rebinding attack.
                    return List.of(ip(rebinds.getAndIncrement() == 0 ? "127.0.0.2" : "127.0.0.1"));
                }
                return table.resolve(name);
            }
        };
        proxy = start(settings(Map.of(EgressSettings.ALLOW_CIDRS, "127.0.0.2/32")), Optional.empty());
    }

    private EgressProxy start(EgressSettings settings, Optional<UpstreamProxy> upstream) throws IOException {
        return EgressProxy.builder(EgressPolicy.of(settings))
                .resolver(resolver)
                .upstream(upstream)
                .executor(executor)
                .listener((host, reason) -> blocked.add(host + " " + reason.name()))
                .connectTimeout(Duration.ofSeconds(3))
                .start();
    }

    @AfterEach
    void stop() throws InterruptedException {
        proxy.close();
        executor.shutdownNow();
        assertTrue(executor.awaitTermination(5, TimeUnit.SECONDS), "every proxy thread ended");
    }

    private static EgressSettings settings(Map<String, String> env) {
        Env e = new Env(env);
        EgressSettings s = EgressSettings.from(e);
        e.requireValid("test");
        return s;
    }

    private HttpClient client(HttpClient.Redirect redirects) {
        return HttpClient.newBuilder()
                .proxy(ProxySelector.of(proxy.address()))
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(redirects)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    private HttpResponse<String> get(String url) throws Exception {
        try (HttpClient c = client(HttpClient.Redirect.NEVER)) {
            return c.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }

    // ---- plain HTTP

    @Test
    void anAllowedHostIsReachedWithPlainHttp() throws Exception {
        HttpResponse<String> r = get("http://allowed.test:" + port + "/page?q=1");
        assertEquals(200, r.statusCode());
        assertTrue(r.body().contains("<h1 id=\"who\">allowed</h1>"), r.body());
        assertTrue(r.body().contains("GET /page?q=1"), "origin-form on the way out: " + r.body());
        assertTrue(r.body().contains("host: allowed.test:" + port), r.body());
        assertTrue(r.body().contains("connection: close"), r.body());
        assertFalse(r.body().contains("proxy-connection"), r.body());
        assertEquals(Optional.of("close"), r.headers().firstValue("connection"));
        assertEquals(List.of(), List.copyOf(blocked));
        assertEquals(List.of("allowed.test"), resolver.lookups);
    }

    @Test
    void bodiesGoBothWays() throws Exception {
        try (HttpClient c = client(HttpClient.Redirect.NEVER)) {
            String big = "x".repeat(300_000);
            HttpResponse<String> r = c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.2:" + port + "/echo"))
                    .POST(HttpRequest.BodyPublishers.ofString(big)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(big, r.body());
            HttpResponse<String> chunked = c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.2:" + port + "/chunked")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertTrue(chunked.body().contains("allowed"));
        }
    }

    @Test
    void loopbackIsDeniedWithAPageThatNamesTheRuleAndTheHost() throws Exception {
        HttpResponse<String> r = get("http://127.0.0.1:" + port + "/");
        assertEquals(403, r.statusCode());
        assertEquals(Optional.of("loopback"), r.headers().firstValue(EgressProxy.BLOCKED_HEADER));
        assertTrue(r.headers().firstValue("content-type").orElseThrow().startsWith("text/html"));
        assertTrue(r.body().contains("<b>127.0.0.1</b>") && r.body().contains("<b>loopback</b>"), r.body());
        assertFalse(r.body().contains("internal"), "the internal server was not reached");
        assertEquals(List.of("127.0.0.1 LOOPBACK"), List.copyOf(blocked));
    }

    @Test
    void aNameThatResolvesToLoopbackIsDenied() throws Exception {
        HttpResponse<String> r = get("http://internal.test:" + port + "/");
        assertEquals(403, r.statusCode());
        assertTrue(r.body().contains("<b>internal.test</b> (127.0.0.1)"), r.body());
        assertEquals(List.of("internal.test LOOPBACK"), List.copyOf(blocked));
    }

    @Test
    void aNameWithOneDeniedAddressAmongAllowedOnesIsDenied() throws Exception {
        assertEquals(403, get("http://both.test:" + port + "/").statusCode());
        assertEquals(List.of("both.test LOOPBACK"), List.copyOf(blocked));
    }

    @Test
    void aRedirectIntoLoopbackIsDeniedOnTheSecondRequest() throws Exception {
        String target = "http://127.0.0.1:" + port + "/secret";
        try (HttpClient c = client(HttpClient.Redirect.NORMAL)) {
            HttpResponse<String> r = c.send(HttpRequest.newBuilder(
                    URI.create("http://allowed.test:" + port + "/redirect?" + target)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(403, r.statusCode());
            assertEquals(URI.create(target), r.uri(), "the client followed the redirect");
            assertTrue(r.previousResponse().isPresent() && r.previousResponse().get().statusCode() == 302);
        }
        assertEquals(List.of("127.0.0.1 LOOPBACK"), List.copyOf(blocked));
    }

    @Test
    void dnsRebindingIsCaught() throws Exception {
        HttpResponse<String> first = get("http://rebind.test:" + port + "/");
        assertTrue(first.body().contains(">allowed<"), "went to the address that was checked: " + first.body());
        assertEquals(List.of("rebind.test"), resolver.lookups, "one lookup per request");
        // The name now points at loopback: the next request is judged on that.
        assertEquals(403, get("http://rebind.test:" + port + "/").statusCode());
        assertEquals(List.of("rebind.test LOOPBACK"), List.copyOf(blocked));
        // And through a tunnel too: the lookup's answer is what is checked and what is connected to.
        try (Tunnel t = connect(proxy.address(), "rebind.test:" + port)) {
            assertEquals(403, t.status());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"2130706433", "0x7f000001", "0177.0.0.1", "0x7f.1", "127.1", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]"})
    void oddSpellingsOfLoopbackAreDenied(String host) throws Exception {
        String answer = exchange(proxy.address(), "GET http://" + host + ":" + port + "/ HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.1 403 "), answer);
        assertFalse(answer.contains(">internal<"), answer);
        try (Tunnel t = connect(proxy.address(), host + ":" + port)) {
            assertEquals(403, t.status());
        }
        assertEquals(List.of("127.0.0.1 LOOPBACK", "127.0.0.1 LOOPBACK"), List.copyOf(blocked));
    }

    @Test
    void ipv6LoopbackAndUnspecifiedAreDenied() throws Exception {
        try (Tunnel t = connect(proxy.address(), "[::1]:" + port)) {
            assertEquals(403, t.status());
        }
        try (Tunnel t = connect(proxy.address(), "[::]:" + port)) {
            assertEquals(403, t.status());
        }
        try (Tunnel t = connect(proxy.address(), "0.0.0.0:" + port)) {
            assertEquals(403, t.status());
        }
        assertEquals(List.of("[0:0:0:0:0:0:0:1] LOOPBACK", "[0:0:0:0:0:0:0:0] UNSPECIFIED", "0.0.0.0 UNSPECIFIED"), List.copyOf(blocked));
    }

    // ---- CONNECT

    @Test
    void anAllowedHostIsReachedThroughConnect() throws Exception {
        try (Tunnel t = connect(proxy.address(), "allowed.test:" + port)) {
            assertEquals(200, t.status());
            String answer = t.send("GET /tunnelled HTTP/1.1\r\nHost: allowed.test\r\nConnection: close\r\n\r\n");
            assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
            assertTrue(answer.contains(">allowed<") && answer.contains("GET /tunnelled"), answer);
        }
        assertEquals(List.of(), List.copyOf(blocked));
    }

    @Test
    void connectToLoopbackGets403AndIsClosed() throws Exception {
        try (Tunnel t = connect(proxy.address(), "127.0.0.1:" + port)) {
            assertEquals(403, t.status());
            assertEquals("loopback", t.header(EgressProxy.BLOCKED_HEADER));
            assertEquals("0", t.header("Content-Length"));
            assertTrue(t.closedByProxy());
        }
        try (Tunnel t = connect(proxy.address(), "internal.test:" + port)) {
            assertEquals(403, t.status());
        }
        assertEquals(List.of("127.0.0.1 LOOPBACK", "internal.test LOOPBACK"), List.copyOf(blocked));
    }

    @Test
    void theMetadataAddressIsDeniedWithoutAnyLookupOrConnection() throws Exception {
        try (Tunnel t = connect(proxy.address(), "169.254.169.254:80")) {
            assertEquals(403, t.status());
            assertEquals("link-local", t.header(EgressProxy.BLOCKED_HEADER));
        }
        assertEquals(List.of(), resolver.lookups);
    }

    // ---- WebSockets (Chromium tunnels ws:// and wss:// with CONNECT)

    @Test
    void webSocketsGoThroughATunnelToAnAllowedHostAndNotToLoopback() throws Exception {
        try (WebSocketEcho allowedWs = new WebSocketEcho(new InetSocketAddress(ip("127.0.0.2"), 0));
             WebSocketEcho internalWs = new WebSocketEcho(new InetSocketAddress(ip("127.0.0.1"), 0));
             HttpClient c = client(HttpClient.Redirect.NEVER)) {
            CompletableFuture<String> echoed = new CompletableFuture<>();
            WebSocket ws = c.newWebSocketBuilder().buildAsync(URI.create("ws://allowed.test:" + allowedWs.port() + "/"),
                    new WebSocket.Listener() {
                        @Override
                        public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                            echoed.complete(data.toString());
                            return null;
                        }
                    }).get(10, TimeUnit.SECONDS);
            ws.sendText("hello", true);
            assertEquals("hello", echoed.get(10, TimeUnit.SECONDS));
            ws.abort();

            ExecutionException e = assertThrows(ExecutionException.class, () -> c.newWebSocketBuilder()
                    .buildAsync(URI.create("ws://127.0.0.1:" + internalWs.port() + "/"), new WebSocket.Listener() { })
                    .get(10, TimeUnit.SECONDS));
            assertTrue(String.valueOf(e.getCause()).contains("403"), String.valueOf(e.getCause()));
            try (Tunnel t = connect(proxy.address(), "[::ffff:127.0.0.1]:" + internalWs.port())) {
                assertEquals(403, t.status());
            }
        }
        assertEquals(List.of("127.0.0.1 LOOPBACK", "127.0.0.1 LOOPBACK"), List.copyOf(blocked));
    }

    // ---- what the proxy refuses or cannot do

    @Test
    void otherSchemesAndOriginFormAreRefused() throws Exception {
        String ftp = exchange(proxy.address(), "GET ftp://ftp.example/file HTTP/1.1\r\nHost: ftp.example\r\n\r\n");
        assertTrue(ftp.startsWith("HTTP/1.1 403 ") && ftp.contains("unsupported request"), ftp);
        String https = exchange(proxy.address(), "GET https://allowed.test/ HTTP/1.1\r\nHost: allowed.test\r\n\r\n");
        assertTrue(https.startsWith("HTTP/1.1 403 "), https);
        String originForm = exchange(proxy.address(), "GET / HTTP/1.1\r\nHost: allowed.test\r\n\r\n");
        assertTrue(originForm.startsWith("HTTP/1.1 400 "), originForm);
        String http2 = exchange(proxy.address(), "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        assertTrue(http2.startsWith("HTTP/1.1 400 "), http2);
        String garbage = exchange(proxy.address(), "GET http://allowed.test/\r\nBad Header\r\n\r\n");
        assertTrue(garbage.startsWith("HTTP/1.1 400 "), garbage);
        String userinfo = exchange(proxy.address(), "GET http://user@allowed.test/ HTTP/1.1\r\n\r\n");
        assertTrue(userinfo.startsWith("HTTP/1.1 403 ") && userinfo.contains("invalid host"), userinfo);
        try (Tunnel t = connect(proxy.address(), "allowed.test:0")) {
            assertEquals(403, t.status());
        }
        try (Tunnel t = connect(proxy.address(), "::1:" + port)) {
            assertEquals(403, t.status(), "IPv6 without brackets is not an authority");
        }
        assertEquals(List.of("ftp.example UNSUPPORTED", "allowed.test UNSUPPORTED", "user@allowed.test INVALID_HOST",
                "allowed.test UNSUPPORTED", "::1:" + port + " INVALID_HOST"), List.copyOf(blocked));
    }

    @Test
    void unresolvableAndUnreachableHostsGet502() throws Exception {
        HttpResponse<String> r = get("http://nowhere.test/");
        assertEquals(502, r.statusCode());
        assertTrue(r.body().contains("does not resolve"), r.body());
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, ip("127.0.0.2"))) {
            closed = s.getLocalPort();
        }
        assertEquals(502, get("http://127.0.0.2:" + closed + "/").statusCode());
        try (Tunnel t = connect(proxy.address(), "127.0.0.2:" + closed)) {
            assertEquals(502, t.status());
        }
        assertEquals(List.of(), List.copyOf(blocked), "not a policy decision");
    }

    @Test
    void theProxyNeverConnectsToItself() throws Exception {
        proxy.close();
        proxy = start(settings(Map.of(EgressSettings.ALLOW_PRIVATE, "true")), Optional.empty());
        assertEquals(200, get("http://127.0.0.1:" + port + "/").statusCode(), "loopback allowed for development");
        try (Tunnel t = connect(proxy.address(), "127.0.0.1:" + proxy.port())) {
            assertEquals(403, t.status());
            assertEquals("denied address", t.header(EgressProxy.BLOCKED_HEADER));
        }
    }

    @Test
    void narrowingAppliesToNewRequests() throws Exception {
        assertEquals(200, get("http://allowed.test:" + port + "/").statusCode());
        proxy.denyHosts(List.of("allowed.test"));
        assertEquals(403, get("http://allowed.test:" + port + "/").statusCode());
        assertEquals(200, get("http://127.0.0.2:" + port + "/").statusCode());
        proxy.denyEndpoint(new InetSocketAddress(ip("127.0.0.2"), port));
        assertEquals(403, get("http://127.0.0.2:" + port + "/").statusCode());
        assertEquals(List.of("allowed.test DENIED_HOST", "127.0.0.2 DENIED_ADDRESS"), List.copyOf(blocked));
    }

    @Test
    void closingEndsOpenTunnelsAndRefusesNewConnections() throws Exception {
        Tunnel open = connect(proxy.address(), "allowed.test:" + port);
        assertEquals(200, open.status());
        proxy.close();
        assertTrue(open.closedByProxy());
        open.close();
        assertThrows(IOException.class, () -> {
            try (Socket s = new Socket()) {
                s.connect(proxy.address(), 2_000);
                s.setSoTimeout(2_000);
                s.getOutputStream().write("GET http://allowed.test/ HTTP/1.1\r\n\r\n".getBytes());
                if (s.getInputStream().read() < 0) {
                    throw new IOException("closed");
                }
            }
        });
    }

    @Test
    void aClientThatSendsNothingIsDroppedAfterTheHeadTimeout() throws Exception {
        proxy.close();
        proxy = EgressProxy.builder(EgressPolicy.defaults()).executor(executor).headTimeout(Duration.ofMillis(300)).start();
        try (Socket s = new Socket()) {
            s.connect(proxy.address(), 2_000);
            s.setSoTimeout(5_000);
            long t0 = System.nanoTime();
            assertEquals(-1, s.getInputStream().read());
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(4));
        }
    }

    // ---- an upstream proxy

    @Test
    void throughAnUpstreamProxyTheCheckedAddressIsWhatIsAskedFor() throws Exception {
        TableResolver upstreamDns = new TableResolver(Map.of());
        ConcurrentLinkedQueue<String> upstreamBlocked = new ConcurrentLinkedQueue<>();
        try (EgressProxy upstream = EgressProxy.builder(EgressPolicy.of(settings(Map.of(EgressSettings.ALLOW_PRIVATE, "true"))))
                .resolver(upstreamDns).executor(executor)
                .listener((h, r) -> upstreamBlocked.add(h + " " + r.name())).start()) {
            proxy.close();
            proxy = start(settings(Map.of(EgressSettings.ALLOW_CIDRS, "127.0.0.2/32")),
                    Optional.of(UpstreamProxy.parse("127.0.0.1:" + upstream.port())));

            HttpResponse<String> r = get("http://allowed.test:" + port + "/via");
            assertEquals(200, r.statusCode());
            assertTrue(r.body().contains(">allowed<") && r.body().contains("host: allowed.test:" + port), r.body());
            try (Tunnel t = connect(proxy.address(), "allowed.test:" + port)) {
                assertEquals(200, t.status());
                assertTrue(t.send("GET / HTTP/1.1\r\nHost: allowed.test\r\nConnection: close\r\n\r\n").contains(">allowed<"));
            }
            assertEquals(List.of(), upstreamDns.lookups, "the upstream was asked for addresses, never names");

            // Denied here, though the upstream would allow it: it never gets there.
            assertEquals(403, get("http://127.0.0.1:" + port + "/").statusCode());
            assertEquals(List.of("127.0.0.1 LOOPBACK"), List.copyOf(blocked));
            assertEquals(List.of(), List.copyOf(upstreamBlocked));
        }
    }

    @Test
    void anUpstreamProxyThatRefusesGives502() throws Exception {
        try (EgressProxy strict = EgressProxy.builder(EgressPolicy.defaults()).executor(executor).start()) {
            proxy.close();
            proxy = start(settings(Map.of(EgressSettings.ALLOW_CIDRS, "127.0.0.2/32")),
                    Optional.of(UpstreamProxy.parse("127.0.0.1:" + strict.port())));
            assertEquals(502, get("http://allowed.test:" + port + "/").statusCode());
            try (Tunnel t = connect(proxy.address(), "allowed.test:" + port)) {
                assertEquals(502, t.status());
            }
        }
    }

    @Test
    void manyConnectionsAtOnce() throws Exception {
        try (HttpClient c = client(HttpClient.Redirect.NEVER)) {
            List<CompletableFuture<HttpResponse<String>>> all = new java.util.ArrayList<>();
            for (int i = 0; i < 100; i++) {
                String host = i % 2 == 0 ? "allowed.test" : "127.0.0.1";
                all.add(c.sendAsync(HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + "/" + i)).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            for (int i = 0; i < all.size(); i++) {
                assertEquals(i % 2 == 0 ? 200 : 403, all.get(i).get(20, TimeUnit.SECONDS).statusCode());
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> blocked.size() == 50);
    }
}
