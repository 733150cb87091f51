package dev.mbi.controlplane.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.controlplane.launch.RunnerLauncher;
import dev.mbi.proto.v1.ControlMessage;
import dev.mbi.proto.v1.Register;
import dev.mbi.proto.v1.RunnerMessage;
import dev.mbi.proto.v1.RunnerReady;
import dev.mbi.proto.v1.SessionStatus;
import io.grpc.Status;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The runner protocol over a real gRPC socket against the real server (the in-process protocol
 * tests cover the rest): refusals and silence reach a client across TCP as they should.
 */
class RunnerStreamTest {
    private static ControlPlaneFixture fixture;

    @BeforeAll
    static void start() {
        // The test's runners never dial again: a lost stream ends its session once this short window passes.
        fixture = ControlPlaneFixture.overSocket(Map.of("RUNNER_RECONNECT_WINDOW", "500ms"));
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    @Test
    void aForgedTokenIsRefused() throws Exception {
        RunnerLauncher.RunnerSpec spec = fixture.createSession();
        ControlPlaneFixture.FakeRunner runner = fixture.connect();
        runner.send(RunnerMessage.newBuilder().setRegister(Register.newBuilder()
                .setSessionId(spec.sessionId()).setJoinToken("forged")).build());
        assertEquals(Status.Code.PERMISSION_DENIED, runner.down().awaitClosed().getCode());
    }

    @Test
    void theFirstMessageMustRegister() throws Exception {
        ControlPlaneFixture.FakeRunner runner = fixture.connect();
        runner.send(RunnerMessage.newBuilder().setReady(RunnerReady.getDefaultInstance()).build());
        assertEquals(Status.Code.INVALID_ARGUMENT, runner.down().awaitClosed().getCode());
    }

    @Test
    void aRunnerThatFallsSilentIsNoticedWithinFiveSeconds() throws Exception {
        RunnerLauncher.RunnerSpec spec = fixture.createSession();
        ControlPlaneFixture.FakeRunner runner = fixture.registerReady(spec);
        // From now on the "runner" sends nothing, like a frozen process; the TCP connection stays up.
        long silentSince = System.nanoTime();
        await(spec.sessionId(), SessionStatus.SESSION_STATUS_ERROR);
        long noticedMs = (System.nanoTime() - silentSince) / 1_000_000;
        assertTrue(noticedMs < 5_000, "noticed after " + noticedMs + " ms");
        assertTrue(fixture.get(spec.sessionId()).getError().contains("lost contact with the runner"),
                fixture.get(spec.sessionId()).getError());
        // The control plane heartbeated the runner meanwhile, and finally closed the stream.
        assertTrue(runner.down().received().stream().anyMatch(ControlMessage::hasHeartbeat));
        runner.down().awaitClosed();
    }

    private static void await(String id, SessionStatus status) {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                .until(() -> fixture.get(id).getStatus() == status);
    }
}
