package dev.mbi.controlplane.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.mbi.controlplane.launch.RunnerLauncher;
import dev.mbi.proto.v1.Capability;
import dev.mbi.proto.v1.ControlMessage;
import dev.mbi.proto.v1.CreateSessionRequest;
import dev.mbi.proto.v1.Frame;
import dev.mbi.proto.v1.Register;
import dev.mbi.proto.v1.RunnerMessage;
import dev.mbi.proto.v1.RunnerReady;
import dev.mbi.proto.v1.RunnerState;
import dev.mbi.proto.v1.RunnerTerminated;
import dev.mbi.proto.v1.Session;
import dev.mbi.proto.v1.SessionStatus;
import dev.mbi.proto.v1.ViewerUpdate;
import dev.mbi.proto.v1.Welcome;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Runners that lose their stream and dial again with their resume token, against the real
 * services: the same control plane after a network failure, and a new one, with the same
 * signing key, after a restart. The test plays the runner.
 */
class RunnerResumeTest {
    private static final String KEY = "resume-test-signing-key-0123456789abcdef";
    private static final Map<String, String> ENV = Map.of("CONTROL_PLANE_SIGNING_KEY", KEY,
            // Long heartbeats: the test's runners and viewers do not send them, and must not be cut off for silence.
            "RUNNER_RECONNECT_WINDOW", "3s", "HEARTBEAT_INTERVAL", "10s", "MAX_SESSIONS", "2");

    private static Welcome welcomeOf(ControlPlaneFixture.FakeRunner runner) throws InterruptedException {
        return runner.down().next(ControlMessage::hasWelcome, Duration.ofSeconds(5)).getWelcome();
    }

    /** A runner registered with its join token: the stream, and the resume token its welcome carried. */
    private record Joined(ControlPlaneFixture.FakeRunner runner, Welcome welcome) {
        String resumeToken() {
            return welcome.getResumeToken();
        }
    }

    private static Joined join(ControlPlaneFixture fixture, RunnerLauncher.RunnerSpec spec) throws InterruptedException {
        ControlPlaneFixture.FakeRunner runner = fixture.connect();
        runner.send(RunnerMessage.newBuilder().setRegister(Register.newBuilder().setSessionId(spec.sessionId())
                .setJoinToken(spec.joinToken()).setHostname("first")).build());
        return new Joined(runner, welcomeOf(runner));
    }

    /** The same, then ready, as the control plane sees it. */
    private static Joined joinReady(ControlPlaneFixture fixture, RunnerLauncher.RunnerSpec spec) throws InterruptedException {
        Joined joined = join(fixture, spec);
        joined.runner().send(RunnerMessage.newBuilder().setReady(RunnerReady.newBuilder().setStartupMs(1)).build());
        fixture.awaitStatus(spec.sessionId(), SessionStatus.SESSION_STATUS_READY, Duration.ofSeconds(5));
        return joined;
    }

    private static ControlPlaneFixture.FakeRunner resume(ControlPlaneFixture fixture, String sessionId, String token,
                                                         RunnerState state) {
        ControlPlaneFixture.FakeRunner runner = fixture.connect();
        runner.send(RunnerMessage.newBuilder().setRegister(Register.newBuilder().setSessionId(sessionId)
                .setResumeToken(token).setHostname("again").setRunnerVersion("test")
                .addCapabilities(Capability.CAPABILITY_JPEG_FRAMES).setState(state)).build());
        return runner;
    }

    private static RunnerMessage frame(int seq) {
        return RunnerMessage.newBuilder().setFrame(Frame.newBuilder().setSeq(seq).setWidth(1).setHeight(1)
                .setData(ByteString.copyFromUtf8("jpeg"))).build();
    }

    private static RunnerState readyState(String url) {
        return RunnerState.newBuilder().setReady(true).setUrl(url).setTitle("Shown").setViewportWidth(1280)
                .setViewportHeight(720).setCapture("screencast").build();
    }

