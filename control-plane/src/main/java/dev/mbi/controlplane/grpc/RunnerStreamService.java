package dev.mbi.controlplane.grpc;

import dev.mbi.controlplane.core.RunnerChannel;
import dev.mbi.controlplane.core.SessionException;
import dev.mbi.controlplane.core.SessionRegistry;
import dev.mbi.proto.v1.ControlMessage;
import dev.mbi.proto.v1.Heartbeat;
import dev.mbi.proto.v1.Register;
import dev.mbi.proto.v1.RunnerMessage;
import dev.mbi.proto.v1.RunnerServiceGrpc;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.logging.Logger;

/** RunnerService.Connect: translates each runner's stream into calls on the session registry. */
public final class RunnerStreamService extends RunnerServiceGrpc.RunnerServiceImplBase {
    private static final Logger LOG = Logger.getLogger(RunnerStreamService.class.getName());

    private final SessionRegistry registry;
    private final StreamLiveness liveness;

    public RunnerStreamService(SessionRegistry registry, StreamLiveness liveness) {
        this.registry = registry;
        this.liveness = liveness;
    }

    @Override
    public StreamObserver<RunnerMessage> connect(StreamObserver<ControlMessage> responses) {
        return new RunnerStream(responses);
    }

    private final class RunnerStream implements StreamObserver<RunnerMessage>, RunnerChannel, StreamLiveness.Watched {
        private final StreamObserver<ControlMessage> responses;
        private volatile String sessionId;
        private volatile long lastHeardNanos = System.nanoTime();
        private boolean closed;

        RunnerStream(StreamObserver<ControlMessage> responses) {
            this.responses = responses;
        }

        @Override
        public void onNext(RunnerMessage message) {
            lastHeardNanos = System.nanoTime();
            String id = sessionId;
            if (id == null) {
                register(message);
                return;
            }
            switch (message.getKindCase()) {
                case FRAME -> registry.runnerFrame(id, message.getFrame());
                case READY -> registry.runnerReady(id, message.getReady().getStartupMs());
                case NAVIGATED -> registry.runnerNavigated(id, message.getNavigated().getUrl(), message.getNavigated().getTitle());
                case METRICS -> registry.runnerMetrics(id, message.getMetrics());
                case ERROR -> registry.runnerFailed(id, message.getError().getReason());
                case TERMINATED -> registry.runnerTerminated(id, message.getTerminated().getReason());
                case ANSWER -> registry.runnerAnswered(id, message.getAnswer());
                case HEARTBEAT, ICE_CANDIDATE, REGISTER, KIND_NOT_SET -> {
                    // heartbeats only prove liveness; signalling is non-trickle; a second register is ignored
                }
            }
        }

        private void register(RunnerMessage message) {
            if (!message.hasRegister()) {
                fail(Status.INVALID_ARGUMENT.withDescription("the first message on the stream must be register"));
                return;
            }
            Register r = message.getRegister();
            try {
                sessionId = r.getSessionId();
                registry.runnerRegistered(r.getSessionId(), r.getJoinToken(), r.getHostname(),
                        java.util.Set.copyOf(r.getCapabilitiesList()), this);
                liveness.watch(this);
            } catch (SessionException e) {
                sessionId = null;
                LOG.warning("runner registration refused for session " + r.getSessionId() + ": " + e.getMessage());
                fail(GrpcErrors.toStatus(e).getStatus());
            }
        }

        @Override
        public synchronized void send(ControlMessage message) {
            if (closed) {
                return;
            }
            try {
                responses.onNext(message);
            } catch (RuntimeException e) {
                closed = true;
                LOG.fine(() -> "session " + sessionId + ": send to runner failed: " + e.getMessage());
            }
        }

        @Override
        public synchronized void close() {
            liveness.unwatch(this);
            if (!closed) {
                closed = true;
                try {
                    responses.onCompleted();
                } catch (RuntimeException ignored) {
                    // the stream is already broken
                }
            }
        }

        private synchronized void fail(Status status) {
            liveness.unwatch(this);
            if (!closed) {
                closed = true;
                try {
                    responses.onError(status.asRuntimeException());
                } catch (RuntimeException ignored) {
                    // the stream is already broken
                }
            }
        }

        @Override
        public void onError(Throwable t) {
            disconnected("stream failed: " + Status.fromThrowable(t).getCode());
        }

        @Override
        public void onCompleted() {
            close();
            disconnected("the runner closed its stream");
        }

        private void disconnected(String reason) {
            liveness.unwatch(this);
            String id = sessionId;
            if (id != null) {
                registry.runnerDisconnected(id, this, reason);
            }
        }

        @Override
        public void sendHeartbeat() {
            send(ControlMessage.newBuilder()
                    .setHeartbeat(Heartbeat.newBuilder().setSentAtUnixMs(System.currentTimeMillis()))
                    .build());
        }

        @Override
        public void onSilent(long silentMs) {
            fail(Status.UNAVAILABLE.withDescription("no heartbeat for " + silentMs + " ms"));
            disconnected("no heartbeat for " + silentMs + " ms");
        }

        @Override
        public long lastHeardNanos() {
            return lastHeardNanos;
        }
    }
}
