package dev.mbi.controlplane.grpc;

import dev.mbi.controlplane.core.SessionListener;
import dev.mbi.controlplane.core.SessionRegistry;
import dev.mbi.controlplane.core.SessionSnapshot;
import dev.mbi.proto.v1.SessionEvent;
import dev.mbi.relay.NewestFrameSender;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;

/**
 * One watcher's stream of session lifecycle events (SessionService and AdminService both serve
 * it). A watcher that stops reading is dropped once its bounded queue is full.
 */
final class SessionEventStream {
    private static final Logger LOG = Logger.getLogger(SessionEventStream.class.getName());
    static final int QUEUE_CAPACITY = 4096;

    private SessionEventStream() {
    }

    static void serve(SessionRegistry registry, StreamObserver<SessionEvent> responses) {
        AtomicReference<SessionListener> self = new AtomicReference<>();
        NewestFrameSender<SessionEvent> out = FlowControlledSender.create("session-events", QUEUE_CAPACITY, responses,
                reason -> {
                    LOG.warning("session event watcher dropped: " + reason);
                    registry.removeListener(self.get());
                });
        SessionListener listener = new SessionListener() {
            @Override
            public void onCreated(SessionSnapshot s) {
                out.message(event(SessionEvent.Kind.KIND_CREATED, s).build());
            }

            @Override
            public void onReady(SessionSnapshot s) {
                out.message(event(SessionEvent.Kind.KIND_READY, s).build());
            }

            @Override
            public void onEnded(SessionSnapshot s, boolean launchFailed, double durationSeconds) {
                out.message(event(SessionEvent.Kind.KIND_ENDED, s)
                        .setLaunchFailed(launchFailed)
                        .setDurationSeconds(durationSeconds).build());
            }

            @Override
            public void onEgressBlocked(SessionSnapshot s, Map<String, Long> byRule) {
                out.message(event(SessionEvent.Kind.KIND_EGRESS_BLOCKED, s).putAllEgressBlocked(byRule).build());
            }
        };
        self.set(listener);
        registry.addListener(listener);
        if (responses instanceof ServerCallStreamObserver<SessionEvent> call) {
            call.setOnCancelHandler(() -> {
                registry.removeListener(listener);
                out.finish(null);
            });
        }
    }

    private static SessionEvent.Builder event(SessionEvent.Kind kind, SessionSnapshot s) {
        return SessionEvent.newBuilder().setKind(kind).setSession(ProtoSessions.toProto(s));
    }
}
