package dev.mbi.controlplane.grpc;

import dev.mbi.controlplane.core.RunnerSnapshot;
import dev.mbi.controlplane.core.SessionException;
import dev.mbi.controlplane.core.SessionPage;
import dev.mbi.controlplane.core.SessionRegistry;
import dev.mbi.controlplane.core.SessionSnapshot;
import dev.mbi.controlplane.fleet.RunnerFleet;
import dev.mbi.proto.v1.AdminListSessionsRequest;
import dev.mbi.proto.v1.AdminServiceGrpc;
import dev.mbi.proto.v1.DrainHostRequest;
import dev.mbi.proto.v1.GetSessionRequest;
import dev.mbi.proto.v1.ListHostsRequest;
import dev.mbi.proto.v1.ListHostsResponse;
import dev.mbi.proto.v1.ListRunnersRequest;
import dev.mbi.proto.v1.ListRunnersResponse;
import dev.mbi.proto.v1.ListSessionsResponse;
import dev.mbi.proto.v1.Runner;
import dev.mbi.proto.v1.RunnerHost;
import dev.mbi.proto.v1.Session;
import dev.mbi.proto.v1.SessionEvent;
import dev.mbi.proto.v1.SessionStatus;
import dev.mbi.proto.v1.TerminateAllRequest;
import dev.mbi.proto.v1.TerminateAllResponse;
import dev.mbi.proto.v1.TerminateSessionRequest;
import dev.mbi.proto.v1.UndrainHostRequest;
import dev.mbi.proto.v1.WatchSessionsRequest;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.util.function.Predicate;
import java.util.logging.Logger;

/**
 * AdminService: sessions, runners and the fleet's hosts for operators (grpcurl), translated into
 * calls on the session registry and the launcher's fleet.
 */
public final class AdminApiService extends AdminServiceGrpc.AdminServiceImplBase {
    private static final Logger LOG = Logger.getLogger(AdminApiService.class.getName());
    /** What TerminateAll's confirm field must say: ending every session is never an accident. */
    public static final String TERMINATE_ALL_CONFIRMATION = "terminate all sessions";

    private final SessionRegistry registry;
    /** Null when the launcher runs runners on this machine only. */
    private final RunnerFleet fleet;
    private final String launcher;

    /** @param launcher the launcher's name for operators: process, docker or kubernetes */
    public AdminApiService(SessionRegistry registry, RunnerFleet fleet, String launcher) {
        this.registry = registry;
        this.fleet = fleet;
        this.launcher = launcher;
    }

    private interface Call<T> {
        T run() throws SessionException;
    }

    private static <T> void answer(StreamObserver<T> responses, Call<T> call) {
        try {
            responses.onNext(call.run());
            responses.onCompleted();
        } catch (SessionException e) {
            responses.onError(GrpcErrors.toStatus(e));
        }
    }

    // ---- hosts

    @Override
    public void listHosts(ListHostsRequest request, StreamObserver<ListHostsResponse> responses) {
        ListHostsResponse.Builder b = ListHostsResponse.newBuilder();
        if (fleet != null) {
            fleet.hosts().forEach(h -> b.addHosts(toProto(h)));
        }
        answer(responses, b::build);
    }

    @Override
    public void drainHost(DrainHostRequest request, StreamObserver<RunnerHost> responses) {
        answer(responses, () -> setDrained(request.getName(), !request.getUndrain()));
    }

    @Override
    public void undrainHost(UndrainHostRequest request, StreamObserver<RunnerHost> responses) {
        answer(responses, () -> setDrained(request.getName(), false));
    }

    private RunnerHost setDrained(String name, boolean drained) throws SessionException {
        if (fleet == null) {
            throw new SessionException(SessionException.Reason.NOT_READY,
                    "the process launcher runs runners on this machine only: there are no hosts to drain");
        }
        RunnerHost host = toProto(fleet.setDrained(name, drained));
        LOG.info("runner host " + host.getName() + (drained ? " drained" : " takes new runners again") + " by an operator");
        return host;
    }

