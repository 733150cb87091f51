package dev.mbi.edge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mbi.config.Env;
import dev.mbi.controlplane.ControlPlane;
import dev.mbi.controlplane.ControlPlaneConfig;
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
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * The whole stack on this machine for one test class: a real control plane and a real edge on
 * ephemeral ports, launching real runner processes with real Chromium.
 */
final class TestStack implements AutoCloseable {
    static final Path RUNNER_JAR = Path.of("../runner/target/runner.jar");

    final ControlPlane controlPlane;
    final Edge edge;
    final HttpClient http = HttpClient.newHttpClient();

    record Response(int status, JsonNode json, String body) {
    }

    TestStack(Map<String, String> controlPlaneEnv) {
        if (!Files.isRegularFile(RUNNER_JAR)) {
            throw new IllegalStateException(RUNNER_JAR.toAbsolutePath() + " is missing: run the build (mvn verify) from the root");
        }
        Map<String, String> env = new HashMap<>(Map.of(
                "GRPC_PORT", "0",
                "RUNNER_JAR", RUNNER_JAR.toString(),
                "FALLBACK_FPS", "10"));
        env.putAll(controlPlaneEnv);
        controlPlane = ControlPlane.start(ControlPlaneConfig.from(new Env(env)));
        edge = Edge.start(EdgeConfig.from(new Env(Map.of(
                "PORT", "0",
                "CONTROL_PLANE_ADDR", "localhost:" + controlPlane.grpcPort()))));
    }

    String base() {
        return "http://localhost:" + edge.port();
    }

    Response request(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(20));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = null;
        if (r.body() != null && !r.body().isBlank() && r.headers().firstValue("content-type").orElse("").contains("json")) {
            json = SessionJson.MAPPER.readTree(r.body());
        }
        return new Response(r.statusCode(), json, r.body());
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

    JsonNode awaitStatus(String id, String status, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode s = session(id);
        while (!s.get("status").asText().equals(status)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("session " + id + " is " + s + ", not " + status + " after " + timeout);
            }
            Thread.sleep(50);
            s = session(id);
        }
        return s;
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": not within " + timeout.toMillis() + " ms");
            }
            Thread.sleep(25);
        }
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
        for (long pid : liveProcessesOf(sessionId)) {
            if (read(Path.of("/proc", Long.toString(pid), "cmdline")).contains("runner.jar")) {
                return pid;
            }
        }
        throw new AssertionError("no runner process for session " + sessionId);
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
    public void close() {
        edge.close();
        controlPlane.close();
    }
}
