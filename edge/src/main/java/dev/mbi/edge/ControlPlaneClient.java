package dev.mbi.edge;

import dev.mbi.proto.v1.AdminServiceGrpc;
import dev.mbi.proto.v1.CreateSessionRequest;
import dev.mbi.proto.v1.DrainHostRequest;
import dev.mbi.proto.v1.ListHostsRequest;
import dev.mbi.proto.v1.RunnerHost;
import dev.mbi.proto.v1.DeleteSessionRequest;
import dev.mbi.proto.v1.GetIceConfigRequest;
import dev.mbi.proto.v1.GetSessionRequest;
import dev.mbi.proto.v1.IceConfig;
import dev.mbi.proto.v1.OfferAnswer;
import dev.mbi.proto.v1.OfferRequest;
import dev.mbi.proto.v1.ListSessionsRequest;
import dev.mbi.proto.v1.Session;
import dev.mbi.proto.v1.SessionEvent;
import dev.mbi.proto.v1.SessionServiceGrpc;
import dev.mbi.proto.v1.ViewerMessage;
import dev.mbi.proto.v1.ViewerUpdate;
import dev.mbi.proto.v1.WatchSessionsRequest;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.logging.Logger;

/** The edge's only way to the runners: the control plane's SessionService over gRPC. */
final class ControlPlaneClient implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ControlPlaneClient.class.getName());

    private final String target;
    private final Duration timeout;
    private final ManagedChannel channel;
    private final ScheduledExecutorService timer;
    private volatile boolean closed;

    /** @param timer runs the edge's delayed work (re-subscribing to session events) */
    ControlPlaneClient(String target, Duration timeout, ScheduledExecutorService timer) {
        this.target = target;
        this.timeout = timeout;
        this.timer = timer;
        this.channel = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create())
                .keepAliveTime(20, TimeUnit.SECONDS)
                .maxInboundMessageSize(16 * 1024 * 1024)
                .build();
    }

    String target() {
        return target;
    }

    private SessionServiceGrpc.SessionServiceBlockingStub blocking() {
        return SessionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One unary call with the deadline; gRPC failures become the API's errors. */
    private <T> T call(Function<SessionServiceGrpc.SessionServiceBlockingStub, T> rpc) throws ApiException {
        try {
            return rpc.apply(blocking());
        } catch (StatusRuntimeException e) {
            throw ApiException.from(e, target);
        }
    }

    Session create(String url) throws ApiException {
        return call(stub -> stub.createSession(CreateSessionRequest.newBuilder().setUrl(url).build()));
    }

    /** Creates a session owned by this caller; the answer carries the session's own token. */
    Session create(String url, String owner) throws ApiException {
        return call(stub -> stub.createSession(CreateSessionRequest.newBuilder().setUrl(url).setOwner(owner).build()));
    }

    Session get(String id) throws ApiException {
        return call(stub -> stub.getSession(GetSessionRequest.newBuilder().setSessionId(id).build()));
    }

    List<Session> list() throws ApiException {
        return call(stub -> stub.listSessions(ListSessionsRequest.getDefaultInstance()).getSessionsList());
    }

    /** One owner's sessions. */
    List<Session> list(String owner) throws ApiException {
        return call(stub -> stub.listSessions(ListSessionsRequest.newBuilder().setOwner(owner).build()).getSessionsList());
    }

    IceConfig iceConfig(String id) throws ApiException {
        return call(stub -> stub.getIceConfig(GetIceConfigRequest.newBuilder().setSessionId(id).build()));
    }

    /** Relays an offer; the runner's answer may take up to the control plane's offer timeout plus a margin. */
    OfferAnswer offer(String id, String sdp) throws ApiException {
        try {
            return SessionServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(timeout.toMillis() + 15_000, TimeUnit.MILLISECONDS)
                    .offer(OfferRequest.newBuilder().setSessionId(id).setSdp(sdp).build());
        } catch (StatusRuntimeException e) {
            throw ApiException.from(e, target);
        }
    }

    Session delete(String id) throws ApiException {
        return call(stub -> stub.deleteSession(DeleteSessionRequest.newBuilder().setSessionId(id).build()));
    }

    // ---- runner fleet (AdminService)

    List<RunnerHost> hosts() throws ApiException {
        try {
            return AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .listHosts(ListHostsRequest.getDefaultInstance()).getHostsList();
        } catch (StatusRuntimeException e) {
            throw ApiException.from(e, target);
        }
    }

    RunnerHost drainHost(String name, boolean undrain) throws ApiException {
        try {
            return AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .drainHost(DrainHostRequest.newBuilder().setName(name).setUndrain(undrain).build());
        } catch (StatusRuntimeException e) {
            throw ApiException.from(e, target);
        }
    }

    /** Opens one viewer's stream; the caller sends attach first. */
    StreamObserver<ViewerMessage> attach(StreamObserver<ViewerUpdate> updates) {
        return SessionServiceGrpc.newStub(channel).attach(updates);
    }

    /**
     * Follows every session's lifecycle for as long as the edge runs, subscribing again after a
     * failure. {@code onSubscribed} runs after each (re)subscription so the caller can resync.
     */
    void watch(Consumer<SessionEvent> events, Runnable onSubscribed) {
        if (closed) {
            return;
        }
        SessionServiceGrpc.newStub(channel).watchSessions(WatchSessionsRequest.getDefaultInstance(),
                new StreamObserver<>() {
                    @Override
                    public void onNext(SessionEvent event) {
                        events.accept(event);
                    }

                    @Override
                    public void onError(Throwable t) {
                        resubscribe();
                    }

                    @Override
                    public void onCompleted() {
                        resubscribe();
                    }

                    private void resubscribe() {
                        if (closed) {
                            return;
                        }
                        LOG.fine("session watch ended; subscribing again in 1 s");
                        try {
                            timer.schedule(() -> watch(events, onSubscribed), 1, TimeUnit.SECONDS);
                        } catch (java.util.concurrent.RejectedExecutionException stopping) {
                            // the edge is shutting down
                        }
                    }
                });
        onSubscribed.run();
    }

    @Override
    public void close() {
        closed = true;
        channel.shutdownNow();
    }
}
