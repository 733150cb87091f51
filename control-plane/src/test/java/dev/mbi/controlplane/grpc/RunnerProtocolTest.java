package dev.mbi.controlplane.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.controlplane.launch.RunnerLauncher;
import dev.mbi.controlplane.testing.TestRunners;
import dev.mbi.proto.v1.Capability;
import dev.mbi.proto.v1.ControlMessage;
import dev.mbi.proto.v1.Frame;
import dev.mbi.proto.v1.Heartbeat;
import dev.mbi.proto.v1.InputEvent;
import dev.mbi.proto.v1.ListSessionsRequest;
import dev.mbi.proto.v1.OfferAnswer;
import dev.mbi.proto.v1.OfferRequest;
import dev.mbi.proto.v1.Register;
import dev.mbi.proto.v1.RunnerMessage;
import dev.mbi.proto.v1.RunnerReady;
import dev.mbi.proto.v1.RunnerServiceGrpc;
import dev.mbi.proto.v1.SessionServiceGrpc;
import dev.mbi.proto.v1.SessionStatus;
import dev.mbi.proto.v1.SignalAnswer;
import dev.mbi.proto.v1.ViewerMessage;
import dev.mbi.proto.v1.ViewerUpdate;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The runner and viewer stream protocols against the real services on grpc-java's in-process
 * transport: registration, tokens, heartbeats and silence, viewers, offers, and a runner that
 * stops reading. Fast enough to run with a short heartbeat.
 */
class RunnerProtocolTest {
    private static final Duration HEARTBEAT = Duration.ofMillis(200);
    private static ControlPlaneFixture fixture;

