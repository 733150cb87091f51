package dev.mbi.controlplane.grpc;

import dev.mbi.controlplane.core.IceSettings;
import dev.mbi.controlplane.core.SessionException;
import dev.mbi.controlplane.core.SessionPage;
import dev.mbi.controlplane.core.SessionRegistry;
import dev.mbi.controlplane.core.SessionSnapshot;
import dev.mbi.proto.v1.CreateSessionRequest;
import dev.mbi.proto.v1.DeleteSessionRequest;
import dev.mbi.proto.v1.GetIceConfigRequest;
import dev.mbi.proto.v1.GetSessionRequest;
import dev.mbi.proto.v1.IceConfig;
import dev.mbi.proto.v1.OfferAnswer;
import dev.mbi.proto.v1.OfferRequest;
import dev.mbi.proto.v1.ListSessionsRequest;
import dev.mbi.proto.v1.ListSessionsResponse;
import dev.mbi.proto.v1.Session;
import dev.mbi.proto.v1.SessionEvent;
import dev.mbi.proto.v1.SessionServiceGrpc;
import dev.mbi.proto.v1.ViewerMessage;
import dev.mbi.proto.v1.ViewerUpdate;
import dev.mbi.proto.v1.WatchSessionsRequest;
import io.grpc.stub.StreamObserver;
import java.util.logging.Logger;

/** SessionService: the edge's calls, translated into calls on the session registry. */
public final class SessionApiService extends SessionServiceGrpc.SessionServiceImplBase {
    private static final Logger LOG = Logger.getLogger(SessionApiService.class.getName());
    /** Session events waiting for one watcher (an edge) before it counts as not reading. */
    private final SessionRegistry registry;
    private final StreamLiveness liveness;

    public SessionApiService(SessionRegistry registry, StreamLiveness liveness) {
        this.registry = registry;
        this.liveness = liveness;
    }

    @FunctionalInterface
    private interface Call {
        Session run() throws SessionException;
    }

    private static void answer(StreamObserver<Session> responses, Call call) {
        try {
            responses.onNext(call.run());
            responses.onCompleted();
        } catch (SessionException e) {
            responses.onError(GrpcErrors.toStatus(e));
        }
    }

    /** The one answer that carries the session's own token; every other carries only its SHA-256. */
    @Override
    public void createSession(CreateSessionRequest request, StreamObserver<Session> responses) {
        answer(responses, () -> {
            SessionRegistry.Created created = registry.create(request.getUrl(), request.getOwner(),
                    request.getEgressDenyHostsList(), new dev.mbi.controlplane.core.PageOptions(request.getViewportWidth(),
                            request.getViewportHeight(), request.getUserAgent(), request.getLocale(), request.getTimezone()),
                    request.getPolicy());
            return ProtoSessions.toProto(created.session()).toBuilder().setSessionToken(created.sessionToken()).build();
        });
    }

    @Override
    public void getSession(GetSessionRequest request, StreamObserver<Session> responses) {
        answer(responses, () -> ProtoSessions.toProto(registry.require(request.getSessionId())));
    }

    @Override
    public void deleteSession(DeleteSessionRequest request, StreamObserver<Session> responses) {
        answer(responses, () -> ProtoSessions.toProto(registry.delete(request.getSessionId())));
    }

    /** One page (at most 100 sessions), oldest first, of one owner's sessions or all. */
    @Override
    public void listSessions(ListSessionsRequest request, StreamObserver<ListSessionsResponse> responses) {
        SessionPage page;
        try {
            // page_size is unsigned: a huge one means "as many as allowed".
            page = registry.list(request.getOwner(), (int) Math.min(Integer.toUnsignedLong(request.getPageSize()),
                    SessionPage.MAX_SIZE), request.getPageToken());
        } catch (SessionException e) {
            responses.onError(GrpcErrors.toStatus(e));
            return;
        }
        ListSessionsResponse.Builder b = ListSessionsResponse.newBuilder().setNextPageToken(page.nextPageToken());
        for (SessionSnapshot s : page.sessions()) {
            b.addSessions(ProtoSessions.toProto(s));
        }
        responses.onNext(b.build());
        responses.onCompleted();
    }

    @Override
    public void getIceConfig(GetIceConfigRequest request, StreamObserver<IceConfig> responses) {
        try {
            IceSettings ice = registry.settings().ice();
            responses.onNext(IceConfig.newBuilder()
                    .addAllIceServers(ProtoSessions.toProto(registry.iceServers(request.getSessionId())))
                    .setIceTransportPolicy(ProtoSessions.transportPolicy(ice.relayOnly()))
                    .setWebrtcTimeoutSec(ice.webrtcTimeoutSec())
                    .build());
            responses.onCompleted();
        } catch (SessionException e) {
            responses.onError(GrpcErrors.toStatus(e));
        }
    }

    @Override
    public void offer(OfferRequest request, StreamObserver<OfferAnswer> responses) {
        try {
            registry.offer(request.getSessionId(), request.getSdp()).whenComplete((answer, error) -> {
                Throwable failure = error instanceof java.util.concurrent.CompletionException c && c.getCause() != null
                        ? c.getCause() : error;
                if (failure == null) {
                    responses.onNext(OfferAnswer.newBuilder().setSdp(answer.sdp()).setViewerId(answer.viewerId()).build());
                    responses.onCompleted();
                } else if (failure instanceof SessionException e) {
                    responses.onError(GrpcErrors.toStatus(e));
                } else {
                    responses.onError(GrpcErrors.toStatus(new SessionException(SessionException.Reason.RUNNER_UNREACHABLE,
                            "runner unreachable: no answer in time")));
                }
            });
        } catch (SessionException e) {
            responses.onError(GrpcErrors.toStatus(e));
        }
    }

    @Override
    public void setControl(dev.mbi.proto.v1.SetControlRequest request, StreamObserver<Session> responses) {
        answer(responses, () -> ProtoSessions.toProto(registry.control(request.getSessionId(),
                ProtoSessions.fromProto(request.getHolder()))));
    }

    @Override
    public StreamObserver<dev.mbi.proto.v1.CdpClientMessage> cdp(StreamObserver<dev.mbi.proto.v1.CdpServerMessage> responses) {
        return new CdpStream(registry, liveness, responses);
    }

    @Override
    public void listDownloads(dev.mbi.proto.v1.ListDownloadsRequest request,
                              StreamObserver<dev.mbi.proto.v1.ListDownloadsResponse> responses) {
        try {
            responses.onNext(dev.mbi.proto.v1.ListDownloadsResponse.newBuilder()
                    .addAllDownloads(registry.downloads(request.getSessionId())).build());
            responses.onCompleted();
        } catch (SessionException e) {
            responses.onError(GrpcErrors.toStatus(e));
        }
    }

    @Override
    public void readDownload(dev.mbi.proto.v1.ReadDownloadRequest request, StreamObserver<dev.mbi.proto.v1.FileChunk> responses) {
        DownloadStream.serve(registry, request, responses);
    }

    @Override
    public StreamObserver<dev.mbi.proto.v1.UploadRequest> upload(StreamObserver<dev.mbi.proto.v1.UploadDone> responses) {
        return new UploadStream(registry, responses);
    }

    @Override
    public StreamObserver<ViewerMessage> attach(StreamObserver<ViewerUpdate> responses) {
        return new ViewerStream(registry, liveness, responses);
    }

    @Override
    public void watchSessions(WatchSessionsRequest request, StreamObserver<SessionEvent> responses) {
        SessionEventStream.serve(registry, responses);
    }
}
