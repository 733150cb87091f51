package dev.mbi.controlplane.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.util.JsonFormat;
import dev.mbi.controlplane.launch.RunnerLauncher;
import dev.mbi.controlplane.testing.TestApi;
import dev.mbi.proto.v1.AdminListSessionsRequest;
import dev.mbi.proto.v1.AdminServiceGrpc;
import dev.mbi.proto.v1.ControlMessage;
import dev.mbi.proto.v1.CreateSessionRequest;
import dev.mbi.proto.v1.GetSessionRequest;
import dev.mbi.proto.v1.Heartbeat;
import dev.mbi.proto.v1.ListRunnersRequest;
import dev.mbi.proto.v1.ListSessionsResponse;
import dev.mbi.proto.v1.Register;
import dev.mbi.proto.v1.Runner;
import dev.mbi.proto.v1.RunnerMessage;
import dev.mbi.proto.v1.Session;
import dev.mbi.proto.v1.SessionEvent;
import dev.mbi.proto.v1.SessionStatus;
import dev.mbi.proto.v1.TerminateAllRequest;
import dev.mbi.proto.v1.TerminateSessionRequest;
import dev.mbi.proto.v1.UndrainHostRequest;
import dev.mbi.proto.v1.WatchSessionsRequest;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * AdminService for operators, over real sockets on the API port: first as grpcurl uses it, with
 * a client that knows nothing but what reflection tells it (descriptors fetched by name, requests
 * written as JSON), then each call's rules with the generated stubs.
 */
class AdminServiceTest {
    private static ControlPlaneFixture fixture;