    @BeforeAll
    static void start() {
        // The test's runners never dial again: a lost stream ends its session once this short window passes.
        fixture = ControlPlaneFixture.inProcess(Map.of(
                "RUNNER_RECONNECT_WINDOW", "1s",
                "HEARTBEAT_INTERVAL", HEARTBEAT.toMillis() + "ms",
                "OFFER_TIMEOUT", "500ms",
                "MAX_SESSIONS", "50"));
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    private static RunnerMessage ready() {
        return RunnerMessage.newBuilder().setReady(RunnerReady.newBuilder().setStartupMs(1)).build();
    }

    private static RunnerMessage heartbeat() {
        return RunnerMessage.newBuilder().setHeartbeat(Heartbeat.newBuilder().setSentAtUnixMs(System.currentTimeMillis())).build();
    }

    private static Status registerWith(String sessionId, String token) throws Exception {
        ControlPlaneFixture.FakeRunner runner = fixture.connect();
        runner.send(RunnerMessage.newBuilder().setRegister(Register.newBuilder().setSessionId(sessionId).setJoinToken(token)).build());
        return runner.down().awaitClosed();
    }

    @Test
    void aRegisteredRunnerIsWelcomedThenToldNobodyWatches() throws Exception {
        RunnerLauncher.RunnerSpec spec = fixture.createSession();
        ControlPlaneFixture.FakeRunner runner = fixture.connect();
        runner.send(RunnerMessage.newBuilder().setRegister(Register.newBuilder()
                .setSessionId(spec.sessionId()).setJoinToken(spec.joinToken()).setHostname("host-1")).build());
        ControlMessage welcome = runner.down().next(m -> !m.hasHeartbeat(), Duration.ofSeconds(5));
        assertEquals("http://127.0.0.1:9/", welcome.getWelcome().getUrl());
        assertEquals(1280, welcome.getWelcome().getViewportWidth());
        assertEquals(720, welcome.getWelcome().getViewportHeight());
        assertEquals(HEARTBEAT.toMillis(), welcome.getWelcome().getHeartbeatIntervalMs());
        ControlMessage control = runner.down().next(m -> !m.hasHeartbeat(), Duration.ofSeconds(5));
        assertFalse(control.getStreamControl().getFramesEnabled(), control.toString());

        assertEquals(SessionStatus.SESSION_STATUS_PENDING, fixture.get(spec.sessionId()).getStatus());
        runner.send(ready());
        fixture.awaitStatus(spec.sessionId(), SessionStatus.SESSION_STATUS_READY, Duration.ofSeconds(5));
        fixture.sessions().deleteSession(dev.mbi.proto.v1.DeleteSessionRequest.newBuilder().setSessionId(spec.sessionId()).build());
        assertEquals("deleted", runner.down().next(ControlMessage::hasShutdown, Duration.ofSeconds(5)).getShutdown().getReason());
        assertEquals(Status.Code.OK, runner.down().awaitClosed().getCode());
    }

    @Test
    void forgedReusedAndUnknownTokensAreRefused() throws Exception {
        RunnerLauncher.RunnerSpec spec = fixture.createSession();
        assertEquals(Status.Code.PERMISSION_DENIED, registerWith(spec.sessionId(), "forged").getCode());
        assertEquals(Status.Code.PERMISSION_DENIED, registerWith(spec.sessionId(), "").getCode());
        ControlPlaneFixture.FakeRunner first = fixture.register(spec);
        Status reused = registerWith(spec.sessionId(), spec.joinToken());
        assertEquals(Status.Code.PERMISSION_DENIED, reused.getCode());
        assertTrue(reused.getDescription().contains("already used"), reused.getDescription());
        assertEquals(Status.Code.NOT_FOUND, registerWith("no-such-session", spec.joinToken()).getCode());
        // The refusals cost the registered runner nothing.
        first.send(ready());
        fixture.awaitStatus(spec.sessionId(), SessionStatus.SESSION_STATUS_READY, Duration.ofSeconds(5));
        assertNull(first.down().closed().getNow(null));
    }

    @Test
    void aRunnerThatHeartbeatsStaysAndASilentOneIsCutOff() throws Exception {
        RunnerLauncher.RunnerSpec spec = fixture.createSession();
        ControlPlaneFixture.FakeRunner runner = fixture.register(spec);
        runner.send(ready());
        // Heartbeats both ways for ten intervals: the session stays ready.
        for (int i = 0; i < 10; i++) {
            runner.send(heartbeat());
            Thread.sleep(HEARTBEAT.toMillis());
        }
        assertEquals(SessionStatus.SESSION_STATUS_READY, fixture.get(spec.sessionId()).getStatus());
        assertTrue(runner.down().received().stream().filter(ControlMessage::hasHeartbeat).count() >= 5,
                "the control plane heartbeats every interval: " + runner.down().received());
        // Silence: cut off after three intervals, with the reason.
        long silentSince = System.nanoTime();
        Status closed = runner.down().awaitClosed();
        long noticedMs = (System.nanoTime() - silentSince) / 1_000_000;
        assertEquals(Status.Code.UNAVAILABLE, closed.getCode());
        assertTrue(noticedMs < 8 * HEARTBEAT.toMillis(), "noticed after " + noticedMs + " ms");
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(2))
                .until(() -> fixture.get(spec.sessionId()).getStatus() == SessionStatus.SESSION_STATUS_ERROR);
        assertTrue(fixture.get(spec.sessionId()).getError().contains("no heartbeat"), fixture.get(spec.sessionId()).getError());
    }

