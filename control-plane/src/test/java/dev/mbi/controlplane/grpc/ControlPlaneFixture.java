package dev.mbi.controlplane.grpc;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mbi.config.Env;
import dev.mbi.controlplane.ControlPlane;
import dev.mbi.controlplane.ControlPlaneConfig;
import dev.mbi.controlplane.launch.RunnerLauncher;
import dev.mbi.controlplane.testing.TestApi;
import dev.mbi.controlplane.testing.TestRunners;
import dev.mbi.proto.v1.Capability;
import dev.mbi.proto.v1.ControlMessage;
import dev.mbi.proto.v1.CreateSessionRequest;
import dev.mbi.proto.v1.GetSessionRequest;
import dev.mbi.proto.v1.Register;
import dev.mbi.proto.v1.RunnerMessage;
import dev.mbi.proto.v1.RunnerServiceGrpc;
import dev.mbi.proto.v1.Session;
import dev.mbi.proto.v1.SessionServiceGrpc;
import dev.mbi.proto.v1.SessionStatus;
import dev.mbi.proto.v1.ViewerMessage;
import dev.mbi.proto.v1.ViewerUpdate;
import io.grpc.Channel;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real control plane whose launcher starts nothing: the test plays the runner (the launcher
 * hands it each session's token) and the edge, over in-process gRPC or real sockets (the runners'
 * port and the API's).
 */
final class ControlPlaneFixture implements AutoCloseable {
    final TestRunners.HandOverLauncher launcher = new TestRunners.HandOverLauncher();
    final ControlPlane controlPlane;
    /** To the runners' port: no token. */
    final ManagedChannel runnerChannel;
    /** To the API's port (the same server in-process), each call carrying the token. */
    final Channel apiChannel;
    /** To the API's port, without the token. */
    final ManagedChannel apiConnection;

    private ControlPlaneFixture(Map<String, String> env, boolean inProcess) {
        Map<String, String> all = new HashMap<>(TestApi.controlPlaneEnv());
        all.put("RUNNER_JAR", "pom.xml");
        all.putAll(env);
        ControlPlaneConfig config = ControlPlaneConfig.from(new Env(all));
        if (inProcess) {
            String name = InProcessServerBuilder.generateName();
            controlPlane = ControlPlane.start(config, launcher, InProcessServerBuilder.forName(name));
            runnerChannel = InProcessChannelBuilder.forName(name).build();
            apiConnection = runnerChannel;
        } else {
            controlPlane = ControlPlane.start(config, launcher);
            runnerChannel = Grpc.newChannelBuilder("localhost:" + controlPlane.grpcPort(), InsecureChannelCredentials.create()).build();
            apiConnection = Grpc.newChannelBuilder("localhost:" + controlPlane.apiPort(), InsecureChannelCredentials.create()).build();
        }
        apiChannel = TestApi.withToken(apiConnection);
    }

    static ControlPlaneFixture inProcess(Map<String, String> env) {
        return new ControlPlaneFixture(env, true);
    }

    static ControlPlaneFixture overSocket(Map<String, String> env) {
        return new ControlPlaneFixture(env, false);
    }

    /** One end of a stream as the test sees it: what it received, and how it ended. */
    record Peer<T>(BlockingQueue<T> received, CompletableFuture<Status> closed) implements StreamObserver<T> {
        Peer() {
            this(new LinkedBlockingQueue<>(), new CompletableFuture<>());
        }

        @Override
        public void onNext(T value) {
            received.add(value);
        }

        @Override
        public void onError(Throwable t) {
            closed.complete(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            closed.complete(Status.OK);
        }

        /** The next message that matches, skipping others (heartbeats, say). */
        T next(Predicate<T> wanted, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                T m = received.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (m == null) {
                    throw new AssertionError("nothing matching within " + timeout.toMillis() + " ms; stream closed: "
                            + closed.getNow(null));
                }
                if (wanted.test(m)) {
                    return m;
                }
            }
        }

        Status awaitClosed() throws Exception {
            return closed.get(10, TimeUnit.SECONDS);
        }
    }

    /** The test as a runner: what it sends up, and what it gets. */
    record FakeRunner(StreamObserver<RunnerMessage> up, Peer<ControlMessage> down) {
        void send(RunnerMessage message) {
            up.onNext(message);
        }
    }

    FakeRunner connect() {
        Peer<ControlMessage> down = new Peer<>();
        return new FakeRunner(RunnerServiceGrpc.newStub(runnerChannel).connect(down), down);
    }

    /** A runner that registered with its session's token and got its welcome. */
    FakeRunner register(RunnerLauncher.RunnerSpec spec, Capability... capabilities) throws InterruptedException {
        FakeRunner runner = connect();
        runner.send(RunnerMessage.newBuilder().setRegister(Register.newBuilder()
                .setSessionId(spec.sessionId()).setJoinToken(spec.joinToken()).setHostname("test")
                .addAllCapabilities(java.util.List.of(capabilities))).build());
        runner.down().next(ControlMessage::hasWelcome, Duration.ofSeconds(5));
        return runner;
    }

    /** A runner that registered, said it is ready, and whose session the control plane shows ready. */
    FakeRunner registerReady(RunnerLauncher.RunnerSpec spec, Capability... capabilities) throws InterruptedException {
        FakeRunner runner = register(spec, capabilities);
        runner.send(RunnerMessage.newBuilder().setReady(dev.mbi.proto.v1.RunnerReady.newBuilder().setStartupMs(1)).build());
        awaitStatus(spec.sessionId(), SessionStatus.SESSION_STATUS_READY, Duration.ofSeconds(5));
        return runner;
    }

    /** The test as an edge with one viewer attached to a session. */
    record FakeViewer(StreamObserver<ViewerMessage> up, Peer<ViewerUpdate> down) {
    }

    FakeViewer attach(String sessionId) {
        Peer<ViewerUpdate> down = new Peer<>();
        StreamObserver<ViewerMessage> up = SessionServiceGrpc.newStub(apiChannel).attach(down);
        up.onNext(ViewerMessage.newBuilder().setAttach(dev.mbi.proto.v1.AttachRequest.newBuilder().setSessionId(sessionId)).build());
        return new FakeViewer(up, down);
    }

    RunnerLauncher.RunnerSpec createSession() throws InterruptedException {
        Session s = sessions().createSession(CreateSessionRequest.newBuilder().setUrl("http://127.0.0.1:9/").build());
        RunnerLauncher.RunnerSpec spec = launcher.next(Duration.ofSeconds(5));
        assertEquals(s.getSessionId(), spec.sessionId());
        return spec;
    }

    SessionServiceGrpc.SessionServiceBlockingStub sessions() {
        return SessionServiceGrpc.newBlockingStub(apiChannel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    Session get(String id) {
        return sessions().getSession(GetSessionRequest.newBuilder().setSessionId(id).build());
    }

    /** Waits for a status; fails at once, with the reason, when the session ended otherwise. */
    Session awaitStatus(String id, SessionStatus status, Duration timeout) {
        return await().atMost(timeout).pollInterval(Duration.ofMillis(20)).until(() -> {
            Session s = get(id);
            boolean ended = s.getStatus() == SessionStatus.SESSION_STATUS_ERROR
                    || s.getStatus() == SessionStatus.SESSION_STATUS_TERMINATED;
            if (s.getStatus() != status && ended) {
                throw new AssertionError("session " + id + " ended " + s.getStatus() + " (" + s.getError() + "), not " + status);
            }
            return s;
        }, s -> s.getStatus() == status);
    }

    @Override
    public void close() {
        runnerChannel.shutdownNow();
        apiConnection.shutdownNow();
        controlPlane.close();
    }
}
