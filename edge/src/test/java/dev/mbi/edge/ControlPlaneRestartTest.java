package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.controlplane.testing.TestApi;
import dev.mbi.proto.v1.AttachRequest;
import dev.mbi.proto.v1.CreateSessionRequest;
import dev.mbi.proto.v1.DeleteSessionRequest;
import dev.mbi.proto.v1.GetSessionRequest;
import dev.mbi.proto.v1.InputEvent;
import dev.mbi.proto.v1.Navigate;
import dev.mbi.proto.v1.Session;
import dev.mbi.proto.v1.SessionServiceGrpc;
import dev.mbi.proto.v1.SessionStatus;
import dev.mbi.proto.v1.ViewerMessage;
import dev.mbi.proto.v1.ViewerUpdate;
import io.grpc.Channel;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control plane as a process of its own, killed with SIGKILL while three sessions stream and
 * started again on the same ports with the same signing key: every runner (a real one, with real
 * Chromium) dials the new control plane, which takes each session back with the same id; frames
 * and input work again, and each session still has exactly one runner and one Chromium. A
 * browser's WebSocket through a real edge stays open across it: it is told "reconnecting", then
 * the session is ready again and frames and input flow. Then a SIGTERM, which means "restart",
 * loses nothing either.
 */
class ControlPlaneRestartTest {
    private static final Path CONTROL_PLANE_JAR = Path.of("../control-plane/target/control-plane.jar");

    /** One viewer over the control plane's Attach stream, as the edge attaches one. */
    private static final class GrpcViewer implements StreamObserver<ViewerUpdate>, AutoCloseable {
        final BlockingQueue<ViewerUpdate> updates = new LinkedBlockingQueue<>();
        final StreamObserver<ViewerMessage> up;

        GrpcViewer(Channel api, String sessionId) {
            up = SessionServiceGrpc.newStub(api).attach(this);
            up.onNext(ViewerMessage.newBuilder().setAttach(AttachRequest.newBuilder().setSessionId(sessionId)).build());
        }

        ViewerUpdate nextFrame(Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                ViewerUpdate u = updates.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (u == null) {
                    throw new AssertionError("no frame within " + timeout.toMillis() + " ms");
                }
                if (u.hasFrame()) {
                    return u;
                }
            }
        }

        @Override
        public void onNext(ViewerUpdate value) {
            updates.add(value);
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onCompleted() {
        }

        @Override
        public void close() {
            try {
                up.onCompleted();
            } catch (RuntimeException ignored) {
                // the stream is already gone
            }
        }
    }

    private record Running(Process process, ManagedChannel channel, Channel api) implements AutoCloseable {
        SessionServiceGrpc.SessionServiceBlockingStub sessions() {
            return SessionServiceGrpc.newBlockingStub(api).withDeadlineAfter(10, TimeUnit.SECONDS);
        }

        @Override
        public void close() {
            channel.shutdownNow();
            process.destroyForcibly();
        }
    }

