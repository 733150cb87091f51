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
import dev.mbi.proto.v1.ListSessionsResponse;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * The edge's only way to the runners: the control plane's API port (SessionService, AdminService,
 * health) over gRPC, in plain text or TLS, every call carrying {@code authorization: Bearer
 * <CONTROL_PLANE_TOKEN>}.
 */
final class ControlPlaneClient implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ControlPlaneClient.class.getName());
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    /** The most pages one listing follows (the control plane gives at most 100 sessions a page). */
    static final int MAX_PAGES = 1_000;

    private final String target;
    private final Duration timeout;
    private final ManagedChannel connection;
    /** The connection, with the token on every call. */
    private final Channel channel;
    private final ScheduledExecutorService timer;
    private volatile boolean closed;

    /** @param timer runs the edge's delayed work (re-subscribing to session events) */
    ControlPlaneClient(String target, ControlPlaneAccess access, Duration timeout, ScheduledExecutorService timer) {
        this.target = target;
        this.timeout = timeout;
        this.timer = timer;
        this.connection = Grpc.newChannelBuilder(target, access.tls().channelCredentials())
                .keepAliveTime(20, TimeUnit.SECONDS)
                .maxInboundMessageSize(16 * 1024 * 1024)
                .build();
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, "Bearer " + access.token());
        this.channel = ClientInterceptors.intercept(connection, MetadataUtils.newAttachHeadersInterceptor(headers));
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
        return create(url, "");
    }

    /** A new session recorded as {@code owner}'s; the answer carries the session's token, given out this once. */
    Session create(String url, String owner) throws ApiException {
        return create(url, owner, List.of());
    }

    /** The same, with hosts the session never reaches on top of the operator's egress policy. */
    Session create(String url, String owner, List<String> egressDenyHosts) throws ApiException {
        return create(CreateSessionRequest.newBuilder().setUrl(url).setOwner(owner).addAllEgressDenyHosts(egressDenyHosts).build());
    }

    Session create(CreateSessionRequest request) throws ApiException {
        return call(stub -> stub.createSession(request));
    }

    Session get(String id) throws ApiException {
        return call(stub -> stub.getSession(GetSessionRequest.newBuilder().setSessionId(id).build()));
    }

    /** Every session, oldest first, page by page. */
    List<Session> list() throws ApiException {
        return list("");
    }

    /** Every session of {@code owner} (every session when empty), oldest first, page by page. */
    List<Session> list(String owner) throws ApiException {
        List<Session> all = new ArrayList<>();
        String token = "";
        for (int pages = 0; pages < MAX_PAGES; pages++) {
            ListSessionsResponse page = page(owner, 0, token);
            all.addAll(page.getSessionsList());
            if (page.getNextPageToken().isEmpty() || page.getNextPageToken().equals(token)) {
                return all;
            }
            token = page.getNextPageToken();
        }
        LOG.warning("listing sessions stopped after " + MAX_PAGES + " pages");
        return all;
    }

    /** One page: at most {@code pageSize} sessions (0: the control plane's default, 100) after {@code pageToken}. */
    ListSessionsResponse page(String owner, int pageSize, String pageToken) throws ApiException {
        return call(stub -> stub.listSessions(ListSessionsRequest.newBuilder()
                .setOwner(owner).setPageSize(pageSize).setPageToken(pageToken).build()));
    }

    /**
     * Whether the control plane serves the API, asked through gRPC health checking with this edge's
     * token (so a wrong token shows as not ready, too).
     */
    void ready() throws ApiException {
        HealthCheckResponse.ServingStatus status;
        try {
            status = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .check(HealthCheckRequest.newBuilder().setService(SessionServiceGrpc.SERVICE_NAME).build()).getStatus();
        } catch (StatusRuntimeException e) {
            ApiException failure = ApiException.from(e, target);
            throw new ApiException(503, failure.getMessage());
        }
        if (status != HealthCheckResponse.ServingStatus.SERVING) {
            throw new ApiException(503, "control plane at " + target + " is not serving (" + status + ")");
        }
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

    List<dev.mbi.proto.v1.DownloadUpdate> downloads(String id) throws ApiException {
        return call(stub -> stub.listDownloads(dev.mbi.proto.v1.ListDownloadsRequest.newBuilder().setSessionId(id).build()))
                .getDownloadsList();
    }

    /**
     * One download's pieces, as the runner sends them: gRPC's flow control holds the runner back
     * while the caller is slow to take the next piece. The caller must read to the end or cancel.
     */
    io.grpc.Context.CancellableContext readDownload(String id, String downloadId,
                                                   java.util.function.Consumer<java.util.Iterator<dev.mbi.proto.v1.FileChunk>> reader)
            throws ApiException {
        io.grpc.Context.CancellableContext context = io.grpc.Context.current().withCancellation();
        try {
            context.run(() -> reader.accept(SessionServiceGrpc.newBlockingStub(channel).readDownload(
                    dev.mbi.proto.v1.ReadDownloadRequest.newBuilder().setSessionId(id).setDownloadId(downloadId).build())));
        } catch (StatusRuntimeException e) {
            throw ApiException.from(e, target);
        } finally {
            context.cancel(null);
        }
        return context;
    }

    /** Opens an upload's stream; the caller sends start, the pieces, then completes it. */
    StreamObserver<dev.mbi.proto.v1.UploadRequest> upload(StreamObserver<dev.mbi.proto.v1.UploadDone> answer) {
        return SessionServiceGrpc.newStub(channel).upload(answer);
    }

    /** Opens one DevTools client's stream; the caller sends attach first. */
    StreamObserver<dev.mbi.proto.v1.CdpClientMessage> cdp(StreamObserver<dev.mbi.proto.v1.CdpServerMessage> updates) {
        return SessionServiceGrpc.newStub(channel).cdp(updates);
    }

    /** Hands control of the page over; viewers and DevTools clients are told. */
    Session control(String id, dev.mbi.proto.v1.ControlHolder holder) throws ApiException {
        return call(stub -> stub.setControl(dev.mbi.proto.v1.SetControlRequest.newBuilder().setSessionId(id)
                .setHolder(holder).build()));
    }

    /** Opens one viewer's stream; the caller sends attach first. */
    /** Dials the control plane at once, not when the channel's own backoff says (it may have grown to seconds). */
    void reconnectNow() {
        connection.resetConnectBackoff();
    }

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
        connection.shutdownNow();
    }
}
