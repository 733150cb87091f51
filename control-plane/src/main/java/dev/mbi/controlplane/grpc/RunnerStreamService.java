package dev.mbi.controlplane.grpc;

import dev.mbi.controlplane.core.RunnerLink;
import dev.mbi.controlplane.core.RunnerWelcome;
import dev.mbi.controlplane.core.SessionException;
import dev.mbi.controlplane.core.SessionRegistry;
import dev.mbi.proto.v1.CdpClose;
import dev.mbi.proto.v1.CdpData;
import dev.mbi.proto.v1.CdpOpen;
import dev.mbi.proto.v1.ControlChange;
import dev.mbi.proto.v1.ControlMessage;
import dev.mbi.proto.v1.Heartbeat;
import dev.mbi.proto.v1.InputEvent;
import dev.mbi.proto.v1.Register;
import dev.mbi.proto.v1.RunnerMessage;
import dev.mbi.proto.v1.RunnerServiceGrpc;
import dev.mbi.proto.v1.Shutdown;
import dev.mbi.proto.v1.SignalOffer;
import dev.mbi.proto.v1.StreamControl;
import dev.mbi.relay.NewestFrameSender;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.Set;
import java.util.logging.Logger;

/** RunnerService.Connect: translates each runner's stream into calls on the session registry, and back. */
public final class RunnerStreamService extends RunnerServiceGrpc.RunnerServiceImplBase {
    private static final Logger LOG = Logger.getLogger(RunnerStreamService.class.getName());
    /** Messages waiting for one runner (input, offers, controls) before it counts as not reading. */
    static final int QUEUE_CAPACITY = 1024;

    private final SessionRegistry registry;
    private final StreamLiveness liveness;
    /** Runner streams registered and not yet gone. */
    private final java.util.concurrent.atomic.AtomicInteger connected = new java.util.concurrent.atomic.AtomicInteger();

    public RunnerStreamService(SessionRegistry registry, StreamLiveness liveness) {
        this.registry = registry;
        this.liveness = liveness;
    }

    /** Runners connected now (registered, stream open). */
    public int connected() {
        return connected.get();
    }

    @Override
    public StreamObserver<RunnerMessage> connect(StreamObserver<ControlMessage> responses) {
        return new RunnerStream(responses);
    }

    private final class RunnerStream implements StreamObserver<RunnerMessage>, RunnerLink, StreamLiveness.Watched {
        private final NewestFrameSender<ControlMessage> out;
        private volatile String sessionId;
        private volatile long lastHeardNanos = System.nanoTime();
        private final java.util.concurrent.atomic.AtomicBoolean counted = new java.util.concurrent.atomic.AtomicBoolean();
        private volatile boolean stopped;

        RunnerStream(StreamObserver<ControlMessage> responses) {
            this.out = FlowControlledSender.create("runner-stream", QUEUE_CAPACITY, responses, this::disconnected);
        }

        @Override
        public void onNext(RunnerMessage message) {
            lastHeardNanos = System.nanoTime();
            String id = sessionId;
            if (id == null) {
                register(message);
                return;
            }
            if (stopped) {
                return; // told to stop (the session ended, or a runner that dialed again took it over): its word no longer counts
            }
            switch (message.getKindCase()) {
                case FRAME -> registry.runnerFrame(id, message.getFrame().toBuilder().setRelayedUnixUs(dev.mbi.relay.UnixMicros.now()).build());
                case READY -> registry.runnerReady(id, message.getReady().getStartupMs());
                case NAVIGATED -> registry.runnerNavigated(id, message.getNavigated().getUrl(), message.getNavigated().getTitle());
                case METRICS -> registry.runnerMetrics(id, message.getMetrics());
                case ERROR -> registry.runnerFailed(id, message.getError().getReason());
                case TERMINATED -> registry.runnerTerminated(id, message.getTerminated().getReason());
                case ANSWER -> registry.runnerAnswered(id, message.getAnswer());
                case HEARTBEAT -> registry.runnerHeard(id);
                case CDP_DATA -> registry.runnerCdpData(id, message.getCdpData().getClientId(), message.getCdpData().getData(),
                        message.getCdpData().getLast());
                case CDP_CLOSE -> registry.runnerCdpClosed(id, message.getCdpClose().getClientId(), message.getCdpClose().getReason());
                case CLIPBOARD -> registry.runnerClipboard(id, message.getClipboard().getText());
                case DOWNLOAD -> registry.runnerDownload(id, message.getDownload());
                case FILE_CHOOSER -> registry.runnerFileChooser(id, message.getFileChooser());
                case BLOCKED -> registry.runnerBlocked(id, message.getBlocked());
                case DOWNLOAD_CHUNK -> registry.runnerDownloadChunk(id, message.getDownloadChunk());
                case UPLOAD_DONE -> registry.runnerUploadDone(id, message.getUploadDone());
                case ICE_CANDIDATE, REGISTER, KIND_NOT_SET -> {
                    // heartbeats only prove liveness; signalling is non-trickle; a second register is ignored
                }
            }
        }

