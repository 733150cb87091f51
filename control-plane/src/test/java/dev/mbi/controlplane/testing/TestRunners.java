package dev.mbi.controlplane.testing;

import dev.mbi.controlplane.launch.RunnerLauncher;
import dev.mbi.proto.v1.ControlMessage;
import dev.mbi.proto.v1.Register;
import dev.mbi.proto.v1.RunnerMessage;
import dev.mbi.proto.v1.RunnerReady;
import dev.mbi.proto.v1.RunnerServiceGrpc;
import io.grpc.Channel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/** Tests playing the runner: a launcher that starts nothing, and runners that misbehave on purpose. */
public final class TestRunners {
    private TestRunners() {
    }

    /** Starts no runner: it hands each session's spec (its token) to the test, which plays the runner. */
    public static final class HandOverLauncher implements RunnerLauncher {
        private final BlockingQueue<RunnerSpec> launched = new LinkedBlockingQueue<>();

        @Override
        public RunnerHandle launch(RunnerSpec spec) {
            launched.add(spec);
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

        /** The next session's spec, as its runner would get it. */
        public RunnerSpec next(Duration timeout) throws InterruptedException {
            RunnerSpec spec = launched.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (spec == null) {
                throw new AssertionError("no runner launched within " + timeout.toMillis() + " ms");
            }
            return spec;
        }

        @Override
        public void close() {
        }
    }

    /** A runner that reads nothing: what it sends, and how its stream ended as far as it could tell (status and trailers). */
    public record StalledRunner(ClientCallStreamObserver<RunnerMessage> up, CompletableFuture<Status> closed,
                                CompletableFuture<Metadata> trailers) {
        public void send(RunnerMessage message) {
            up.onNext(message);
        }
    }

    /**
     * A runner that registers, takes its welcome, says it is ready, and from then on reads nothing
     * (while its connection stays up).
     */
    public static StalledRunner registerAndStopReading(Channel channel, RunnerLauncher.RunnerSpec spec) {
        AtomicReference<ClientCallStreamObserver<RunnerMessage>> up = new AtomicReference<>();
        CompletableFuture<Status> closed = new CompletableFuture<>();
        CompletableFuture<Metadata> trailers = new CompletableFuture<>();
        RunnerServiceGrpc.newStub(channel).connect(new ClientResponseObserver<RunnerMessage, ControlMessage>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<RunnerMessage> stream) {
                up.set(stream);
                stream.disableAutoRequestWithInitial(1);
            }

            @Override
            public void onNext(ControlMessage message) {
            }

            @Override
            public void onError(Throwable t) {
                Metadata m = Status.trailersFromThrowable(t);
                trailers.complete(m == null ? new Metadata() : m);
                closed.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                trailers.complete(new Metadata());
                closed.complete(Status.OK);
            }
        });
        up.get().onNext(RunnerMessage.newBuilder().setRegister(Register.newBuilder()
                .setSessionId(spec.sessionId()).setJoinToken(spec.joinToken()).setHostname("stalled")).build());
        up.get().onNext(RunnerMessage.newBuilder().setReady(RunnerReady.getDefaultInstance()).build());
        return new StalledRunner(up.get(), closed, trailers);
    }
}
