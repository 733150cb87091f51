package dev.mbi.runner;

import dev.mbi.proto.v1.ControlMessage;
import dev.mbi.proto.v1.Heartbeat;
import dev.mbi.proto.v1.RunnerMessage;
import dev.mbi.proto.v1.RunnerServiceGrpc;
import dev.mbi.contract.ControlPlaneTls;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The runner's one outbound stream to the control plane. Sends are serialized (gRPC streams are
 * not thread-safe); heartbeats go out every interval, and a control plane silent for three
 * intervals counts as lost, whatever the transport says.
 */
final class ControlPlaneLink implements AutoCloseable {
    static final int SILENT_INTERVALS = 3;

    interface Handler {
        void onMessage(ControlMessage message);

        /**
         * The stream is gone (closed, failed or silent); called once.
         *
         * @param code the status the control plane ended it with, or null when it was not ended by an answer
         *             (silence, a closed stream, a network failure)
         */
        void onLost(String reason, Status.Code code);
    }

    private final ManagedChannel channel;
    private final Handler handler;
    private final AtomicBoolean lost = new AtomicBoolean();
    private final ScheduledExecutorService timer;
    private volatile long lastHeardNanos = System.nanoTime();
    private volatile ScheduledFuture<?> heartbeats;
    private StreamObserver<RunnerMessage> upstream;

    private ControlPlaneLink(ManagedChannel channel, Handler handler, ScheduledExecutorService timer) {
        this.channel = channel;
        this.handler = handler;
        this.timer = timer;
    }

    /**
     * @param tls plain text, or TLS (with a client certificate for mutual TLS) as the control plane serves it
     * @param timer sends the heartbeats and watches for silence
     */
    static ControlPlaneLink open(String target, ControlPlaneTls tls, Handler handler, ScheduledExecutorService timer) {
        ManagedChannel channel = Grpc.newChannelBuilder(target, tls.channelCredentials())
                .keepAliveTime(10, TimeUnit.SECONDS)
                .keepAliveTimeout(5, TimeUnit.SECONDS)
                .keepAliveWithoutCalls(true)
                .maxInboundMessageSize(16 * 1024 * 1024)
                .build();
        ControlPlaneLink link = new ControlPlaneLink(channel, handler, timer);
        link.upstream = RunnerServiceGrpc.newStub(channel).connect(link.new Downstream());
        return link;
    }

    synchronized void send(RunnerMessage message) {
        if (lost.get()) {
            return;
        }
        try {
            upstream.onNext(message);
        } catch (RuntimeException e) {
            markLost("sending to the control plane failed: " + e.getMessage(), null);
        }
    }

    void startHeartbeats(Duration interval) {
        long intervalMs = Math.max(100, interval.toMillis());
        heartbeats = timer.scheduleAtFixedRate(() -> {
            long silentMs = (System.nanoTime() - lastHeardNanos) / 1_000_000;
            if (silentMs > SILENT_INTERVALS * intervalMs) {
                markLost("the control plane has been silent for " + silentMs + " ms", null);
                return;
            }
            send(RunnerMessage.newBuilder()
                    .setHeartbeat(Heartbeat.newBuilder().setSentAtUnixMs(System.currentTimeMillis()))
                    .build());
        }, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
    }

    private void markLost(String reason, Status.Code code) {
        if (lost.compareAndSet(false, true)) {
            handler.onLost(reason, code);
        }
    }

    @Override
    public void close() {
        ScheduledFuture<?> h = heartbeats;
        if (h != null) {
            h.cancel(true);
        }
        synchronized (this) {
            if (lost.compareAndSet(false, true)) {
                try {
                    upstream.onCompleted();
                } catch (RuntimeException ignored) {
                    // already broken; nothing left to tell
                }
            }
        }
        channel.shutdown();
        try {
            if (!channel.awaitTermination(1, TimeUnit.SECONDS)) {
                channel.shutdownNow();
            }
        } catch (InterruptedException e) {
            channel.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    private final class Downstream implements StreamObserver<ControlMessage> {
        @Override
        public void onNext(ControlMessage message) {
            lastHeardNanos = System.nanoTime();
            handler.onMessage(message);
        }

        @Override
        public void onError(Throwable t) {
            Status status = Status.fromThrowable(t);
            // UNAVAILABLE and the like say nothing about the session: only a refusal is an answer.
            boolean answer = switch (status.getCode()) {
                case PERMISSION_DENIED, NOT_FOUND, FAILED_PRECONDITION, INVALID_ARGUMENT, UNAUTHENTICATED -> true;
                default -> false;
            };
            markLost("the stream to the control plane failed: " + t.getMessage(), answer ? status.getCode() : null);
        }

        @Override
        public void onCompleted() {
            markLost("the control plane closed the stream", null);
        }
    }
}