    @BeforeAll
    static void start() {
        fixture = ControlPlaneFixture.overSocket(Map.of("MAX_SESSIONS", "20"));
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    private static AdminServiceGrpc.AdminServiceBlockingStub admin() {
        return AdminServiceGrpc.newBlockingStub(fixture.apiChannel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static RunnerLauncher.RunnerSpec create(String owner) throws InterruptedException {
        Session s = fixture.sessions().createSession(CreateSessionRequest.newBuilder()
                .setUrl("http://127.0.0.1:9/").setOwner(owner).build());
        RunnerLauncher.RunnerSpec spec = fixture.launcher.next(Duration.ofSeconds(5));
        assertEquals(s.getSessionId(), spec.sessionId());
        return spec;
    }

    // ------------------------------------------------------------------ as grpcurl

    /** A reflection client: what grpcurl does before it can call anything. */
    private static final class ReflectionClient {
        private final Channel channel;
        private final Map<String, DescriptorProtos.FileDescriptorProto> protos = new HashMap<>();
        private final Map<String, Descriptors.FileDescriptor> built = new HashMap<>();

        ReflectionClient(Channel channel) {
            this.channel = channel;
        }

        private ServerReflectionResponse ask(ServerReflectionRequest request) throws Exception {
            ControlPlaneFixture.Peer<ServerReflectionResponse> answers = new ControlPlaneFixture.Peer<>();
            var up = ServerReflectionGrpc.newStub(channel).serverReflectionInfo(answers);
            up.onNext(request);
            up.onCompleted();
            Status closed = answers.awaitClosed();
            if (!closed.isOk()) {
                throw closed.asException();
            }
            ServerReflectionResponse response = answers.received().poll();
            if (response.hasErrorResponse()) {
                throw new AssertionError("reflection: " + response.getErrorResponse());
            }
            return response;
        }

        List<String> services() throws Exception {
            return ask(ServerReflectionRequest.newBuilder().setListServices("").build())
                    .getListServicesResponse().getServiceList().stream().map(ServiceResponse::getName).toList();
        }

        /** `grpcurl describe SYMBOL`: the service, found only through the files reflection hands out. */
        Descriptors.ServiceDescriptor service(String name) throws Exception {
            ServerReflectionResponse r = ask(ServerReflectionRequest.newBuilder().setFileContainingSymbol(name).build());
            String first = null;
            for (ByteString bytes : r.getFileDescriptorResponse().getFileDescriptorProtoList()) {
                DescriptorProtos.FileDescriptorProto p = DescriptorProtos.FileDescriptorProto.parseFrom(bytes);
                protos.putIfAbsent(p.getName(), p);
                if (first == null) {
                    first = p.getName();
                }
            }
            Descriptors.FileDescriptor file = build(first);
            return file.findServiceByName(name.substring(name.lastIndexOf('.') + 1));
        }

        private Descriptors.FileDescriptor build(String fileName) throws Exception {
            Descriptors.FileDescriptor done = built.get(fileName);
            if (done != null) {
                return done;
            }
            DescriptorProtos.FileDescriptorProto p = protos.get(fileName);
            if (p == null) {
                // A dependency not sent along: ask for it by name, as grpcurl does.
                ServerReflectionResponse r = ask(ServerReflectionRequest.newBuilder().setFileByFilename(fileName).build());
                for (ByteString bytes : r.getFileDescriptorResponse().getFileDescriptorProtoList()) {
                    DescriptorProtos.FileDescriptorProto d = DescriptorProtos.FileDescriptorProto.parseFrom(bytes);
                    protos.putIfAbsent(d.getName(), d);
                }
                p = protos.get(fileName);
            }
            Descriptors.FileDescriptor[] deps = new Descriptors.FileDescriptor[p.getDependencyCount()];
            for (int i = 0; i < deps.length; i++) {
                deps[i] = build(p.getDependency(i));
            }
            Descriptors.FileDescriptor file = Descriptors.FileDescriptor.buildFrom(p, deps);
            built.put(fileName, file);
            return file;
        }

        /** `grpcurl -d JSON host SERVICE/METHOD` for a unary method; the answer as JSON. */
        String call(Descriptors.MethodDescriptor method, String json) throws Exception {
            DynamicMessage.Builder request = DynamicMessage.newBuilder(method.getInputType());
            JsonFormat.parser().merge(json, request);
            MethodDescriptor<DynamicMessage, DynamicMessage> call = MethodDescriptor.<DynamicMessage, DynamicMessage>newBuilder()
                    .setType(MethodDescriptor.MethodType.UNARY)
                    .setFullMethodName(MethodDescriptor.generateFullMethodName(method.getService().getFullName(), method.getName()))
                    .setRequestMarshaller(new DynamicMarshaller(method.getInputType()))
                    .setResponseMarshaller(new DynamicMarshaller(method.getOutputType()))
                    .build();
            DynamicMessage answer = ClientCalls.blockingUnaryCall(channel, call,
                    CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), request.build());
            return JsonFormat.printer().print(answer);
        }
    }

    private record DynamicMarshaller(Descriptors.Descriptor type) implements MethodDescriptor.Marshaller<DynamicMessage> {
        @Override
        public InputStream stream(DynamicMessage value) {
            return new ByteArrayInputStream(value.toByteArray());
        }

        @Override
        public DynamicMessage parse(InputStream stream) {
            try {
                return DynamicMessage.parseFrom(type, stream);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Test
    void aClientThatKnowsOnlyReflectionListsDescribesAndCallsByName() throws Exception {
        RunnerLauncher.RunnerSpec spec = create("grpcurl-user");
        fixture.registerReady(spec);
        ReflectionClient grpcurl = new ReflectionClient(fixture.apiChannel);

        List<String> services = grpcurl.services();
        assertTrue(services.containsAll(List.of("mbi.v1.AdminService", "mbi.v1.SessionService", "grpc.health.v1.Health")),
                services.toString());

        Descriptors.ServiceDescriptor admin = grpcurl.service("mbi.v1.AdminService");
        List<String> methods = admin.getMethods().stream().map(Descriptors.MethodDescriptor::getName).toList();
        assertTrue(methods.containsAll(List.of("ListSessions", "GetSession", "TerminateSession", "TerminateAll",
                "ListRunners", "ListHosts", "DrainHost", "UndrainHost", "WatchSessions")), methods.toString());
        assertTrue(admin.findMethodByName("WatchSessions").isServerStreaming());

        String listed = grpcurl.call(admin.findMethodByName("ListSessions"),
                "{\"status\":\"SESSION_STATUS_READY\",\"owner\":\"grpcurl-user\"}");
        assertTrue(listed.contains("\"sessionId\": \"" + spec.sessionId() + "\""), listed);
        assertTrue(listed.contains("\"owner\": \"grpcurl-user\""), listed);
        assertFalse(listed.contains("sessionTokenSha256"), "operators never see the token's digest: " + listed);

        String got = grpcurl.call(admin.findMethodByName("GetSession"), "{\"sessionId\":\"" + spec.sessionId() + "\"}");
        assertTrue(got.contains("\"status\": \"SESSION_STATUS_READY\""), got);

        Descriptors.ServiceDescriptor health = grpcurl.service("grpc.health.v1.Health");
        String serving = grpcurl.call(health.findMethodByName("Check"), "{}");
        assertTrue(serving.contains("\"status\": \"SERVING\""), serving);

        // Bad JSON for the request type is refused before anything is sent, as grpcurl refuses it.
        assertThrows(com.google.protobuf.InvalidProtocolBufferException.class,
                () -> grpcurl.call(admin.findMethodByName("ListSessions"), "{\"no_such_field\":1}"));
        // Without the token, reflection tells nothing.
        Exception refused = assertThrows(Exception.class, () -> new ReflectionClient(fixture.apiConnection).services());
        assertEquals(Status.Code.UNAUTHENTICATED, Status.fromThrowable(refused).getCode());
    }

    // ------------------------------------------------------------------ each call's rules

    @Test
    void sessionsAreListedByStatusOwnerAndHostInPagesAndEndedOneByOne() throws Exception {
        RunnerLauncher.RunnerSpec a = create("alice");
        RunnerLauncher.RunnerSpec b = create("alice");
        RunnerLauncher.RunnerSpec c = create("bob");
        fixture.registerReady(a);

        ListSessionsResponse alice = admin().listSessions(AdminListSessionsRequest.newBuilder().setOwner("alice").build());
        assertEquals(List.of(a.sessionId(), b.sessionId()), alice.getSessionsList().stream().map(Session::getSessionId).toList());
        ListSessionsResponse readyAlice = admin().listSessions(AdminListSessionsRequest.newBuilder().setOwner("alice")
                .setStatus(SessionStatus.SESSION_STATUS_READY).build());
        assertEquals(List.of(a.sessionId()), readyAlice.getSessionsList().stream().map(Session::getSessionId).toList());
        assertEquals(0, admin().listSessions(AdminListSessionsRequest.newBuilder().setOwner("alice")
                .setHost("elsewhere").build()).getSessionsCount());
        assertEquals(2, admin().listSessions(AdminListSessionsRequest.newBuilder().setOwner("alice")
                .setHost("test").build()).getSessionsCount());

        ListSessionsResponse first = admin().listSessions(AdminListSessionsRequest.newBuilder().setOwner("alice").setPageSize(1).build());
        assertEquals(List.of(a.sessionId()), first.getSessionsList().stream().map(Session::getSessionId).toList());
        ListSessionsResponse second = admin().listSessions(AdminListSessionsRequest.newBuilder().setOwner("alice").setPageSize(1)
                .setPageToken(first.getNextPageToken()).build());
        assertEquals(List.of(b.sessionId()), second.getSessionsList().stream().map(Session::getSessionId).toList());
        StatusRuntimeException badToken = assertThrows(StatusRuntimeException.class, () -> admin().listSessions(
                AdminListSessionsRequest.newBuilder().setPageToken("not-a-token").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, badToken.getStatus().getCode());

        Session ended = admin().terminateSession(TerminateSessionRequest.newBuilder().setSessionId(c.sessionId()).build());
        assertEquals(SessionStatus.SESSION_STATUS_TERMINATED, ended.getStatus());
        assertEquals(SessionStatus.SESSION_STATUS_TERMINATED, fixture.get(c.sessionId()).getStatus());
        StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class, () -> admin().getSession(
                GetSessionRequest.newBuilder().setSessionId("no-such-session").build()));
        assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
        assertEquals("session not found", unknown.getStatus().getDescription());
    }

    @Test
    void runnersShowWhereTheyRunTheirVersionAndWhenTheyWereLastHeard() throws Exception {
        RunnerLauncher.RunnerSpec spec = create("carol");
        ControlPlaneFixture.FakeRunner runner = fixture.connect();
        runner.send(RunnerMessage.newBuilder().setRegister(Register.newBuilder().setSessionId(spec.sessionId())
                .setJoinToken(spec.joinToken()).setHostname("runner-pod-1").setRunnerVersion("9.9.9")).build());
        runner.down().next(ControlMessage::hasWelcome, Duration.ofSeconds(5));
        Runner listed = admin().listRunners(ListRunnersRequest.getDefaultInstance()).getRunnersList().stream()
                .filter(r -> r.getSessionId().equals(spec.sessionId())).findFirst().orElseThrow();
        assertEquals("runner-pod-1", listed.getHostname());
        assertEquals("9.9.9", listed.getRunnerVersion());
        assertEquals("process", listed.getLauncher());
        assertEquals("test", listed.getHost());
        long registered = listed.getLastHeardUnixMs();

        Thread.sleep(20);
        runner.send(RunnerMessage.newBuilder().setHeartbeat(Heartbeat.newBuilder().setSentAtUnixMs(System.currentTimeMillis())).build());
        org.awaitility.Awaitility.await("the heartbeat seen").atMost(Duration.ofSeconds(5)).until(() ->
                admin().listRunners(ListRunnersRequest.getDefaultInstance()).getRunnersList().stream()
                        .anyMatch(r -> r.getSessionId().equals(spec.sessionId()) && r.getLastHeardUnixMs() > registered));

        admin().terminateSession(TerminateSessionRequest.newBuilder().setSessionId(spec.sessionId()).build());
        assertTrue(admin().listRunners(ListRunnersRequest.getDefaultInstance()).getRunnersList().stream()
                .noneMatch(r -> r.getSessionId().equals(spec.sessionId())), "an ended session's runner is not listed");
    }

    @Test
    void terminateAllNeedsItsConfirmationAndWatchersSeeEveryEnd() throws Exception {
        RunnerLauncher.RunnerSpec one = create("dave");
        RunnerLauncher.RunnerSpec two = create("dave");
        ControlPlaneFixture.Peer<SessionEvent> events = new ControlPlaneFixture.Peer<>();
        AdminServiceGrpc.newStub(fixture.apiChannel).watchSessions(WatchSessionsRequest.getDefaultInstance(), events);
        // The watch is in place once a create is seen on it (the call reaches the server on its own time).
        RunnerLauncher.RunnerSpec three = null;
        for (int attempt = 0; attempt < 20 && three == null; attempt++) {
            RunnerLauncher.RunnerSpec probe = create("dave");
            try {
                events.next(e -> e.getKind() == SessionEvent.Kind.KIND_CREATED
                        && e.getSession().getSessionId().equals(probe.sessionId()), Duration.ofMillis(250));
                three = probe;
            } catch (AssertionError notYet) {
                // created before the watch was in place
            }
        }
        assertTrue(three != null, "the watch saw a create");

        for (String wrong : List.of("", "yes", "TERMINATE ALL SESSIONS")) {
            StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () ->
                    admin().terminateAll(TerminateAllRequest.newBuilder().setConfirm(wrong).build()));
            assertEquals(Status.Code.FAILED_PRECONDITION, refused.getStatus().getCode());
            assertTrue(refused.getStatus().getDescription().contains(AdminApiService.TERMINATE_ALL_CONFIRMATION));
        }
        assertEquals(SessionStatus.SESSION_STATUS_PENDING, fixture.get(one.sessionId()).getStatus());

        int terminated = admin().terminateAll(TerminateAllRequest.newBuilder()
                .setConfirm(AdminApiService.TERMINATE_ALL_CONFIRMATION).build()).getTerminated();
        assertTrue(terminated >= 3, "terminated " + terminated);
        for (RunnerLauncher.RunnerSpec s : List.of(one, two, three)) {
            assertEquals(SessionStatus.SESSION_STATUS_TERMINATED, fixture.get(s.sessionId()).getStatus());
            events.next(e -> e.getKind() == SessionEvent.Kind.KIND_ENDED && e.getSession().getSessionId().equals(s.sessionId()),
                    Duration.ofSeconds(5));
        }
        assertEquals(0, admin().terminateAll(TerminateAllRequest.newBuilder()
                .setConfirm(AdminApiService.TERMINATE_ALL_CONFIRMATION).build()).getTerminated(), "nothing left to end");
    }

    @Test
    void hostsCannotBeDrainedWhereRunnersRunOnThisMachineAndNothingAnswersWithoutTheToken() {
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () ->
                admin().undrainHost(UndrainHostRequest.newBuilder().setName("local").build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, refused.getStatus().getCode());
        StatusRuntimeException anonymous = assertThrows(StatusRuntimeException.class, () ->
                AdminServiceGrpc.newBlockingStub(fixture.apiConnection).listRunners(ListRunnersRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNAUTHENTICATED, anonymous.getStatus().getCode());
        StatusRuntimeException wrong = assertThrows(StatusRuntimeException.class, () ->
                AdminServiceGrpc.newBlockingStub(TestApi.withAuthorization(fixture.apiConnection, "Bearer wrong-token-0123456789"))
                        .terminateAll(TerminateAllRequest.newBuilder().setConfirm(AdminApiService.TERMINATE_ALL_CONFIRMATION).build()));
        assertEquals(Status.Code.UNAUTHENTICATED, wrong.getStatus().getCode());
    }
}
