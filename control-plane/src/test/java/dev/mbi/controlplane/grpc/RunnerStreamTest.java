package dev.mbi.controlplane.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.config.Env;
import dev.mbi.controlplane.ControlPlane;
import dev.mbi.controlplane.ControlPlaneConfig;
import dev.mbi.controlplane.launch.RunnerLauncher;
import dev.mbi.proto.v1.ControlMessage;
import dev.mbi.proto.v1.CreateSessionRequest;
import dev.mbi.proto.v1.GetSessionRequest;
import dev.mbi.proto.v1.Register;
import dev.mbi.proto.v1.RunnerMessage;
import dev.mbi.proto.v1.RunnerReady;
import dev.mbi.proto.v1.RunnerServiceGrpc;
import dev.mbi.proto.v1.Session;
import dev.mbi.proto.v1.SessionServiceGrpc;
import dev.mbi.proto.v1.SessionStatus;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The runner protocol over a real gRPC socket against the real server, with the test playing the
 * runner (a launcher that starts nothing hands the test the session's token).
 */
class RunnerStreamTest {
    private static final BlockingQueue<RunnerLauncher.RunnerSpec> LAUNCHED = new LinkedBlockingQueue<>();
    private static ControlPlane controlPlane;
    private static ManagedChannel channel;

    @BeforeAll
    static void start() {
        ControlPlaneConfig config = ControlPlaneConfig.from(new Env(Map.of("GRPC_PORT", "0", "RUNNER_JAR", "pom.xml")));
        controlPlane = ControlPlane.start(config, new RunnerLauncher() {
            @Override
            public RunnerHandle launch(RunnerSpec spec) {
                LAUNCHED.add(spec);
                return new RunnerHandle() {
                    @Override
                    public String host() {
                        return "test";
                    }

                    @Override
                    public void stop() {
                    }

                    @Override
                    public void onExit(IntConsumer exitCode) {
                    }
                };
            }

            @Override
            public void close() {
            }
        });
        channel = Grpc.newChannelBuilder("localhost:" + controlPlane.grpcPort(), InsecureChannelCredentials.create()).build();
    }

    @AfterAll
    static void stop() {
        channel.shutdownNow();
        controlPlane.close();
    }

    private record FakeRunner(StreamObserver<RunnerMessage> up, BlockingQueue<ControlMessage> down,
                              CompletableFuture<Status> closed) {
    }

    private static FakeRunner connect() {
        BlockingQueue<ControlMessage> down = new LinkedBlockingQueue<>();
        CompletableFuture<Status> closed = new CompletableFuture<>();
        StreamObserver<RunnerMessage> up = RunnerServiceGrpc.newStub(channel).connect(new StreamObserver<>() {
            @Override
            public void onNext(ControlMessage value) {
                down.add(value);
            }

            @Override
            public void onError(Throwable t) {
                closed.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                closed.complete(Status.OK);
            }
        });
        return new FakeRunner(up, down, closed);
    }

    private static RunnerLauncher.RunnerSpec createSession() throws InterruptedException {
        Session s = SessionServiceGrpc.newBlockingStub(channel)
                .createSession(CreateSessionRequest.newBuilder().setUrl("http://127.0.0.1:9/").build());
        RunnerLauncher.RunnerSpec spec = LAUNCHED.poll(5, TimeUnit.SECONDS);
        assertEquals(s.getSessionId(), spec.sessionId());
        return spec;
    }

    private static Session get(String id) {
        return SessionServiceGrpc.newBlockingStub(channel).getSession(GetSessionRequest.newBuilder().setSessionId(id).build());
    }

    @Test
    void aForgedTokenIsRefused() throws Exception {
        RunnerLauncher.RunnerSpec spec = createSession();
        FakeRunner runner = connect();
        runner.up().onNext(RunnerMessage.newBuilder().setRegister(Register.newBuilder()
                .setSessionId(spec.sessionId()).setJoinToken("forged")).build());
        assertEquals(Status.Code.PERMISSION_DENIED, runner.closed().get(15, TimeUnit.SECONDS).getCode());
    }

    @Test
    void theFirstMessageMustRegister() throws Exception {
        FakeRunner runner = connect();
        runner.up().onNext(RunnerMessage.newBuilder().setReady(RunnerReady.getDefaultInstance()).build());
        assertEquals(Status.Code.INVALID_ARGUMENT, runner.closed().get(15, TimeUnit.SECONDS).getCode());
    }

    @Test
    void aRunnerThatFallsSilentIsNoticedWithinFiveSeconds() throws Exception {
        RunnerLauncher.RunnerSpec spec = createSession();
        FakeRunner runner = connect();
        runner.up().onNext(RunnerMessage.newBuilder().setRegister(Register.newBuilder()
                .setSessionId(spec.sessionId()).setJoinToken(spec.joinToken())).build());
        ControlMessage welcome = runner.down().poll(5, TimeUnit.SECONDS);
        assertTrue(welcome.hasWelcome(), welcome.toString());
        assertEquals("http://127.0.0.1:9/", welcome.getWelcome().getUrl());
        runner.up().onNext(RunnerMessage.newBuilder().setReady(RunnerReady.getDefaultInstance()).build());
        waitForStatus(spec.sessionId(), SessionStatus.SESSION_STATUS_READY, 5_000);
        // From now on the "runner" sends nothing, like a frozen process; the TCP connection stays up.
        long silentSince = System.nanoTime();
        waitForStatus(spec.sessionId(), SessionStatus.SESSION_STATUS_ERROR, 5_000);
        long noticedMs = (System.nanoTime() - silentSince) / 1_000_000;
        assertTrue(noticedMs < 5_000, "noticed after " + noticedMs + " ms");
        assertTrue(get(spec.sessionId()).getError().contains("lost contact with the runner"), get(spec.sessionId()).getError());
        // The control plane heartbeated the runner meanwhile, and finally closed the stream.
        assertTrue(runner.down().stream().anyMatch(ControlMessage::hasHeartbeat));
        assertTrue(runner.closed().get(5, TimeUnit.SECONDS) != null);
    }

    private static void waitForStatus(String id, SessionStatus status, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (get(id).getStatus() != status) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("session " + id + " is " + get(id).getStatus() + ", not " + status);
            }
            Thread.sleep(20);
        }
    }
}
