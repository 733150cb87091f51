package dev.mbi.runner;

import dev.mbi.proto.v1.ControlMessage;
import dev.mbi.proto.v1.RunnerMessage;
import dev.mbi.proto.v1.RunnerServiceGrpc;
import dev.mbi.proto.v1.Welcome;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** A control plane for one runner: welcomes its registration, records what it says, and talks back. */
final class FakeControlPlane implements AutoCloseable {
    private final Server server;
    private final Welcome welcome;
    final List<RunnerMessage> received = new CopyOnWriteArrayList<>();
    private volatile StreamObserver<ControlMessage> toRunner;

    FakeControlPlane(Welcome welcome) throws IOException {
        this.welcome = welcome;
        this.server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                .addService(new RunnerServiceGrpc.RunnerServiceImplBase() {
                    @Override
                    public StreamObserver<RunnerMessage> connect(StreamObserver<ControlMessage> responses) {
                        return new StreamObserver<>() {
                            @Override
                            public void onNext(RunnerMessage message) {
                                received.add(message);
                                if (message.hasRegister()) {
                                    toRunner = responses;
                                    send(ControlMessage.newBuilder().setWelcome(FakeControlPlane.this.welcome).build());
                                }
                            }

                            @Override
                            public void onError(Throwable t) {
                            }

                            @Override
                            public void onCompleted() {
                                responses.onCompleted();
                            }
                        };
                    }
                })
                .build()
                .start();
    }

    String address() {
        return "localhost:" + server.getPort();
    }

    /** Sends to the runner (gRPC streams take one sender at a time). */
    synchronized void send(ControlMessage message) {
        toRunner.onNext(message);
    }

    List<RunnerMessage> received(RunnerMessage.KindCase kind) {
        return received.stream().filter(m -> m.getKindCase() == kind).toList();
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
    }
}
