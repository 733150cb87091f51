package dev.mbi.controlplane.grpc;

import dev.mbi.controlplane.core.SessionException;
import dev.mbi.controlplane.fleet.RunnerFleet;
import dev.mbi.proto.v1.AdminServiceGrpc;
import dev.mbi.proto.v1.DrainHostRequest;
import dev.mbi.proto.v1.ListHostsRequest;
import dev.mbi.proto.v1.ListHostsResponse;
import dev.mbi.proto.v1.RunnerHost;
import io.grpc.stub.StreamObserver;

/** AdminService: the runner fleet's hosts for operators, translated into calls on the launcher's fleet. */
public final class AdminApiService extends AdminServiceGrpc.AdminServiceImplBase {
    /** Null when the launcher runs runners on this machine only. */
    private final RunnerFleet fleet;

    public AdminApiService(RunnerFleet fleet) {
        this.fleet = fleet;
    }

    @Override
    public void listHosts(ListHostsRequest request, StreamObserver<ListHostsResponse> responses) {
        ListHostsResponse.Builder b = ListHostsResponse.newBuilder();
        if (fleet != null) {
            fleet.hosts().forEach(h -> b.addHosts(toProto(h)));
        }
        responses.onNext(b.build());
        responses.onCompleted();
    }

    @Override
    public void drainHost(DrainHostRequest request, StreamObserver<RunnerHost> responses) {
        try {
            if (fleet == null) {
                throw new SessionException(SessionException.Reason.NOT_READY,
                        "the process launcher runs runners on this machine only: there are no hosts to drain");
            }
            responses.onNext(toProto(fleet.setDrained(request.getName(), !request.getUndrain())));
            responses.onCompleted();
        } catch (SessionException e) {
            responses.onError(GrpcErrors.toStatus(e));
        }
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
}
