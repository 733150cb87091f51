package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every way a page reaches inward, through the whole stack, with the default policy and with
 * EGRESS_ALLOW_PRIVATE=true. The page lives on app.test (127.0.0.2, the one range the default
 * stack allows with EGRESS_ALLOW_CIDRS); it reaches for an internal server on 127.0.0.1 and ::1
 * with an image, fetch(), a WebSocket, a name that resolves to loopback (internal.test, from the
 * runners' hosts file: RUNNER_JAVA_OPTIONS=-Djdk.net.hosts.file=...), and a redirect. The internal
 * server counts what reached it.
 */
@ExtendWith(StackExtension.class)
class EgressPathsTest {
    private static final Set<String> FROM_THE_PAGE = Set.of("/hit/img", "/hit/fetch", "/hit/ws", "/hit/hosts");
    private static final Pattern BLOCKED_METRIC =
            Pattern.compile("(?m)^browser_egress_blocked_total\\{[^}]*reason=\"loopback\"[^}]*\\} ([0-9.eE+-]+)$");

    private static final Map<String, AtomicInteger> internalHits = new ConcurrentHashMap<>();
    private static final AtomicInteger appLoads = new AtomicInteger();
    private static HttpServer app;
    private static HttpServer internal;
    private static HttpServer internalV6;
    private static int internalPort;
    private static TestStack closed;
    private static TestStack open;

    @BeforeAll
    static void start(Stacks stacks) throws Exception {
        internal = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        internalPort = internal.getAddress().getPort();
        internalV6 = HttpServer.create(new InetSocketAddress(InetAddress.getByName("::1"), internalPort), 0);
        for (HttpServer s : List.of(internal, internalV6)) {
            s.createContext("/", exchange -> {
                internalHits.computeIfAbsent(exchange.getRequestURI().getPath(), p -> new AtomicInteger()).incrementAndGet();
                respond(exchange, 200, "<title>internal</title>internal");
            });
            s.start();
        }
        app = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0), 0);
        String in = "127.0.0.1:" + internalPort;
        app.createContext("/app", exchange -> {
            appLoads.incrementAndGet();
            respond(exchange, 200, "<!doctype html><title>app</title><h1>app</h1>"
                    + "<img src=\"http://" + in + "/hit/img\">"
                    + "<img src=\"http://internal.test:" + internalPort + "/hit/hosts\">"
                    + "<script>fetch('http://" + in + "/hit/fetch').catch(() => {});"
                    + "new WebSocket('ws://" + in + "/hit/ws');</script>");
        });
        app.createContext("/redirect", exchange -> {
            exchange.getResponseHeaders().add("Location", "http://" + in + "/hit/redirect");
            respond(exchange, 302, "");
        });
        app.start();

        Path hosts = Files.createTempFile("mbi-egress-hosts", "");
        hosts.toFile().deleteOnExit();
        Files.writeString(hosts, "127.0.0.1 localhost\n::1 localhost\n127.0.0.1 internal.test\n127.0.0.2 app.test\n");
        String javaOptions = "-Djdk.net.hosts.file=" + hosts;
        closed = stacks.get(StackConfig.of(Map.of("EGRESS_ALLOW_PRIVATE", "false", "EGRESS_ALLOW_CIDRS", "127.0.0.2/32",
                "RUNNER_JAVA_OPTIONS", javaOptions)));
        open = stacks.get(StackConfig.of(Map.of("EGRESS_ALLOW_PRIVATE", "true", "RUNNER_JAVA_OPTIONS", javaOptions)));
    }

    @AfterAll
    static void stop() {
        for (HttpServer s : new HttpServer[] {app, internal, internalV6}) {
            if (s != null) {
                s.stop(0);
            }
        }
    }

    private static void respond(HttpExchange exchange, int status, String html) throws IOException {
        byte[] body = html.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "text/html; charset=utf-8");
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static String appUrl(String path) {
        return "http://app.test:" + app.getAddress().getPort() + path;
    }

    private static int hits() {
        return internalHits.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    private static long blocked(TestStack stack, String id) throws Exception {
        return stack.session(id).get("metrics").get("egress").get("blocked").asLong();
    }

    private static double blockedMetric(TestStack stack) throws Exception {
        String metrics = stack.requestAs(TestStack.ADMIN_TOKEN, "GET", "/metrics", null).body();
        Matcher m = BLOCKED_METRIC.matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void byDefaultNothingFromAnAllowedPageReachesInwardAndEachRefusalIsCounted() throws Exception {
        int hitsBefore = hits();
        int loadsBefore = appLoads.get();
        double metricBefore = blockedMetric(closed);
        String id = closed.createSession(appUrl("/app"));
        closed.awaitStatus(id, "ready", Duration.ofSeconds(30));
        assertTrue(appLoads.get() > loadsBefore, "a host on the allow-list still loads");

        // The image, the fetch, the WebSocket and the name from the hosts file: four refusals at least.
        Awaitility.await("the page's inward requests refused").atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(200)).until(() -> blocked(closed, id) >= FROM_THE_PAGE.size());
        try (ViewerClient viewer = new ViewerClient(closed.wsUrl(id))) {
            long before = blocked(closed, id);
            viewer.send("{\"type\":\"navigate\",\"url\":\"" + appUrl("/redirect") + "\"}");
            Awaitility.await("the redirect into loopback refused").atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(200)).until(() -> blocked(closed, id) > before);
            // The stream shows the proxy's page, which names the host and the rule.
            JsonNode s = Awaitility.await("the page that says so").atMost(Duration.ofSeconds(10))
                    .until(() -> closed.session(id), n -> n.get("title").asText().equals("Blocked: 127.0.0.1"));
            assertEquals("loopback", s.get("metrics").get("egress").get("lastBlockedReason").asText(), s.toString());
        }
        Awaitility.await("the refusals counted at the edge").atMost(Duration.ofSeconds(10))
                .until(() -> blockedMetric(closed) - metricBefore >= FROM_THE_PAGE.size() + 1);
        assertEquals(hitsBefore, hits(), "something reached the internal server: " + internalHits);
    }

    @Test
    void withPrivateAddressesAllowedEveryPathReachesTheInternalServer() throws Exception {
        String id = open.createSession(appUrl("/app"));
        open.awaitStatus(id, "ready", Duration.ofSeconds(30));
        Awaitility.await("the page's requests arrived").atMost(Duration.ofSeconds(20))
                .until(() -> internalHits.keySet().containsAll(FROM_THE_PAGE));
        try (ViewerClient viewer = new ViewerClient(open.wsUrl(id))) {
            Map<String, String> arrivesAt = Map.of(appUrl("/redirect"), "/hit/redirect",
                    "http://localhost:" + internalPort + "/hit/localhost", "/hit/localhost",
                    "http://2130706433:" + internalPort + "/hit/decimal", "/hit/decimal",
                    "http://[::1]:" + internalPort + "/hit/ipv6", "/hit/ipv6");
            for (Map.Entry<String, String> n : arrivesAt.entrySet()) {
                viewer.send("{\"type\":\"navigate\",\"url\":\"" + n.getKey() + "\"}");
                Awaitility.await(n.getKey() + " arrived").atMost(Duration.ofSeconds(20))
                        .until(() -> internalHits.containsKey(n.getValue()));
            }
        }
        assertEquals(0, blocked(open, id), "nothing was refused");
    }
}