    @Test
    void severalViewersShareOneRunnerWhoseFramesFlowWhileAnyoneWatches() throws Exception {
        RunnerLauncher.RunnerSpec spec = fixture.createSession();
        ControlPlaneFixture.FakeRunner runner = fixture.register(spec);
        assertFalse(runner.down().next(ControlMessage::hasStreamControl, Duration.ofSeconds(5)).getStreamControl().getFramesEnabled());
        runner.send(ready());
        fixture.awaitStatus(spec.sessionId(), SessionStatus.SESSION_STATUS_READY, Duration.ofSeconds(5));

        ControlPlaneFixture.FakeViewer a = fixture.attach(spec.sessionId());
        assertEquals(SessionStatus.SESSION_STATUS_READY,
                a.down().next(ViewerUpdate::hasStatus, Duration.ofSeconds(5)).getStatus().getStatus());
        assertTrue(runner.down().next(ControlMessage::hasStreamControl, Duration.ofSeconds(5)).getStreamControl().getFramesEnabled());
        ControlPlaneFixture.FakeViewer b = fixture.attach(spec.sessionId());
        assertEquals(2, b.down().next(ViewerUpdate::hasStatus, Duration.ofSeconds(5)).getStatus().getViewerCount());

        runner.send(RunnerMessage.newBuilder().setFrame(Frame.newBuilder().setSeq(42)).build());
        assertEquals(42, a.down().next(ViewerUpdate::hasFrame, Duration.ofSeconds(5)).getFrame().getSeq());
        assertEquals(42, b.down().next(ViewerUpdate::hasFrame, Duration.ofSeconds(5)).getFrame().getSeq());
        // Input from either viewer reaches the runner.
        b.up().onNext(ViewerMessage.newBuilder().setInput(InputEvent.getDefaultInstance()).build());
        runner.down().next(ControlMessage::hasInput, Duration.ofSeconds(5));
        // A third viewer arriving later gets the newest frame at once.
        ControlPlaneFixture.FakeViewer c = fixture.attach(spec.sessionId());
        assertEquals(42, c.down().next(ViewerUpdate::hasFrame, Duration.ofSeconds(5)).getFrame().getSeq());

        a.up().onCompleted();
        c.up().onCompleted();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> fixture.get(spec.sessionId()).getViewerCount() == 1);
        assertTrue(runner.down().received().stream().noneMatch(ControlMessage::hasStreamControl),
                "frames stay on while someone watches: " + runner.down().received());
        b.up().onCompleted();
        assertFalse(runner.down().next(ControlMessage::hasStreamControl, Duration.ofSeconds(5)).getStreamControl().getFramesEnabled());

