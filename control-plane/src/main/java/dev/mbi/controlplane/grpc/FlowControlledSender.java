package dev.mbi.controlplane.grpc;

import dev.mbi.proto.v1.LimitReason;
import dev.mbi.relay.NewestFrameSender;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.function.Consumer;

/**
 * The writer of one server stream: messages queue (bounded) and go out only while gRPC says the
 * peer can take them ({@code isReady()}, woken by its on-ready handler), on the sender's own
 * thread, so no caller ever blocks on a slow peer. A peer that lets the queue fill is cut off
 * with RESOURCE_EXHAUSTED, and {@code onGone} hears why.
 */
final class FlowControlledSender {
    private FlowControlledSender() {
    }

    /** Must be called while the service method runs (gRPC accepts the on-ready handler only then). */
    static <T> NewestFrameSender<T> create(String name, int capacity, StreamObserver<T> responses, Consumer<String> onGone) {
        ServerCallStreamObserver<T> call = responses instanceof ServerCallStreamObserver<T> c ? c : null;
        NewestFrameSender<T> sender = new NewestFrameSender<>(name, capacity, new NewestFrameSender.Sink<>() {
            @Override
            public void send(T message) {
                responses.onNext(message);
            }

            @Override
            public void finish(Throwable failure) {
                if (call != null && call.isCancelled()) {
                    // The call is over (the peer left, or the transport refused what it sent): what the
                    // transport answered stands, and an OK from here would contradict it.
                    return;
                }
                try {
                    if (failure != null) {
                        responses.onError(failure);
                    } else {
                        responses.onCompleted();
                    }
                } catch (RuntimeException alreadyClosed) {
                    // the peer went away first
                }
            }

            @Override
            public void broken(Exception cause) {
                if (cause instanceof NewestFrameSender.Overflow) {
                    try {
                        responses.onError(GrpcErrors.limitReached(LimitReason.LIMIT_REASON_PEER_NOT_READING, cause.getMessage()));
                    } catch (RuntimeException alreadyClosed) {
                        // the peer went away first
                    }
                }
                onGone.accept(cause.getMessage());
            }

            @Override
            public boolean ready() {
                return call == null || call.isReady() || call.isCancelled();
            }
        });
        if (call != null) {
            call.setOnReadyHandler(sender::wake);
        }
        return sender;
    }
}
