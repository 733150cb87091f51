package dev.mbi.controlplane.testing;

import com.google.protobuf.ByteString;
import dev.mbi.controlplane.launch.RunnerLauncher;
import dev.mbi.proto.v1.Capability;
import dev.mbi.proto.v1.ControlMessage;
import dev.mbi.proto.v1.Frame;
import dev.mbi.proto.v1.Heartbeat;
import dev.mbi.proto.v1.ImageFormat;
import dev.mbi.proto.v1.Register;
import dev.mbi.proto.v1.RunnerMessage;
import dev.mbi.proto.v1.RunnerReady;
import dev.mbi.proto.v1.RunnerServiceGrpc;
import dev.mbi.proto.v1.Welcome;
import dev.mbi.relay.UnixMicros;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A runner without a browser, for benches: it dials the address its spec names over real gRPC
 * (its own connection, as a runner process has), registers with the session's join token, says it
 * is ready and heartbeats as a runner does. It counts the input the control plane relays to it and
 * sends frames of any size when asked: one at a time, or back to back as fast as the stream's flow
 * control lets them go.
 */
public final class SyntheticRunner implements AutoCloseable {
    public static final int WIDTH = 1280;
    public static final int HEIGHT = 720;

    private final ManagedChannel channel;
    private final CompletableFuture<Welcome> welcome = new CompletableFuture<>();
    private final CompletableFuture<Throwable> ended = new CompletableFuture<>();
    private final AtomicLong inputs = new AtomicLong();
    /** Notified by gRPC's on-ready handler: the stream can take another message without buffering it. */
    private final Object readiness = new Object();
    private final ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("synthetic-runner-heartbeats").factory());
    private ClientCallStreamObserver<RunnerMessage> up;
    /** The last frame's sequence number: frames sent so far. */
    private volatile long seq;

    private SyntheticRunner(RunnerLauncher.RunnerSpec spec) {
        channel = Grpc.newChannelBuilder(spec.controlPlaneAddr(), InsecureChannelCredentials.create()).build();
        RunnerServiceGrpc.newStub(channel).connect(new ClientResponseObserver<RunnerMessage, ControlMessage>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<RunnerMessage> stream) {
                up = stream;
                stream.setOnReadyHandler(() -> {
                    synchronized (readiness) {
                        readiness.notifyAll();
                    }
                });
            }

            @Override
            public void onNext(ControlMessage message) {
                switch (message.getKindCase()) {
                    case WELCOME -> welcome.complete(message.getWelcome());
                    case INPUT -> inputs.incrementAndGet();
                    default -> {
                        // heartbeats, stream controls, shutdown and the rest: the bench decides when frames go
                    }
                }
            }

            @Override
            public void onError(Throwable t) {
                ended.complete(t);
                welcome.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                ended.complete(null);
                welcome.completeExceptionally(new IllegalStateException("the control plane ended the stream"));
            }
        });
    }

    /** Dials, registers, takes the welcome and reports ready (a 1280x720 page); heartbeats from then on. */
    public static SyntheticRunner connect(RunnerLauncher.RunnerSpec spec, Duration timeout) throws Exception {
        SyntheticRunner runner = new SyntheticRunner(spec);
        runner.send(RunnerMessage.newBuilder().setRegister(Register.newBuilder()
                .setSessionId(spec.sessionId()).setJoinToken(spec.joinToken()).setHostname("synthetic")
                .addCapabilities(Capability.CAPABILITY_JPEG_FRAMES)).build());
        Welcome welcome = runner.welcome.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        // Silence for three intervals ends a runner's stream: frames count as signs of life, but input runs bring none.
        long interval = Math.max(100, welcome.getHeartbeatIntervalMs());
        runner.heartbeats.scheduleAtFixedRate(() -> runner.send(RunnerMessage.newBuilder()
                .setHeartbeat(Heartbeat.newBuilder().setSentAtUnixMs(System.currentTimeMillis())).build()),
                interval, interval, TimeUnit.MILLISECONDS);
        runner.send(RunnerMessage.newBuilder().setReady(RunnerReady.newBuilder()
                .setViewportWidth(WIDTH).setViewportHeight(HEIGHT).setStartupMs(1)).build());
        return runner;
    }

    /** Input events the control plane has relayed to this runner so far. */
    public long inputsReceived() {
        return inputs.get();
    }

    /** Frames sent so far. */
    public long framesSent() {
        return seq;
    }

    /** Completes when the stream ends: with its failure, or with null for a normal end. */
    public CompletableFuture<Throwable> ended() {
        return ended;
    }

    /**
     * Sends one frame of these bytes now, stamped with the time it was sent (microseconds since the
     * epoch, also its capture time); gRPC buffers it if the stream is not ready. Returns that time.
     */
    public synchronized long sendFrame(ByteString jpeg) {
        long now = UnixMicros.now();
        up.onNext(RunnerMessage.newBuilder().setFrame(Frame.newBuilder()
                .setData(jpeg).setFormat(ImageFormat.IMAGE_FORMAT_JPEG).setWidth(WIDTH).setHeight(HEIGHT)
                .setSeq(++seq).setCaptureTimeUnixUs(now).setRunnerSentUnixUs(now)).build());
        return now;
    }

    /**
     * Sends frames back to back for this long, each once the stream is ready for it (gRPC's
     * {@code isReady()}: the HTTP/2 window and the transport's buffer have room), so the control
     * plane's reading sets the pace. Returns how many were sent.
     */
    public long sendFramesFlowControlled(ByteString jpeg, Duration duration) throws InterruptedException {
        long deadline = System.nanoTime() + duration.toNanos();
        long sent = 0;
        while (System.nanoTime() < deadline && !ended.isDone()) {
            synchronized (readiness) {
                // The on-ready handler wakes this; the timed wait covers a signal that came before it.
                while (!up.isReady() && System.nanoTime() < deadline && !ended.isDone()) {
                    readiness.wait(5);
                }
            }
            if (up.isReady()) {
                sendFrame(jpeg);
                sent++;
            }
        }
        return sent;
    }

    private synchronized void send(RunnerMessage message) {
        if (!ended.isDone()) {
            up.onNext(message);
        }
    }

    @Override
    public void close() {
        heartbeats.shutdownNow();
        synchronized (this) {
            if (!ended.isDone()) {
                up.onCompleted();
            }
        }
        channel.shutdownNow();
    }
}