        ControlPlaneFixture.FakeViewer stranger = fixture.attach("no-such-session");
        assertEquals(Status.Code.NOT_FOUND, stranger.down().awaitClosed().getCode());
    }

    @Test
    void anOfferIsAnsweredOrFailsWhenTheRunnerStaysQuiet() throws Exception {
        RunnerLauncher.RunnerSpec spec = fixture.createSession();
        ControlPlaneFixture.FakeRunner runner = fixture.registerReady(spec, Capability.CAPABILITY_WEBRTC_VP8);
        SessionServiceGrpc.SessionServiceFutureStub stub = SessionServiceGrpc.newFutureStub(fixture.apiChannel);

        // Answered: the viewer gets the runner's SDP under the viewer id the runner was given.
        var answered = stub.offer(OfferRequest.newBuilder().setSessionId(spec.sessionId()).setSdp("v=0 offer-1").build());
        ControlMessage offer = runner.down().next(ControlMessage::hasOffer, Duration.ofSeconds(5));
        assertEquals("v=0 offer-1", offer.getOffer().getSdp());
        runner.send(RunnerMessage.newBuilder().setAnswer(SignalAnswer.newBuilder()
                .setViewerId(offer.getOffer().getViewerId()).setSdp("v=0 answer-1")).build());
        OfferAnswer answer = answered.get(5, TimeUnit.SECONDS);
        assertEquals("v=0 answer-1", answer.getSdp());
        assertEquals(offer.getOffer().getViewerId(), answer.getViewerId());

        // Not answered: ABORTED after the offer timeout, and the session is fine.
        long sent = System.nanoTime();
        var unanswered = stub.offer(OfferRequest.newBuilder().setSessionId(spec.sessionId()).setSdp("v=0 offer-2").build());
        runner.down().next(ControlMessage::hasOffer, Duration.ofSeconds(5));
        var failure = assertThrows(java.util.concurrent.ExecutionException.class, () -> unanswered.get(5, TimeUnit.SECONDS));
        Status status = Status.fromThrowable(failure.getCause());
        assertEquals(Status.Code.ABORTED, status.getCode());
        assertTrue(status.getDescription().contains("runner unreachable"), status.getDescription());
        long tookMs = (System.nanoTime() - sent) / 1_000_000;
        assertTrue(tookMs >= 450, "failed after " + tookMs + " ms, before the offer timeout");
        assertEquals(SessionStatus.SESSION_STATUS_READY, fixture.get(spec.sessionId()).getStatus());

        // Refused by the runner: an offer it could not take is the viewer's fault (INVALID_ARGUMENT);
        // anything else is the runner's (ABORTED).
        for (boolean offersFault : new boolean[] {true, false}) {
            var refusedOffer = stub.offer(OfferRequest.newBuilder().setSessionId(spec.sessionId()).setSdp("v=0 offer-3").build());
            ControlMessage third = runner.down().next(ControlMessage::hasOffer, Duration.ofSeconds(5));
            runner.send(RunnerMessage.newBuilder().setAnswer(SignalAnswer.newBuilder().setViewerId(third.getOffer().getViewerId())
                    .setError(offersFault ? "bad session description: no m-line" : "WebRTC is not available: no encoder")
                    .setOfferRefused(offersFault)).build());
            Status refusal = Status.fromThrowable(assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> refusedOffer.get(5, TimeUnit.SECONDS)).getCause());
            assertEquals(offersFault ? Status.Code.INVALID_ARGUMENT : Status.Code.ABORTED, refusal.getCode(), refusal.toString());
            assertTrue(refusal.getDescription().startsWith(offersFault ? "the offer was refused: bad session description"
                    : "runner unreachable: WebRTC is not available"), refusal.getDescription());
        }

        // A late answer to the timed-out offer is dropped, not mistaken for another.
        runner.send(RunnerMessage.newBuilder().setAnswer(SignalAnswer.newBuilder().setViewerId("stale").setSdp("x")).build());
        // A runner without WebRTC is refused at once.
        RunnerLauncher.RunnerSpec plain = fixture.createSession();
        fixture.registerReady(plain);
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> fixture.sessions()
                .offer(OfferRequest.newBuilder().setSessionId(plain.sessionId()).setSdp("v=0").build()));
        assertEquals(Status.Code.ABORTED, refused.getStatus().getCode());
    }

    @Test
    void aRunnerThatStopsReadingIsCutOffWhileTheApiKeepsAnswering() throws Exception {
        RunnerLauncher.RunnerSpec spec = fixture.createSession();
        // This runner takes its welcome and then reads nothing more.
        TestRunners.StalledRunner runner = TestRunners.registerAndStopReading(fixture.runnerChannel, spec);
        fixture.awaitStatus(spec.sessionId(), SessionStatus.SESSION_STATUS_READY, Duration.ofSeconds(5));

        ControlPlaneFixture.FakeViewer viewer = fixture.attach(spec.sessionId());
        for (int i = 0; i < RunnerStreamService.QUEUE_CAPACITY + 100; i++) {
            viewer.up().onNext(ViewerMessage.newBuilder().setInput(InputEvent.getDefaultInstance()).build());
            if (i % 200 == 0) {
                long t0 = System.nanoTime();
                fixture.sessions().listSessions(ListSessionsRequest.getDefaultInstance());
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(ms < 1_000, "listing sessions took " + ms + " ms while a runner was not reading");
            }
            runner.send(heartbeat()); // still alive, only not reading
        }
        // From here on the viewer only heartbeats, as an edge does, while the control plane gives up on the runner.
        ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor();
        beats.scheduleAtFixedRate(() -> viewer.up().onNext(ViewerMessage.newBuilder()
                .setHeartbeat(Heartbeat.newBuilder().setSentAtUnixMs(System.currentTimeMillis())).build()),
                0, HEARTBEAT.toMillis() / 2, TimeUnit.MILLISECONDS);
        try {
            Status status = runner.closed().get(10, TimeUnit.SECONDS);
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, status.getCode());
            // The reason is typed (google.rpc.ErrorInfo), not only written in the message.
            com.google.rpc.ErrorInfo info = io.grpc.protobuf.StatusProto.fromStatusAndTrailers(status, runner.trailers().get())
                    .getDetails(0).unpack(com.google.rpc.ErrorInfo.class);
            assertEquals("mbi.dev", info.getDomain());
            assertEquals(dev.mbi.proto.v1.LimitReason.LIMIT_REASON_PEER_NOT_READING.name(), info.getReason());
            fixture.awaitStatus(spec.sessionId(), SessionStatus.SESSION_STATUS_ERROR, Duration.ofSeconds(5));
            assertTrue(fixture.get(spec.sessionId()).getError().contains("stopped reading"), fixture.get(spec.sessionId()).getError());
            assertEquals(SessionStatus.SESSION_STATUS_ERROR,
                    viewer.down().next(u -> u.hasStatus() && u.getStatus().getStatus() == SessionStatus.SESSION_STATUS_ERROR,
                            Duration.ofSeconds(5)).getStatus().getStatus());
        } finally {
            beats.shutdownNow();
        }
    }
}
