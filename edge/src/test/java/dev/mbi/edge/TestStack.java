package dev.mbi.edge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mbi.config.Env;
import dev.mbi.controlplane.ControlPlane;
import dev.mbi.controlplane.ControlPlaneConfig;
import dev.mbi.controlplane.testing.TestApi;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The whole stack on this machine: a real control plane and a real edge on ephemeral ports,
 * launching real runner processes with real Chromium, and a test page for them to open. Tests
 * get one from {@link StackExtension}, which shares it between every test of the same
 * configuration and closes it at the end of the run.
 */
final class TestStack implements AutoCloseable {
    static final Path RUNNER_JAR = Path.of("../runner/target/runner.jar");
    /**
     * The stacks run with token auth: two users, "tester" (whose token {@link #request} sends) and
     * "other", and an admin, "operator".
     */
    static final String USER_TOKEN = "tester-token-0123456789";
    static final String OTHER_USER_TOKEN = "other-token-0123456789";
    static final String ADMIN_TOKEN = "operator-token-0123456789";
    /** Edge settings every stack gets unless its configuration says otherwise. */
    private static final Map<String, String> EDGE_DEFAULTS = Map.of(
            "API_TOKENS", "tester:" + USER_TOKEN + ",other:" + OTHER_USER_TOKEN,
            "ADMIN_TOKENS", "operator:" + ADMIN_TOKEN,
            // Tests create sessions far faster than people do; the limits have tests of their own.
            "CREATE_RATE_PER_MINUTE", "100000",
            "OFFER_RATE_PER_MINUTE", "100000");
    private static final Set<String> ENDED = Set.of("terminated", "error");
    private static final Pattern ACTIVE = Pattern.compile("(?m)^browser_sessions_active(?:\\{[^}]*\\})? ([0-9.eE+-]+)$");

    final StackConfig config;
    final TestSite site;
    final ControlPlane controlPlane;
    final Edge edge;
    final HttpClient http = HttpClient.newHttpClient();

    record Response(int status, JsonNode json, String body, java.net.http.HttpHeaders headers) {
        String header(String name) {
            return headers.firstValue(name).orElse(null);
        }
    }

    private TestStack(StackConfig config, TestSite site) {
        if (!Files.isRegularFile(RUNNER_JAR)) {
            throw new IllegalStateException(RUNNER_JAR.toAbsolutePath() + " is missing: run the build (mvn verify) from the root");
        }
        this.config = config;
        this.site = site;
        // Both gRPC ports ephemeral, and the token the edge and the control plane share.
        Map<String, String> env = new HashMap<>(TestApi.controlPlaneEnv());
        env.put("RUNNER_JAR", RUNNER_JAR.toString());
        env.put("FALLBACK_FPS", "10");
        // The test page is served on this machine, which the egress policy denies by default;
        // EgressTest runs with it off.
        env.put("EGRESS_ALLOW_PRIVATE", "true");
        env.putAll(config.controlPlaneEnv());
        controlPlane = ControlPlane.start(ControlPlaneConfig.from(new Env(env)));
        Map<String, String> edgeEnv = new HashMap<>(config.edgeEnv());
        edgeEnv.putIfAbsent("CONTROL_PLANE_TOKEN", TestApi.TOKEN);
        // A stack that sets its own AUTH_MODE gets no tokens (reset() then needs none: AUTH_MODE=none).
        boolean ownAuth = edgeEnv.containsKey("AUTH_MODE");
        EDGE_DEFAULTS.forEach((k, v) -> {
            if (!(ownAuth && k.contains("TOKENS"))) {
                edgeEnv.putIfAbsent(k, v);
            }
        });
        edgeEnv.put("PORT", "0");
        edgeEnv.put("CONTROL_PLANE_ADDR", "localhost:" + controlPlane.apiPort());
        try {
            edge = Edge.start(EdgeConfig.from(new Env(edgeEnv)));
        } catch (RuntimeException e) {
            controlPlane.close();
            throw e;
        }
    }

    /** Starts the test page, the control plane and the edge of one configuration. */
    static TestStack start(StackConfig config) {
        TestSite site;
        try {
            site = new TestSite(config.siteHost());
        } catch (IOException e) {
            throw new IllegalStateException("the test page cannot listen on " + config.siteHost(), e);
        }
        try {
            return new TestStack(config, site);
        } catch (RuntimeException e) {
            site.close();
            throw e;
        }
    }

    String base() {
        return "http://localhost:" + edge.port();
    }

    /** The viewer WebSocket of a session, opened with the test user's token. */
    String wsUrl(String sessionId) {
        return wsUrl(sessionId, USER_TOKEN);
    }

    String wsUrl(String sessionId, String token) {
        return "ws://localhost:" + edge.port() + "/ws/sessions/" + sessionId + (token == null ? "" : "?token=" + token);
    }

    /** A request as the test user ({@link #USER_TOKEN}); a body goes as JSON. */
    Response request(String method, String path, String body) throws IOException, InterruptedException {
        return requestAs(USER_TOKEN, method, path, body);
    }