    static RunnerHost toProto(dev.mbi.controlplane.fleet.RunnerHost h) {
        return RunnerHost.newBuilder()
                .setName(h.name())
                .setEndpoint(h.endpoint())
                .setCapacity(h.capacity())
                .setSessions(h.sessions())
                .setHealthy(h.healthy())
                .setDrained(h.drained())
                .setProblem(h.problem())
                .build();
    }

    // ---- sessions

    @Override
    public void listSessions(AdminListSessionsRequest request, StreamObserver<ListSessionsResponse> responses) {
        Predicate<SessionSnapshot> filter = s -> (request.getStatus() == SessionStatus.SESSION_STATUS_UNSPECIFIED
                || ProtoSessions.toProto(s.status()) == request.getStatus())
                && (request.getHost().isEmpty() || request.getHost().equals(s.runnerHost()))
                && (request.getOwner().isEmpty() || request.getOwner().equals(s.owner()));
        answer(responses, () -> {
            // page_size is unsigned: a huge one means "as many as allowed".
            SessionPage page = registry.list(filter, (int) Math.min(Integer.toUnsignedLong(request.getPageSize()),
                    SessionPage.MAX_SIZE), request.getPageToken());
            ListSessionsResponse.Builder b = ListSessionsResponse.newBuilder().setNextPageToken(page.nextPageToken());
            page.sessions().forEach(s -> b.addSessions(forOperators(s)));
            return b.build();
        });
    }

    @Override
    public void getSession(GetSessionRequest request, StreamObserver<Session> responses) {
        answer(responses, () -> forOperators(registry.require(request.getSessionId())));
    }

    @Override
    public void terminateSession(TerminateSessionRequest request, StreamObserver<Session> responses) {
        answer(responses, () -> {
            Session ended = forOperators(registry.delete(request.getSessionId()));
            LOG.info("session " + ended.getSessionId() + ": terminated by an operator");
            return ended;
        });
    }

    @Override
    public void terminateAll(TerminateAllRequest request, StreamObserver<TerminateAllResponse> responses) {
        answer(responses, () -> {
            if (!TERMINATE_ALL_CONFIRMATION.equals(request.getConfirm())) {
                throw new SessionException(SessionException.Reason.NOT_READY, "TerminateAll ends every live session:"
                        + " to mean it, set confirm to \"" + TERMINATE_ALL_CONFIRMATION + "\"");
            }
            int ended = registry.terminateAll("terminated by an operator (TerminateAll)");
            LOG.warning("an operator terminated all " + ended + " live session(s)");
            return TerminateAllResponse.newBuilder().setTerminated(ended).build();
        });
    }

    /** A session as operators see it: everything but the digest of its token, which only the edge needs. */
    private static Session forOperators(SessionSnapshot s) {
        return ProtoSessions.toProto(s).toBuilder().clearSessionTokenSha256().build();
    }

    @Override
    public void watchSessions(WatchSessionsRequest request, StreamObserver<SessionEvent> responses) {
        SessionEventStream.serve(registry, responses);
    }

    // ---- runners

    @Override
    public void listRunners(ListRunnersRequest request, StreamObserver<ListRunnersResponse> responses) {
        Instant now = Instant.now();
        ListRunnersResponse.Builder b = ListRunnersResponse.newBuilder();
        for (RunnerSnapshot r : registry.runners()) {
            b.addRunners(Runner.newBuilder()
                    .setSessionId(r.sessionId())
                    .setHost(r.host())
                    .setLauncher(launcher)
                    .setHostname(r.identity().hostname())
                    .setRunnerVersion(r.identity().version())
                    .setUptimeSec(Math.max(0, now.toEpochMilli() - r.identity().registeredAt().toEpochMilli()) / 1000.0)
                    .setRegisteredAtUnixMs(r.identity().registeredAt().toEpochMilli())
                    .setLastHeardUnixMs(r.lastHeard().toEpochMilli())
                    .setPooled(r.pooled()));
        }
        answer(responses, b::build);
    }
}