    @Test
    void aRunnerThatLostItsStreamDialsAgainAndTheSessionGoesOnForItsViewers() throws Exception {
        try (ControlPlaneFixture fixture = ControlPlaneFixture.inProcess(ENV)) {
            RunnerLauncher.RunnerSpec spec = fixture.createSession();
            Joined joined = joinReady(fixture, spec);
            ControlPlaneFixture.FakeRunner first = joined.runner();
            Welcome welcome = joined.welcome();
            assertFalse(welcome.getResumeToken().isEmpty(), "the welcome carries a resume token");
            assertFalse(welcome.getResumed());
            assertEquals(3_000, welcome.getReconnectWindowMs());
            ControlPlaneFixture.FakeViewer viewer = fixture.attach(spec.sessionId());

            // The network fails: the stream breaks. The session stays, waiting for its runner.
            first.up().onError(Status.UNAVAILABLE.asRuntimeException());
            Thread.sleep(1_000);
            assertEquals(SessionStatus.SESSION_STATUS_READY, fixture.get(spec.sessionId()).getStatus());

            ControlPlaneFixture.FakeRunner again = resume(fixture, spec.sessionId(), welcome.getResumeToken(),
                    readyState("https://example.org/now"));
            Welcome resumed = welcomeOf(again);
            assertTrue(resumed.getResumed());
            assertFalse(resumed.getResumeToken().isEmpty());
            // Someone watches: the new stream is told to send frames, and they reach the viewer.
            again.down().next(m -> m.hasStreamControl() && m.getStreamControl().getFramesEnabled(), Duration.ofSeconds(5));
            again.send(frame(42));
            viewer.down().next(u -> u.hasFrame() && u.getFrame().getSeq() == 42, Duration.ofSeconds(5));
            Session s = fixture.get(spec.sessionId());
            assertEquals(SessionStatus.SESSION_STATUS_READY, s.getStatus());
            assertEquals("https://example.org/now", s.getCurrentUrl());

            // Well past the window: nothing ended it, the new stream is the session's.
            Thread.sleep(3_500);
            assertEquals(SessionStatus.SESSION_STATUS_READY, fixture.get(spec.sessionId()).getStatus(),
                    fixture.get(spec.sessionId()).getError());
        }
    }

