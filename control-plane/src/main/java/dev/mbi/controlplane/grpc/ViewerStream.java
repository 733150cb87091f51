package dev.mbi.controlplane.grpc;

import dev.mbi.controlplane.core.SessionException;
import dev.mbi.controlplane.core.SessionRegistry;
import dev.mbi.controlplane.core.SessionSnapshot;
import dev.mbi.controlplane.core.Viewer;
import dev.mbi.proto.v1.Frame;
import dev.mbi.proto.v1.Heartbeat;
import dev.mbi.proto.v1.InputRefused;
import dev.mbi.proto.v1.ViewerMessage;
import dev.mbi.proto.v1.ViewerUpdate;
import dev.mbi.relay.NewestFrameSender;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.logging.Logger;

/** SessionService.Attach for one viewer: input in, status and frames (newest only) out. */
final class ViewerStream implements StreamObserver<ViewerMessage>, Viewer, StreamLiveness.Watched {
    private static final Logger LOG = Logger.getLogger(ViewerStream.class.getName());
    /** Status messages and heartbeats waiting for one viewer (frames never queue: only the newest waits). */
    static final int QUEUE_CAPACITY = 256;
    private final SessionRegistry registry;
    private final StreamLiveness liveness;
    private final NewestFrameSender<ViewerUpdate> out;
    private volatile long lastHeardNanos = System.nanoTime();
    private volatile SessionRegistry.Attachment attachment;
    private volatile String sessionId = "";

    ViewerStream(SessionRegistry registry, StreamLiveness liveness, StreamObserver<ViewerUpdate> responses) {
        this.registry = registry;
        this.liveness = liveness;
        // An edge that stops reading is dropped; leaving frees the session for the idle reaper.
        this.out = FlowControlledSender.create("viewer-stream", QUEUE_CAPACITY, responses, reason -> {
            LOG.warning("viewer of session " + sessionId + " dropped: " + reason);
            leave();
        });
    }

    // ---- edge -> control plane

    @Override
    public void onNext(ViewerMessage message) {
        lastHeardNanos = System.nanoTime();
        switch (message.getKindCase()) {
            case ATTACH -> {
                if (attachment != null) {
                    return;
                }
                try {
                    sessionId = message.getAttach().getSessionId();
                    liveness.watch(this);
                    attachment = registry.attach(message.getAttach().getSessionId(), this);
                } catch (SessionException e) {
                    liveness.unwatch(this);
                    out.finish(GrpcErrors.toStatus(e));
                }
            }
            case INPUT -> {
                SessionRegistry.Attachment a = attachment;
                if (a != null) {
                    a.input(message.getInput());
                }
            }
            case HEARTBEAT, KIND_NOT_SET -> {
                // liveness only
            }
        }
    }

    @Override
    public void onError(Throwable t) {
        leave();
    }

    @Override
    public void onCompleted() {
        leave();
    }

    private void leave() {
        liveness.unwatch(this);
        SessionRegistry.Attachment a = attachment;
        if (a != null) {
            a.detach();
        }
        out.finish(null);
    }

    // ---- control plane -> edge

    @Override
    public void frame(Frame frame) {
        out.frame(ViewerUpdate.newBuilder().setFrame(frame).build());
    }

    @Override
    public void status(SessionSnapshot session) {
        out.message(ViewerUpdate.newBuilder().setStatus(ProtoSessions.toProto(session)).build());
    }

    @Override
    public void inputRefused(String reason) {
        out.message(ViewerUpdate.newBuilder().setInputRefused(InputRefused.newBuilder().setReason(reason)).build());
    }

    @Override
    public void clipboard(String text) {
        out.message(ViewerUpdate.newBuilder().setClipboard(dev.mbi.proto.v1.ClipboardText.newBuilder().setText(text)).build());
    }

    @Override
    public void download(dev.mbi.proto.v1.DownloadUpdate download) {
        out.message(ViewerUpdate.newBuilder().setDownload(download).build());
    }

    @Override
    public void fileChooser(dev.mbi.proto.v1.FileChooserOpened chooser) {
        out.message(ViewerUpdate.newBuilder().setFileChooser(chooser).build());
    }

    @Override
    public void blocked(dev.mbi.proto.v1.ActionBlocked blocked) {
        out.message(ViewerUpdate.newBuilder().setBlocked(blocked).build());
    }

    @Override
    public void end() {
        out.finish(null);
    }

    @Override
    public void sendHeartbeat() {
        out.message(ViewerUpdate.newBuilder()
                .setHeartbeat(Heartbeat.newBuilder().setSentAtUnixMs(System.currentTimeMillis())).build());
    }

    @Override
    public void onSilent(long silentMs) {
        SessionRegistry.Attachment a = attachment;
        if (a != null) {
            a.detach();
        }
        out.finish(Status.UNAVAILABLE.withDescription("no heartbeat for " + silentMs + " ms").asRuntimeException());
    }

    @Override
    public long lastHeardNanos() {
        return lastHeardNanos;
    }
}
