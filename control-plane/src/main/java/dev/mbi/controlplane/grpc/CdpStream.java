package dev.mbi.controlplane.grpc;

import com.google.protobuf.ByteString;
import dev.mbi.controlplane.core.CdpClient;
import dev.mbi.controlplane.core.SessionException;
import dev.mbi.controlplane.core.SessionRegistry;
import dev.mbi.proto.v1.CdpClientMessage;
import dev.mbi.proto.v1.CdpClose;
import dev.mbi.proto.v1.CdpData;
import dev.mbi.proto.v1.CdpServerMessage;
import dev.mbi.proto.v1.Heartbeat;
import dev.mbi.relay.NewestFrameSender;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.logging.Logger;

/**
 * SessionService.Cdp for one automation client: pieces of DevTools messages both ways, in order.
 * Nothing is dropped: an edge that lets {@value #QUEUE_CAPACITY} pieces (64 MiB) pile up has
 * stopped reading, and its client is disconnected.
 */
final class CdpStream implements StreamObserver<CdpClientMessage>, CdpClient, StreamLiveness.Watched {
    private static final Logger LOG = Logger.getLogger(CdpStream.class.getName());
    /** Pieces (at most 256 KiB each) waiting for one edge: one whole message of the largest size. */
    static final int QUEUE_CAPACITY = 256;
    private final SessionRegistry registry;
    private final StreamLiveness liveness;
    private final NewestFrameSender<CdpServerMessage> out;
    private volatile long lastHeardNanos = System.nanoTime();
    private volatile SessionRegistry.CdpConnection connection;
    private volatile boolean attached;

    CdpStream(SessionRegistry registry, StreamLiveness liveness, StreamObserver<CdpServerMessage> responses) {
        this.registry = registry;
        this.liveness = liveness;
        this.out = FlowControlledSender.create("cdp-stream", QUEUE_CAPACITY, responses,
                reason -> leave("the edge stopped reading: " + reason));
    }

    @Override
    public void onNext(CdpClientMessage message) {
        lastHeardNanos = System.nanoTime();
        switch (message.getKindCase()) {
            case ATTACH -> {
                if (attached) {
                    return;
                }
                attached = true;
                try {
                    liveness.watch(this);
                    connection = registry.cdpOpen(message.getAttach().getSessionId(), message.getAttach().getClient(), this);
                } catch (SessionException e) {
                    liveness.unwatch(this);
                    out.finish(GrpcErrors.toStatus(e));
                }
            }
            case DATA -> {
                SessionRegistry.CdpConnection c = connection;
                if (c != null) {
                    c.send(message.getData().getData(), message.getData().getLast());
                }
            }
            case HEARTBEAT, KIND_NOT_SET -> {
                // liveness only
            }
        }
    }

    @Override
    public void onError(Throwable t) {
        leave("the client's connection failed");
    }

    @Override
    public void onCompleted() {
        leave("the client disconnected");
    }

    private void leave(String reason) {
        liveness.unwatch(this);
        SessionRegistry.CdpConnection c = connection;
        if (c != null) {
            c.close(reason);
        }
        out.finish(null);
    }

    // ---- control plane -> edge

    @Override
    public void data(ByteString piece, boolean last) {
        out.message(CdpServerMessage.newBuilder().setData(CdpData.newBuilder().setData(piece).setLast(last)).build());
    }

    @Override
    public void closed(String reason) {
        liveness.unwatch(this);
        out.message(CdpServerMessage.newBuilder().setClose(CdpClose.newBuilder().setReason(reason)).build());
        out.finish(null);
    }

    @Override
    public void sendHeartbeat() {
        out.message(CdpServerMessage.newBuilder()
                .setHeartbeat(Heartbeat.newBuilder().setSentAtUnixMs(System.currentTimeMillis())).build());
    }

    @Override
    public void onSilent(long silentMs) {
        LOG.fine(() -> "a DevTools client's edge stream was silent for " + silentMs + " ms");
        SessionRegistry.CdpConnection c = connection;
        if (c != null) {
            c.close("the edge was silent for " + silentMs + " ms");
        }
        out.finish(Status.UNAVAILABLE.withDescription("no heartbeat for " + silentMs + " ms").asRuntimeException());
    }

    @Override
    public long lastHeardNanos() {
        return lastHeardNanos;
    }
}