    private static Running start(Map<String, String> env, int apiPort, Path log) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", CONTROL_PLANE_JAR.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(env);
        Process process = builder.start();
        ManagedChannel channel = Grpc.newChannelBuilder("127.0.0.1:" + apiPort, InsecureChannelCredentials.create()).build();
        Channel api = TestApi.withToken(channel);
        Awaitility.await("the control plane serves").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .ignoreExceptions().until(() -> HealthGrpc.newBlockingStub(api).withDeadlineAfter(1, TimeUnit.SECONDS)
                        .check(HealthCheckRequest.getDefaultInstance()).getStatus() == HealthCheckResponse.ServingStatus.SERVING);
        return new Running(process, channel, api);
    }

    private static Session awaitStatus(Running cp, String id, SessionStatus status, Duration timeout) {
        return Awaitility.await(id + " " + status).atMost(timeout).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
                .until(() -> cp.sessions().getSession(GetSessionRequest.newBuilder().setSessionId(id).build()),
                        s -> s.getStatus() == status);
    }

    /** The next status message, skipping frames and anything else. */
    private static com.fasterxml.jackson.databind.JsonNode nextStatus(ViewerClient browser) throws InterruptedException {
        return browser.next("status", 20_000);
    }


    /** Whether the control plane lists the session as pending or ready. */
    private static boolean live(Running cp, String id) {
        try {
            SessionStatus s = cp.sessions().getSession(GetSessionRequest.newBuilder().setSessionId(id).build()).getStatus();
            return s == SessionStatus.SESSION_STATUS_PENDING || s == SessionStatus.SESSION_STATUS_READY;
        } catch (io.grpc.StatusRuntimeException e) {
            return false;
        }
    }

    /** The session's runners plus its Chromium browser processes. */
    private static long runnersAndBrowsers(String id) {
        return TestStack.runnersOf(id).size() + TestStack.browsersOf(id).size();
    }

    /** One runner and one Chromium browser process (its helpers carry --type=) for the session. */
    private static void assertOneRunnerAndOneBrowser(String id) {
        assertEquals(1, TestStack.runnersOf(id).size(), "runners of " + id);
        assertEquals(1, TestStack.browsersOf(id).size(), "Chromium browsers of " + id);
    }

    @Test
    void killedAndRestartedTheControlPlaneTakesEverySessionBack(@TempDir Path dir) throws Exception {
        assertTrue(Files.isRegularFile(CONTROL_PLANE_JAR), CONTROL_PLANE_JAR.toAbsolutePath() + " is built before this test");
        Path key = Files.writeString(dir.resolve("signing-key"), "restart-test-signing-key-" + java.util.UUID.randomUUID());
        int grpcPort = DockerTestEngines.freePort();
        int apiPort = DockerTestEngines.freePort();
        Map<String, String> env = new HashMap<>(TestApi.controlPlaneEnv());
        env.putAll(Map.of("GRPC_PORT", Integer.toString(grpcPort), "API_GRPC_PORT", Integer.toString(apiPort),
                "CONTROL_PLANE_SIGNING_KEY_FILE", key.toString(),
                "RUNNER_JAR", TestStack.RUNNER_JAR.toAbsolutePath().toString(),
                "RUNNER_RECONNECT_WINDOW", "30s",
                "HEARTBEAT_INTERVAL", "500ms",
                "EGRESS_ALLOW_PRIVATE", "true",
                "FALLBACK_FPS", "10"));
        Path log = dir.resolve("control-plane.log");
        List<String> ids = new ArrayList<>();
        List<String> churn = new ArrayList<>();
        Edge edge = Edge.start(EdgeConfig.from(new dev.mbi.config.Env(Map.of("PORT", "0",
                "CONTROL_PLANE_ADDR", "127.0.0.1:" + apiPort, "CONTROL_PLANE_TOKEN", TestApi.TOKEN,
                "API_TOKENS", "tester:" + TestStack.USER_TOKEN))));
        ViewerClient browser = null;
        try (TestSite site = new TestSite(StackConfig.LOOPBACK); edge) {
            Running first = start(env, apiPort, log);
            try {
                for (int i = 0; i < 3; i++) {
                    ids.add(first.sessions().createSession(CreateSessionRequest.newBuilder()
                            .setUrl(site.pageUrl()).setOwner("tester").build()).getSessionId());
                }
                for (String id : ids) {
                    awaitStatus(first, id, SessionStatus.SESSION_STATUS_READY, Duration.ofSeconds(60));
                    try (GrpcViewer viewer = new GrpcViewer(first.api(), id)) {
                        viewer.nextFrame(Duration.ofSeconds(15));
                    }
                }
                // A browser watches the first session through the edge, and stays through what follows.
                browser = new ViewerClient("ws://localhost:" + edge.port() + "/ws/sessions/" + ids.getFirst()
                        + "?token=" + TestStack.USER_TOKEN);
                browser.awaitPixel(1000, 600, ViewerClient::greenish, 15_000);

                // Churn right before the crash: two sessions still starting, and one ended a moment ago.
                String ended = first.sessions().createSession(CreateSessionRequest.newBuilder()
                        .setUrl(site.pageUrl()).setOwner("tester").build()).getSessionId();
                awaitStatus(first, ended, SessionStatus.SESSION_STATUS_READY, Duration.ofSeconds(60));
                for (int i = 0; i < 2; i++) {
                    churn.add(first.sessions().createSession(CreateSessionRequest.newBuilder()
                            .setUrl(site.pageUrl()).setOwner("tester").build()).getSessionId());
                }
                first.sessions().deleteSession(DeleteSessionRequest.newBuilder().setSessionId(ended).build());
                churn.add(ended);
            } finally {
                first.process().destroyForcibly(); // SIGKILL: no goodbye to anyone
                first.process().waitFor(10, TimeUnit.SECONDS);
                first.channel().shutdownNow();
            }
            for (String id : ids) {
                assertOneRunnerAndOneBrowser(id); // the runners outlived their control plane
            }

            try (Running second = start(env, apiPort, log)) {
                long restartedAt = System.nanoTime();
                for (String id : ids) {
                    Session back = awaitStatus(second, id, SessionStatus.SESSION_STATUS_READY, Duration.ofSeconds(10));
                    assertEquals("tester", back.getOwner());
                    assertEquals(site.pageUrl(), back.getUrl());
                }
                long backMs = (System.nanoTime() - restartedAt) / 1_000_000;
                // No orphans from the churn: a session whose runner came back is live with one runner and
                // one Chromium; any other leaves no process behind.
                for (String id : churn) {
                    Awaitility.await(id + " settled").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                            .until(() -> live(second, id) ? runnersAndBrowsers(id) == 2 : TestStack.liveProcessesOf(id).isEmpty());
                }
                System.out.println("three sessions back " + backMs + " ms after the restarted control plane served");
                assertTrue(backMs < 5_000, "sessions back after " + backMs + " ms");

                // The browser's socket never closed: it heard "reconnecting", then "ready", and input works again.
                // (Statuses the session sent before the crash, a title that came after the first picture, say, may come first.)
                String heard = nextStatus(browser).get("status").asText();
                while (heard.equals("ready")) {
                    heard = nextStatus(browser).get("status").asText();
                }
                assertEquals("reconnecting", heard);
                assertEquals("ready", nextStatus(browser).get("status").asText());
                browser.send("{\"type\":\"mousedown\",\"x\":100,\"y\":50,\"button\":\"left\"}");
                browser.send("{\"type\":\"mouseup\",\"x\":100,\"y\":50,\"button\":\"left\"}");
                site.awaitReport("click", 15_000);
                browser.awaitPixel(1000, 600, ViewerClient::reddish, 15_000);

                for (String id : ids) {
                    try (GrpcViewer viewer = new GrpcViewer(second.api(), id)) {
                        viewer.nextFrame(Duration.ofSeconds(10));
                        viewer.up.onNext(ViewerMessage.newBuilder().setInput(InputEvent.newBuilder()
                                .setNavigate(Navigate.newBuilder().setUrl(site.url("/toggle")))).build());
                        Awaitility.await(id + " navigated").atMost(Duration.ofSeconds(15)).until(() -> second.sessions()
                                .getSession(GetSessionRequest.newBuilder().setSessionId(id).build()).getCurrentUrl()
                                .equals(site.url("/toggle")));
                    }
                    assertOneRunnerAndOneBrowser(id);
                }

                // SIGTERM means "restart": nothing ends, and the next control plane takes the sessions back too.
                second.process().destroy();
                assertTrue(second.process().waitFor(15, TimeUnit.SECONDS), "the control plane stops on SIGTERM");
            }
            try (Running third = start(env, apiPort, log)) {
                for (String id : ids) {
                    awaitStatus(third, id, SessionStatus.SESSION_STATUS_READY, Duration.ofSeconds(10));
                    assertOneRunnerAndOneBrowser(id);
                }
                // Ending sessions on purpose still ends them, runners and Chromium included.
                List<String> all = new ArrayList<>(ids);
                all.addAll(churn);
                for (String id : all) {
                    try {
                        third.sessions().deleteSession(DeleteSessionRequest.newBuilder().setSessionId(id).build());
                    } catch (io.grpc.StatusRuntimeException notThere) {
                        // a churned session that never came back
                    }
                }
                for (String id : all) {
                    TestStack.await(id + " gone", Duration.ofSeconds(15)).until(() -> TestStack.liveProcessesOf(id).isEmpty());
                }
            }
        } finally {
            if (browser != null) {
                browser.close();
            }
            // Whatever happened above, nothing of these sessions outlives the test.
            ids.addAll(churn);
            for (String id : ids) {
                for (long pid : TestStack.liveProcessesOf(id)) {
                    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
            if (Files.exists(log)) {
                System.out.println("control plane log:\n" + Files.readString(log));
            }
        }
    }
}