    /** A request with this bearer token (null: none); a body goes as JSON. */
    Response requestAs(String token, String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(20));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = null;
        if (r.body() != null && !r.body().isBlank() && r.headers().firstValue("content-type").orElse("").contains("json")) {
            json = SessionJson.MAPPER.readTree(r.body());
        }
        return new Response(r.statusCode(), json, r.body(), r.headers());
    }

    String createSession(String url) throws Exception {
        Response r = request("POST", "/api/sessions", "{\"url\":\"" + url + "\"}");
        if (r.status() != 201) {
            throw new AssertionError("create answered " + r.status() + ": " + r.body());
        }
        return r.json().get("sessionId").asText();
    }

    JsonNode session(String id) throws Exception {
        return request("GET", "/api/sessions/" + id, null).json();
    }

    /**
     * Waits for the session to reach this status. A session that has ended otherwise fails the
     * wait at once, with its error.
     */
    JsonNode awaitStatus(String id, String status, Duration timeout) {
        AtomicReference<JsonNode> last = new AtomicReference<>();
        try {
            return await("session " + id + " " + status, timeout).pollInterval(Duration.ofMillis(50)).until(() -> {
                JsonNode s = session(id);
                last.set(s);
                String now = s.get("status").asText();
                if (!now.equals(status) && ENDED.contains(now)) {
                    throw new AssertionError("session " + id + " ended " + now + ", not " + status
                            + (s.path("error").asText().isEmpty() ? "" : ": " + s.get("error").asText()) + " (" + s + ")");
                }
                return s;
            }, s -> s.get("status").asText().equals(status));
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("session " + id + " is " + last.get() + ", not " + status + " after " + timeout, e);
        }
    }

    /** Awaitility as these tests use it: the first check at once, then every 25 ms in the test's thread, for at most the timeout. */
    static ConditionFactory await(String what, Duration timeout) {
        return Awaitility.await(what).atMost(timeout).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(25)).pollInSameThread();
    }

    /** browser_sessions_active as this stack's edge reports it. */
    double activeSessions() throws Exception {
        String metrics = requestAs(ADMIN_TOKEN, "GET", "/metrics", null).body();
        Matcher m = ACTIVE.matcher(metrics);
        if (!m.find()) {
            throw new AssertionError("browser_sessions_active missing from /metrics: " + metrics);
        }
        return Double.parseDouble(m.group(1));
    }

    /**
     * Ends every session still pending or ready and waits until the edge has seen them end, then
     * forgets what the test page reported: the next test finds every slot free.
     */
    void reset() throws Exception {
        String admin = ADMIN_TOKEN; // ignored with AUTH_MODE=none
        Response list = requestAs(admin, "GET", "/api/sessions", null);
        if (list.status() != 200) {
            throw new AssertionError("listing the sessions of " + config + " answered " + list.status() + ": " + list.body());
        }
        for (JsonNode s : list.json().get("sessions")) {
            if (!ENDED.contains(s.get("status").asText())) {
                Response r = requestAs(admin, "DELETE", "/api/sessions/" + s.get("sessionId").asText(), null);
                if (r.status() != 204) {
                    throw new AssertionError("ending session " + s.get("sessionId").asText() + " answered " + r.status() + ": " + r.body());
                }
            }
        }
        await("the edge of " + config + " sees no live session", Duration.ofSeconds(10)).until(() -> activeSessions() == 0);
        site.clearReports();
    }

    /** Live (not zombie) processes of one session: its runner and everything under it. */
    static List<Long> liveProcessesOf(String sessionId) {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().matches("\\d+"))
                    .filter(p -> belongsTo(p, sessionId))
                    .map(p -> Long.parseLong(p.getFileName().toString()))
                    .toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The runner (java -jar runner.jar) of a session, found by the SESSION_ID in its environment. */
    static long runnerPid(String sessionId) {
        return runnersOf(sessionId).stream().findFirst()
                .orElseThrow(() -> new AssertionError("no runner process for session " + sessionId));
    }

    /** A session's live runner processes. */
    static List<Long> runnersOf(String sessionId) {
        return liveProcessesOf(sessionId).stream().filter(pid -> commandLine(pid).contains("runner.jar")).toList();
    }

    /** A session's live Chromium browser processes (not their helpers, which carry --type=). */
    static List<Long> browsersOf(String sessionId) {
        return liveProcessesOf(sessionId).stream().filter(pid -> {
            String command = commandLine(pid);
            return command.contains("--user-data-dir=") && !command.contains("--type=");
        }).toList();
    }

    /** A process's command line, its arguments joined by spaces; empty once it is gone. */
    static String commandLine(long pid) {
        return read(Path.of("/proc", Long.toString(pid), "cmdline")).strip();
    }

    private static boolean belongsTo(Path proc, String sessionId) {
        String stat = read(proc.resolve("stat"));
        if (stat.isEmpty() || stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z")) {
            return false;
        }
        // Runners carry SESSION_ID; Chromium carries the session id in its profile path.
        return read(proc.resolve("environ")).contains("SESSION_ID=" + sessionId)
                || read(proc.resolve("cmdline")).contains(sessionId);
    }

    private static String read(Path p) {
        try {
            return new String(Files.readAllBytes(p)).replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public String toString() {
        return "stack " + config + " at " + base();
    }

    @Override
    public void close() {
        try {
            edge.close();
        } finally {
            try {
                controlPlane.close();
            } finally {
                site.close();
            }
        }
    }
}