    @Test
    void withoutADialTheSessionEndsOnceTheWindowPassesWithTheReason() throws Exception {
        try (ControlPlaneFixture fixture = ControlPlaneFixture.inProcess(ENV)) {
            RunnerLauncher.RunnerSpec spec = fixture.createSession();
            ControlPlaneFixture.FakeRunner runner = fixture.registerReady(spec);
            long lostAt = System.nanoTime();
            runner.up().onCompleted();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(6)).pollInterval(Duration.ofMillis(50))
                    .until(() -> fixture.get(spec.sessionId()).getStatus() == SessionStatus.SESSION_STATUS_ERROR);
            long endedAfterMs = (System.nanoTime() - lostAt) / 1_000_000;
            assertTrue(endedAfterMs >= 2_900, "ended after " + endedAfterMs + " ms, before the window passed");
            String error = fixture.get(spec.sessionId()).getError();
            assertTrue(error.contains("lost contact with the runner") && error.contains("did not dial again within 3000 ms"), error);
        }
    }

    @Test
    void forgedAlteredAndOtherSessionsTokensAreRefusedAndCounted() throws Exception {
        try (ControlPlaneFixture fixture = ControlPlaneFixture.inProcess(ENV)) {
            RunnerLauncher.RunnerSpec a = fixture.createSession();
            RunnerLauncher.RunnerSpec b = fixture.createSession();
            String tokenOfA = join(fixture, a).resumeToken();
            // A character well inside the signature (the last one carries padding bits a decoder may ignore).
            int at = tokenOfA.length() - 10;
            String altered = tokenOfA.substring(0, at) + (tokenOfA.charAt(at) == 'A' ? 'B' : 'A') + tokenOfA.substring(at + 1);

            for (String[] attempt : List.of(
                    new String[] {b.sessionId(), tokenOfA},                 // another session's token
                    new String[] {a.sessionId(), altered},                  // signature altered
                    new String[] {a.sessionId(), "forged.not-a.token"},     // not a token at all
                    new String[] {a.sessionId(), tokenOfA.replace('.', '_')})) {
                ControlPlaneFixture.FakeRunner forger = resume(fixture, attempt[0], attempt[1], readyState("https://evil.example/"));
                Status closed = forger.down().awaitClosed();
                assertEquals(Status.Code.PERMISSION_DENIED, closed.getCode(), closed.toString());
                assertTrue(forger.down().received().stream().noneMatch(ControlMessage::hasWelcome));
            }
            assertEquals(4, fixture.controlPlane.registry().resumesRefused());
            assertEquals(SessionStatus.SESSION_STATUS_PENDING, fixture.get(b.sessionId()).getStatus(), "b was not taken over");
        }
    }

    @Test
    void whenTwoRunnersClaimASessionTheNewerWinsAndTheOlderIsToldToStop() throws Exception {
        try (ControlPlaneFixture fixture = ControlPlaneFixture.inProcess(ENV)) {
            RunnerLauncher.RunnerSpec spec = fixture.createSession();
            Joined joined = joinReady(fixture, spec);
            ControlPlaneFixture.FakeRunner older = joined.runner();
            String token = joined.resumeToken();

            ControlPlaneFixture.FakeRunner newer = resume(fixture, spec.sessionId(), token, readyState("https://example.org/"));
            assertTrue(welcomeOf(newer).getResumed());
            older.down().next(ControlMessage::hasShutdown, Duration.ofSeconds(5));
            // What the older one says on its way out is not the session's word any more.
            older.send(RunnerMessage.newBuilder().setTerminated(RunnerTerminated.newBuilder().setReason("bye")).build());
            Thread.sleep(500);
            assertEquals(SessionStatus.SESSION_STATUS_READY, fixture.get(spec.sessionId()).getStatus());
        }
    }

    @Test
    void aRestartedControlPlaneTakesTheSessionBackWithTheSameIdOwnerAndToken() throws Exception {
        String id;
        String token;
        Session before;
        try (ControlPlaneFixture old = ControlPlaneFixture.inProcess(ENV)) {
            Session created = old.sessions().createSession(CreateSessionRequest.newBuilder()
                    .setUrl("https://example.com/start").setOwner("alice").addEgressDenyHosts("ads.example")
                    .setViewportWidth(800).setViewportHeight(600).setUserAgent("MbiTest/1.0").setLocale("de-DE")
                    .setTimezone("Asia/Tokyo").setPolicy(dev.mbi.proto.v1.SessionPolicy.newBuilder()
                            .setDownloads(dev.mbi.proto.v1.Permission.PERMISSION_DENY)
                            .setClipboard(dev.mbi.proto.v1.ClipboardPolicy.CLIPBOARD_POLICY_TO_LOCAL)
                            .setMaxTransferBytes(4096)).build());
            RunnerLauncher.RunnerSpec spec = old.launcher.next(Duration.ofSeconds(5));
            token = join(old, spec).resumeToken();
            id = created.getSessionId();
            before = old.get(id);
        }
        // Another control plane with the same key: it never saw the session.
        try (ControlPlaneFixture restarted = ControlPlaneFixture.inProcess(ENV)) {
            // Until the runner is back, the session is "not known yet" (try again), never "not found".
            io.grpc.StatusRuntimeException notYet = org.junit.jupiter.api.Assertions.assertThrows(io.grpc.StatusRuntimeException.class,
                    () -> restarted.get(id));
            assertEquals(Status.Code.UNAVAILABLE, notYet.getStatus().getCode());
            assertTrue(notYet.getStatus().getDescription().contains("dialing back"), notYet.getStatus().toString());
            ControlPlaneFixture.FakeRunner runner = resume(restarted, id, token, readyState("https://example.com/later"));
            Welcome welcome = welcomeOf(runner);
            assertTrue(welcome.getResumed());
            assertEquals(List.of("ads.example"), welcome.getEgressDenyHostsList(), "its own egress additions come back");
            // So do its page options and its narrowed policy: a restart never widens what may cross.
            assertEquals(800, welcome.getViewportWidth());
            assertEquals("MbiTest/1.0", welcome.getUserAgent());
            assertEquals("de-DE", welcome.getLocale());
            assertEquals("Asia/Tokyo", welcome.getTimezone());
            assertEquals(before.getPolicy(), welcome.getPolicy());
            assertEquals(dev.mbi.proto.v1.Permission.PERMISSION_DENY, welcome.getPolicy().getDownloads());
            assertEquals(dev.mbi.proto.v1.ClipboardPolicy.CLIPBOARD_POLICY_TO_LOCAL, welcome.getPolicy().getClipboard());
            assertEquals(4096, welcome.getPolicy().getMaxTransferBytes());
            Session back = restarted.awaitStatus(id, SessionStatus.SESSION_STATUS_READY, Duration.ofSeconds(5));
            assertEquals("alice", back.getOwner());
            assertEquals("https://example.com/start", back.getUrl());
            assertEquals("https://example.com/later", back.getCurrentUrl());
            assertEquals(before.getCreatedAtUnixMs(), back.getCreatedAtUnixMs());
            assertEquals(before.getSessionTokenSha256(), back.getSessionTokenSha256(), "the same session token still opens it");
            assertEquals(before.getPolicy(), back.getPolicy());

            // It counts against MAX_SESSIONS (2): one more fits, then the limit holds.
            restarted.sessions().createSession(CreateSessionRequest.newBuilder().setUrl("https://example.com/").build());
            io.grpc.StatusRuntimeException full = org.junit.jupiter.api.Assertions.assertThrows(io.grpc.StatusRuntimeException.class,
                    () -> restarted.sessions().createSession(CreateSessionRequest.newBuilder().setUrl("https://example.com/").build()));
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, full.getStatus().getCode());
        }
        // A control plane with another key refuses the token.
        Map<String, String> otherKey = new java.util.HashMap<>(ENV);
        otherKey.put("CONTROL_PLANE_SIGNING_KEY", "another-signing-key-0123456789abcdefgh");
        try (ControlPlaneFixture stranger = ControlPlaneFixture.inProcess(otherKey)) {
            ControlPlaneFixture.FakeRunner runner = resume(stranger, id, token, readyState("https://example.com/"));
            assertEquals(Status.Code.PERMISSION_DENIED, runner.down().awaitClosed().getCode());
            assertTrue(stranger.sessions().listSessions(dev.mbi.proto.v1.ListSessionsRequest.getDefaultInstance())
                    .getSessionsList().isEmpty());
        }
    }

    @Test
    void viewerUpdatesAreOnlyTheNewStreamsOnceItTookOver() throws Exception {
        try (ControlPlaneFixture fixture = ControlPlaneFixture.inProcess(ENV)) {
            RunnerLauncher.RunnerSpec spec = fixture.createSession();
            Joined joined = joinReady(fixture, spec);
            ControlPlaneFixture.FakeRunner older = joined.runner();
            String token = joined.resumeToken();
            ControlPlaneFixture.FakeViewer viewer = fixture.attach(spec.sessionId());
            ControlPlaneFixture.FakeRunner newer = resume(fixture, spec.sessionId(), token, readyState("https://example.org/"));
            welcomeOf(newer);
            older.send(frame(1));
            newer.send(frame(2));
            ViewerUpdate update = viewer.down().next(ViewerUpdate::hasFrame, Duration.ofSeconds(5));
            assertEquals(2, update.getFrame().getSeq(), "a frame from the stream that was replaced reached the viewer");
        }
    }
}