        private void register(RunnerMessage message) {
            if (!message.hasRegister()) {
                out.finish(Status.INVALID_ARGUMENT.withDescription("the first message on the stream must be register")
                        .asRuntimeException());
                return;
            }
            Register r = message.getRegister();
            try {
                sessionId = r.getSessionId();
                if (r.getResumeToken().isEmpty()) {
                    registry.runnerRegistered(r.getSessionId(), r.getJoinToken(), r.getHostname(), r.getRunnerVersion(),
                            Set.copyOf(r.getCapabilitiesList()), this);
                } else {
                    registry.runnerResumed(r.getSessionId(), r.getResumeToken(), r.getHostname(), r.getRunnerVersion(),
                            Set.copyOf(r.getCapabilitiesList()), r.getState(), this);
                }
                liveness.watch(this);
                if (counted.compareAndSet(false, true)) {
                    connected.incrementAndGet();
                }
            } catch (SessionException e) {
                sessionId = null;
                LOG.warning("runner registration refused for session " + r.getSessionId() + ": " + e.getMessage());
                out.finish(GrpcErrors.toStatus(e));
            }
        }

        // ---- RunnerLink: the rules' words as wire messages

        @Override
        public void welcome(RunnerWelcome welcome) {
            out.message(ControlMessage.newBuilder().setWelcome(ProtoSessions.toProto(welcome)).build());
        }

        @Override
        public void framesEnabled(boolean enabled) {
            out.message(ControlMessage.newBuilder()
                    .setStreamControl(StreamControl.newBuilder().setFramesEnabled(enabled)).build());
        }

        @Override
        public void offer(String viewerId, String sdp) {
            out.message(ControlMessage.newBuilder()
                    .setOffer(SignalOffer.newBuilder().setViewerId(viewerId).setSdp(sdp)).build());
        }

        @Override
        public void input(InputEvent event) {
            out.message(ControlMessage.newBuilder().setInput(event).build());
        }

        @Override
        public void cdpOpen(String clientId) {
            out.message(ControlMessage.newBuilder().setCdpOpen(CdpOpen.newBuilder().setClientId(clientId)).build());
        }

        @Override
        public void cdpData(String clientId, com.google.protobuf.ByteString piece, boolean last) {
            out.message(ControlMessage.newBuilder()
                    .setCdpData(CdpData.newBuilder().setClientId(clientId).setData(piece).setLast(last)).build());
        }

        @Override
        public void cdpClose(String clientId, String reason) {
            out.message(ControlMessage.newBuilder()
                    .setCdpClose(CdpClose.newBuilder().setClientId(clientId).setReason(reason)).build());
        }

        @Override
        public void downloadRead(String requestId, String downloadId, int credit) {
            out.message(ControlMessage.newBuilder().setDownloadRead(dev.mbi.proto.v1.DownloadRead.newBuilder()
                    .setRequestId(requestId).setDownloadId(downloadId).setCredit(credit)).build());
        }

        @Override
        public void downloadCredit(String requestId, int pieces, boolean cancel) {
            out.message(ControlMessage.newBuilder().setDownloadCredit(dev.mbi.proto.v1.DownloadCredit.newBuilder()
                    .setRequestId(requestId).setPieces(pieces).setCancel(cancel)).build());
        }

        @Override
        public void upload(dev.mbi.proto.v1.UploadPiece piece) {
            out.message(ControlMessage.newBuilder().setUpload(piece).build());
        }

        @Override
        public void control(dev.mbi.controlplane.core.ControlHolder holder) {
            out.message(ControlMessage.newBuilder()
                    .setControl(ControlChange.newBuilder().setHolder(ProtoSessions.toProto(holder))).build());
        }

        @Override
        public void shutdown(String reason) {
            stopped = true;
            liveness.unwatch(this);
            if (counted.compareAndSet(true, false)) {
                connected.decrementAndGet();
            }
            out.message(ControlMessage.newBuilder().setShutdown(Shutdown.newBuilder().setReason(reason)).build());
            out.finish(null);
        }

        // ---- the stream's end, from the runner's side or ours

        @Override
        public void onError(Throwable t) {
            out.finish(null);
            disconnected("stream failed: " + Status.fromThrowable(t).getCode());
        }

        @Override
        public void onCompleted() {
            out.finish(null);
            disconnected("the runner closed its stream");
        }

        private void disconnected(String reason) {
            liveness.unwatch(this);
            if (counted.compareAndSet(true, false)) {
                connected.decrementAndGet();
            }
            String id = sessionId;
            if (id != null) {
                registry.runnerDisconnected(id, this, reason);
            }
        }

        @Override
        public void sendHeartbeat() {
            out.message(ControlMessage.newBuilder()
                    .setHeartbeat(Heartbeat.newBuilder().setSentAtUnixMs(System.currentTimeMillis()))
                    .build());
        }

        @Override
        public void onSilent(long silentMs) {
            out.finish(Status.UNAVAILABLE.withDescription("no heartbeat for " + silentMs + " ms").asRuntimeException());
            disconnected("no heartbeat for " + silentMs + " ms");
        }

        @Override
        public long lastHeardNanos() {
            return lastHeardNanos;
        }
    }
}
