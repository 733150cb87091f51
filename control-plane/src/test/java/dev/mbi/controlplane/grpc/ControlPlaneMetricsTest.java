package dev.mbi.controlplane.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.controlplane.launch.RunnerLauncher;
import dev.mbi.controlplane.testing.TestApi;
import dev.mbi.proto.v1.ControlMessage;
import dev.mbi.proto.v1.DeleteSessionRequest;
import dev.mbi.proto.v1.ListSessionsRequest;
import dev.mbi.proto.v1.Register;
import dev.mbi.proto.v1.RunnerError;
import dev.mbi.proto.v1.RunnerMessage;
import dev.mbi.proto.v1.RunnerReady;
import dev.mbi.proto.v1.RunnerState;
import dev.mbi.proto.v1.SessionMetrics;
import dev.mbi.proto.v1.SessionServiceGrpc;
import dev.mbi.proto.v1.SessionStatus;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The control plane's own /metrics, scraped over HTTP while the test plays runners and the edge:
 * every figure moves as it should, the output is valid Prometheus text with no session id in it,
 * and the gauges never drift after creates, errors, deletes and reaps.
 */
class ControlPlaneMetricsTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** One sample line of the text format: name, optional labels, value. */
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([^}]*)\\})? (\\S+)$");

    private static String scrape(ControlPlaneFixture f) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + f.controlPlane.metricsPort()
                + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
        return r.body();
    }

    /** The value of the one sample with this name whose labels include all of {@code labels}; 0 when absent. */
    private static double value(String text, String name, String... labels) {
        double found = 0;
        for (String line : text.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (!line.startsWith("#") && m.matches() && m.group(1).equals(name)) {
                String have = m.group(3) == null ? "" : m.group(3);
                boolean all = true;
                for (String l : labels) {
                    all &= have.contains(l);
                }
                if (all) {
                    found += Double.parseDouble(m.group(4));
                }
            }
        }
        return found;
    }

    private static void send(ControlPlaneFixture.FakeRunner runner, SessionMetrics m) {
        runner.send(RunnerMessage.newBuilder().setMetrics(m).build());
    }

    @Test
    void everyFigureMovesAsItShouldAndTheTextIsValidPrometheus() throws Exception {
        Map<String, String> env = Map.of("CONTROL_PLANE_SIGNING_KEY", "metrics-test-signing-key-0123456789abcdef",
                "HEARTBEAT_INTERVAL", "10s", "RUNNER_RECONNECT_WINDOW", "5s");
        try (ControlPlaneFixture f = ControlPlaneFixture.overSocket(env)) {
            String before = scrape(f);
            for (String name : List.of("jvm_memory_used_bytes", "process_cpu_usage", "jvm_threads_live_threads",
                    "browser_sessions_active", "browser_runners_connected", "browser_session_start_seconds_count",
                    "browser_frames_sent_total", "browser_frame_bytes_total", "browser_runner_reconnects_total",
                    "browser_auth_failures_total", "browser_webrtc_peers", "browser_warm_pool_runners", "browser_warm_pool_claims_total")) {
                assertTrue(before.contains(name), name + " missing:\n" + before);
            }

            RunnerLauncher.RunnerSpec spec = f.createSession();
            ControlPlaneFixture.FakeRunner runner = f.connect();
            runner.send(RunnerMessage.newBuilder().setRegister(Register.newBuilder().setSessionId(spec.sessionId())
                    .setJoinToken(spec.joinToken())).build());
            String resumeToken = runner.down().next(ControlMessage::hasWelcome, Duration.ofSeconds(5)).getWelcome().getResumeToken();
            runner.send(RunnerMessage.newBuilder().setReady(RunnerReady.newBuilder().setStartupMs(900)).build());
            f.awaitStatus(spec.sessionId(), SessionStatus.SESSION_STATUS_READY, Duration.ofSeconds(5));
            String ready = scrape(f);
            assertEquals(1, value(ready, "browser_sessions_active"));
            assertEquals(1, value(ready, "browser_runners_connected"));
            assertEquals(1, value(ready, "browser_session_start_seconds_count", "launcher=\"process\""));

            send(runner, SessionMetrics.newBuilder().setFramesSent(10).setBytesSent(1_000).setWebrtcFramesSent(5)
                    .setWebrtcBytesSent(500).setWebrtcPeers(2).setInputToFrameMs(30).setTransport("webrtc")
                    .putEgressBlockedByReason("loopback", 2).setEgressBlocked(2).build());
            send(runner, SessionMetrics.newBuilder().setFramesSent(15).setBytesSent(1_600).setWebrtcFramesSent(5)
                    .setWebrtcBytesSent(500).setWebrtcPeers(2).setInputToFrameMs(30).setTransport("webrtc")
                    .putEgressBlockedByReason("loopback", 3).setEgressBlocked(3).build());
            Awaitility.await("the reports counted").atMost(Duration.ofSeconds(5)).until(() ->
                    value(scrape(f), "browser_frames_sent_total", "transport=\"websocket\"") == 15);
            String figures = scrape(f);
            assertEquals(1_600, value(figures, "browser_frame_bytes_total", "transport=\"websocket\""));
            assertEquals(5, value(figures, "browser_frames_sent_total", "transport=\"webrtc\""));
            assertEquals(500, value(figures, "browser_frame_bytes_total", "transport=\"webrtc\""));
            assertEquals(2, value(figures, "browser_webrtc_peers"));
            assertEquals(3, value(figures, "browser_egress_blocked_total", "reason=\"loopback\""));
            assertEquals(1, value(figures, "browser_input_to_frame_seconds_count", "transport=\"webrtc\""), "one new input-to-frame time");

            // Refused credentials, on the API port and from a runner.
            assertThrows(StatusRuntimeException.class, () -> SessionServiceGrpc.newBlockingStub(
                    TestApi.withAuthorization(f.apiConnection, "Bearer wrong-token-0123456789"))
                    .listSessions(ListSessionsRequest.getDefaultInstance()));
            RunnerLauncher.RunnerSpec other = f.createSession();
            ControlPlaneFixture.FakeRunner forger = f.connect();
            forger.send(RunnerMessage.newBuilder().setRegister(Register.newBuilder().setSessionId(other.sessionId())
                    .setJoinToken("forged")).build());
            forger.down().awaitClosed();

            // The runner's stream breaks; it dials again; a forged resume is refused.
            runner.up().onError(io.grpc.Status.UNAVAILABLE.asRuntimeException());
            Awaitility.await("the runner gone").atMost(Duration.ofSeconds(5)).until(() -> value(scrape(f), "browser_runners_connected") == 0);
            ControlPlaneFixture.FakeRunner again = f.connect();
            again.send(RunnerMessage.newBuilder().setRegister(Register.newBuilder().setSessionId(spec.sessionId())
                    .setResumeToken(resumeToken).setState(RunnerState.newBuilder().setReady(true))).build());
            again.down().next(ControlMessage::hasWelcome, Duration.ofSeconds(5));
            ControlPlaneFixture.FakeRunner forgedResume = f.connect();
            forgedResume.send(RunnerMessage.newBuilder().setRegister(Register.newBuilder().setSessionId(spec.sessionId())
                    .setResumeToken("x.y.z")).build());
            forgedResume.down().awaitClosed();

            String after = scrape(f);
            assertEquals(1, value(after, "browser_auth_failures_total", "interface=\"grpc_api\""));
            assertEquals(1, value(after, "browser_auth_failures_total", "interface=\"runner\""));
            assertEquals(1, value(after, "browser_runner_reconnects_total", "result=\"resumed\""));
            assertEquals(1, value(after, "browser_runner_reconnects_total", "result=\"refused\""));
            assertEquals(1, value(after, "browser_runners_connected"));
            assertEquals(1, value(after, "browser_session_start_seconds_count"), "a session taken back is no new start");

            // Valid text, and no label carries a session id or a token.
            for (String line : after.split("\n")) {
                assertTrue(line.isEmpty() || line.startsWith("# HELP ") || line.startsWith("# TYPE ") || SAMPLE.matcher(line).matches(),
                        "not Prometheus text: " + line);
            }
            for (String secret : List.of(spec.sessionId(), other.sessionId(), resumeToken, TestApi.TOKEN)) {
                assertFalse(after.contains(secret), "the metrics name a session or a token");
            }

            f.sessions().deleteSession(DeleteSessionRequest.newBuilder().setSessionId(spec.sessionId()).build());
            Awaitility.await("the runner told to go").atMost(Duration.ofSeconds(5)).until(() -> value(scrape(f), "browser_runners_connected") == 0);
        }
    }

    @Test
    void gaugesNeverDriftAfterCreatesErrorsDeletesAndReaps() throws Exception {
        try (ControlPlaneFixture f = ControlPlaneFixture.overSocket(Map.of("SESSION_TIMEOUT", "2s", "HEARTBEAT_INTERVAL", "10s"))) {
            RunnerLauncher.RunnerSpec failing = f.createSession();
            RunnerLauncher.RunnerSpec deleted = f.createSession();
            RunnerLauncher.RunnerSpec reaped = f.createSession();
            RunnerLauncher.RunnerSpec watched = f.createSession();
            ControlPlaneFixture.FakeRunner failingRunner = f.registerReady(failing);
            f.registerReady(deleted);
            f.registerReady(reaped);
            f.registerReady(watched);
            ControlPlaneFixture.FakeViewer viewer = f.attach(watched.sessionId());
            java.util.concurrent.ScheduledExecutorService beats = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
            // A viewer that sends input keeps its session from counting as idle.
            beats.scheduleAtFixedRate(() -> viewer.up().onNext(dev.mbi.proto.v1.ViewerMessage.newBuilder()
                    .setInput(dev.mbi.proto.v1.InputEvent.getDefaultInstance()).build()), 0, 300, java.util.concurrent.TimeUnit.MILLISECONDS);
            try {
                assertEquals(4, value(scrape(f), "browser_sessions_active"));
                failingRunner.send(RunnerMessage.newBuilder().setError(RunnerError.newBuilder().setReason("the page crashed")).build());
                f.sessions().deleteSession(DeleteSessionRequest.newBuilder().setSessionId(deleted.sessionId()).build());
                f.awaitStatus(failing.sessionId(), SessionStatus.SESSION_STATUS_ERROR, Duration.ofSeconds(5));
                Awaitility.await("the idle session reaped").atMost(Duration.ofSeconds(10)).until(() ->
                        f.get(reaped.sessionId()).getStatus() == SessionStatus.SESSION_STATUS_TERMINATED);
                long live = f.sessions().listSessions(ListSessionsRequest.getDefaultInstance()).getSessionsList().stream()
                        .filter(s -> s.getStatus() == SessionStatus.SESSION_STATUS_PENDING || s.getStatus() == SessionStatus.SESSION_STATUS_READY)
                        .count();
                assertEquals(1, live);
                assertEquals(live, (long) value(scrape(f), "browser_sessions_active"));
            } finally {
                beats.shutdownNow();
            }
        }
    }

    @Test
    void withMetricsAuthTheScrapeNeedsTheTokenAndOnlyGetMetricsIsServed() throws Exception {
        Map<String, String> env = new HashMap<>(Map.of("METRICS_AUTH", "true"));
        try (ControlPlaneFixture f = ControlPlaneFixture.overSocket(env)) {
            String base = "http://localhost:" + f.controlPlane.metricsPort();
            assertEquals(401, HTTP.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals(401, HTTP.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                    .header("Authorization", "Bearer wrong-token-0123456789").build(), HttpResponse.BodyHandlers.ofString()).statusCode());
            HttpResponse<String> ok = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                    .header("Authorization", "Bearer " + TestApi.TOKEN).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ok.statusCode());
            assertTrue(ok.body().contains("browser_sessions_active"));
            assertEquals(405, HTTP.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                    .header("Authorization", "Bearer " + TestApi.TOKEN).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals(404, HTTP.send(HttpRequest.newBuilder(URI.create(base + "/other")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
        }
    }
}
