package dev.mbi.controlplane.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos;
import dev.mbi.config.Env;
import dev.mbi.controlplane.ControlPlaneConfig;
import dev.mbi.controlplane.testing.TestApi;
import dev.mbi.proto.v1.CreateSessionRequest;
import dev.mbi.proto.v1.ListHostsRequest;
import dev.mbi.proto.v1.ListSessionsRequest;
import dev.mbi.proto.v1.Register;
import dev.mbi.proto.v1.RunnerMessage;
import dev.mbi.proto.v1.RunnerServiceGrpc;
import dev.mbi.proto.v1.SessionServiceGrpc;
import dev.mbi.proto.v1.AdminServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.netty.buffer.Unpooled;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2Exception;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2Headers;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control plane's two ports over real sockets: runners' (RunnerService only) and the API's
 * (SessionService, AdminService, health, reflection), where every call needs the token; and
 * messages, or claims of messages, larger than the control plane accepts, on both.
 */
class ApiPortTest {
    private static ControlPlaneFixture fixture;

    @BeforeAll
    static void start() {
        fixture = ControlPlaneFixture.overSocket(Map.of("MAX_SESSIONS", "20"));
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    private static Channel apiWith(String authorization) {
        return TestApi.withAuthorization(fixture.apiConnection, authorization);
    }

    private static Status.Code listSessionsWith(Channel channel) {
        try {
            SessionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .listSessions(ListSessionsRequest.getDefaultInstance());
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    @Test
    void theRunnersPortServesNoApiAndTheApiPortNoRunners() throws Exception {
        assertTrue(fixture.controlPlane.grpcPort() != fixture.controlPlane.apiPort());
        StatusRuntimeException onRunnersPort = assertThrows(StatusRuntimeException.class, () -> SessionServiceGrpc
                .newBlockingStub(TestApi.withToken(fixture.runnerChannel)).withDeadlineAfter(5, TimeUnit.SECONDS)
                .createSession(CreateSessionRequest.newBuilder().setUrl("https://example.com/").build()));
        assertEquals(Status.Code.UNIMPLEMENTED, onRunnersPort.getStatus().getCode());
        assertEquals(Status.Code.UNIMPLEMENTED, listSessionsWith(TestApi.withToken(fixture.runnerChannel)));

        ControlPlaneFixture.Peer<dev.mbi.proto.v1.ControlMessage> down = new ControlPlaneFixture.Peer<>();
        RunnerServiceGrpc.newStub(fixture.apiChannel).connect(down).onNext(RunnerMessage.newBuilder()
                .setRegister(Register.newBuilder().setSessionId("s").setJoinToken("t")).build());
        assertEquals(Status.Code.UNIMPLEMENTED, down.awaitClosed().getCode());
    }

    @Test
    void everyApiCallNeedsTheToken() {
        assertEquals(Status.Code.UNAUTHENTICATED, listSessionsWith(fixture.apiConnection));
        assertEquals(Status.Code.UNAUTHENTICATED, listSessionsWith(apiWith("Bearer not-the-token-at-all-0123")));
        assertEquals(Status.Code.UNAUTHENTICATED, listSessionsWith(apiWith("Bearer " + TestApi.TOKEN + "x")));
        assertEquals(Status.Code.UNAUTHENTICATED, listSessionsWith(apiWith("Basic " + TestApi.TOKEN)));
        assertEquals(Status.Code.UNAUTHENTICATED, listSessionsWith(apiWith(TestApi.TOKEN)));
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> SessionServiceGrpc
                .newBlockingStub(fixture.apiConnection).createSession(CreateSessionRequest.newBuilder().setUrl("https://example.com/").build()));
        assertEquals(Status.Code.UNAUTHENTICATED, refused.getStatus().getCode());
        assertFalse(refused.getStatus().getDescription().contains(TestApi.TOKEN));
        assertEquals(Status.Code.UNAUTHENTICATED, assertThrows(StatusRuntimeException.class, () -> AdminServiceGrpc
                .newBlockingStub(fixture.apiConnection).listHosts(ListHostsRequest.getDefaultInstance())).getStatus().getCode());

        assertEquals(Status.Code.OK, listSessionsWith(fixture.apiChannel));
        assertEquals(Status.Code.OK, listSessionsWith(apiWith("bearer " + TestApi.TOKEN)));
        AdminServiceGrpc.newBlockingStub(fixture.apiChannel).listHosts(ListHostsRequest.getDefaultInstance());
    }

    @Test
    void healthAnswersProbesWithoutACredentialButRefusesAWrongOne() {
        HealthCheckRequest all = HealthCheckRequest.getDefaultInstance();
        assertEquals(HealthCheckResponse.ServingStatus.SERVING,
                HealthGrpc.newBlockingStub(fixture.apiConnection).check(all).getStatus());
        assertEquals(HealthCheckResponse.ServingStatus.SERVING, HealthGrpc.newBlockingStub(fixture.apiChannel)
                .check(HealthCheckRequest.newBuilder().setService("mbi.v1.SessionService").build()).getStatus());
        assertEquals(Status.Code.UNAUTHENTICATED, assertThrows(StatusRuntimeException.class,
                () -> HealthGrpc.newBlockingStub(apiWith("Bearer wrong-token-0123456789")).check(all)).getStatus().getCode());
        // Health is not on the runners' port.
        assertEquals(Status.Code.UNIMPLEMENTED, assertThrows(StatusRuntimeException.class,
                () -> HealthGrpc.newBlockingStub(fixture.runnerChannel).check(all)).getStatus().getCode());
    }

    /** One reflection request on its own stream, as a client without the services' stubs (grpcurl) makes it. */
    private static ServerReflectionResponse reflect(Channel channel, ServerReflectionRequest request) throws Exception {
        ControlPlaneFixture.Peer<ServerReflectionResponse> answers = new ControlPlaneFixture.Peer<>();
        var up = ServerReflectionGrpc.newStub(channel).serverReflectionInfo(answers);
        up.onNext(request);
        up.onCompleted();
        Status closed = answers.awaitClosed();
        if (!closed.isOk()) {
            throw closed.asException();
        }
        return answers.received().poll();
    }

    @Test
    void reflectionListsAndDescribesTheApiForATokenHolder() throws Exception {
        ServerReflectionResponse listed = reflect(fixture.apiChannel,
                ServerReflectionRequest.newBuilder().setListServices("").build());
        List<String> services = listed.getListServicesResponse().getServiceList().stream().map(ServiceResponse::getName).toList();
        assertTrue(services.containsAll(List.of("mbi.v1.SessionService", "mbi.v1.AdminService", "grpc.health.v1.Health",
                "grpc.reflection.v1.ServerReflection")), services.toString());
        assertFalse(services.contains("mbi.v1.RunnerService"), services.toString());

        // describe mbi.v1.SessionService: the file that defines it, and so its methods and messages.
        ServerReflectionResponse file = reflect(fixture.apiChannel,
                ServerReflectionRequest.newBuilder().setFileContainingSymbol("mbi.v1.SessionService").build());
        assertTrue(file.hasFileDescriptorResponse(), file.toString());
        Map<String, DescriptorProtos.FileDescriptorProto> files = new LinkedHashMap<>();
        for (ByteString bytes : file.getFileDescriptorResponse().getFileDescriptorProtoList()) {
            DescriptorProtos.FileDescriptorProto proto = DescriptorProtos.FileDescriptorProto.parseFrom(bytes);
            files.put(proto.getName(), proto);
        }
        DescriptorProtos.FileDescriptorProto mbi = files.get("mbi/v1/mbi.proto");
        DescriptorProtos.ServiceDescriptorProto sessions = mbi.getServiceList().stream()
                .filter(s -> s.getName().equals("SessionService")).findFirst().orElseThrow();
        assertTrue(sessions.getMethodList().stream().anyMatch(m -> m.getName().equals("CreateSession")
                && m.getInputType().equals(".mbi.v1.CreateSessionRequest") && m.getOutputType().equals(".mbi.v1.Session")));
        assertTrue(mbi.getMessageTypeList().stream().anyMatch(m -> m.getName().equals("ListSessionsRequest")
                && m.getFieldList().stream().anyMatch(f -> f.getName().equals("page_token"))));

        ServerReflectionResponse method = reflect(fixture.apiChannel,
                ServerReflectionRequest.newBuilder().setFileContainingSymbol("mbi.v1.SessionService.ListSessions").build());
        assertTrue(method.hasFileDescriptorResponse(), method.toString());

        Exception refused = assertThrows(Exception.class, () -> reflect(fixture.apiConnection,
                ServerReflectionRequest.newBuilder().setListServices("").build()));
        assertEquals(Status.Code.UNAUTHENTICATED, Status.fromThrowable(refused).getCode());
    }

    // ------------------------------------------------------------------ configuration

    private static Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>(Map.of("RUNNER_JAR", "pom.xml"));
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    private static String problems(Map<String, String> env) {
        return assertThrows(IllegalArgumentException.class, () -> ControlPlaneConfig.from(new Env(env))).getMessage();
    }

    @Test
    void theTokenIsRequiredLongEnoughAndMayComeFromAFile(@TempDir Path dir) throws IOException {
        String m = problems(env());
        assertTrue(m.contains("CONTROL_PLANE_TOKEN is not set"), m);
        m = problems(env("CONTROL_PLANE_TOKEN", "short"));
        assertTrue(m.contains("CONTROL_PLANE_TOKEN is too short"), m);
        assertFalse(m.contains("short\n") || m.contains("=short"), "the message must not repeat the token: " + m);
        m = problems(env("CONTROL_PLANE_TOKEN", TestApi.TOKEN, "API_GRPC_PORT", "7000", "GRPC_PORT", "7000"));
        assertTrue(m.contains("API_GRPC_PORT=7000 is GRPC_PORT too"), m);

        Path file = dir.resolve("token");
        Files.writeString(file, TestApi.TOKEN + "\n");
        ControlPlaneConfig config = ControlPlaneConfig.from(new Env(env("CONTROL_PLANE_TOKEN_FILE", file.toString())));
        assertTrue(config.apiToken().matches(TestApi.TOKEN));
        assertFalse(config.apiToken().matches(TestApi.TOKEN + "\n"));
        assertFalse(config.toString().contains(TestApi.TOKEN), "the configuration never prints the token");
        assertEquals(50052, config.apiGrpcPort());
        assertEquals(50051, config.grpcPort());

        m = problems(env("CONTROL_PLANE_TOKEN_FILE", dir.resolve("missing").toString()));
        assertTrue(m.contains("CONTROL_PLANE_TOKEN_FILE=" + dir.resolve("missing") + " cannot be read"), m);
        m = problems(env("CONTROL_PLANE_TOKEN_FILE", file.toString(), "CONTROL_PLANE_TOKEN", TestApi.TOKEN));
        assertTrue(m.contains("both set"), m);
    }

    // ------------------------------------------------------------------ message size

    private static final MethodDescriptor<byte[], byte[]> RAW_CREATE = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(SessionServiceGrpc.getCreateSessionMethod().getFullMethodName())
            .setRequestMarshaller(new BytesMarshaller())
            .setResponseMarshaller(new BytesMarshaller())
            .build();

    private static final class BytesMarshaller implements MethodDescriptor.Marshaller<byte[]> {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Test
    void aMessageLargerThanFourMebibytesIsRefusedAndTheControlPlaneGoesOn() {
        // A CreateSessionRequest whose url field holds 5 MiB.
        byte[] url = "https://example.com/".repeat(5 * 1024 * 1024 / 20).getBytes(StandardCharsets.US_ASCII);
        byte[] request = CreateSessionRequest.newBuilder().setUrlBytes(ByteString.copyFrom(url)).build().toByteArray();
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
                fixture.apiChannel, RAW_CREATE, CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS), request));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getStatus().getCode(), refused.getStatus().toString());
        assertEquals(Status.Code.OK, listSessionsWith(fixture.apiChannel));
    }

    @Test
    void aLengthPrefixClaimingTwoGigabytesIsRefusedAtOnceOnBothPorts() throws Exception {
        long before = usedHeap();
        for (var port : Map.of(fixture.controlPlane.apiPort(), SessionServiceGrpc.getCreateSessionMethod().getFullMethodName(),
                fixture.controlPlane.grpcPort(), RunnerServiceGrpc.getConnectMethod().getFullMethodName()).entrySet()) {
            long t0 = System.nanoTime();
            String answer = RawHttp2.claimHugeMessage(port.getKey(), "/" + port.getValue(), "Bearer " + TestApi.TOKEN);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(answer.startsWith("grpc-status: 8"), "port " + port.getKey() + ": " + answer);
            assertTrue(ms < 5_000, "answered after " + ms + " ms");
        }
        assertTrue(usedHeap() - before < 512L * 1024 * 1024, "the claim must not be allocated");
        // Both ports still serve.
        assertEquals(Status.Code.OK, listSessionsWith(fixture.apiChannel));
        ControlPlaneFixture.FakeRunner runner = fixture.connect();
        runner.send(RunnerMessage.newBuilder().setRegister(Register.newBuilder().setSessionId("none").setJoinToken("x")).build());
        assertEquals(Status.Code.NOT_FOUND, runner.down().awaitClosed().getCode());
    }

    private static long usedHeap() {
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    /** A hand-made HTTP/2 (h2c, prior knowledge) gRPC request whose 5-byte prefix claims a message of 2 GiB - 1. */
    static final class RawHttp2 {
        private RawHttp2() {
        }

        /** What the server answered on the stream: "grpc-status: N" from its trailers, and/or RST_STREAM or GOAWAY. */
        static String claimHugeMessage(int port, String path, String authorization) throws IOException, Http2Exception {
            try (Socket socket = new Socket("127.0.0.1", port)) {
                socket.setSoTimeout(10_000);
                OutputStream out = socket.getOutputStream();
                out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                frame(out, 0x4, 0, 0, new byte[0]); // SETTINGS
                Map<String, String> headers = new LinkedHashMap<>();
                headers.put(":method", "POST");
                headers.put(":scheme", "http");
                headers.put(":path", path);
                headers.put(":authority", "localhost:" + port);
                headers.put("content-type", "application/grpc");
                headers.put("te", "trailers");
                headers.put("authorization", authorization);
                frame(out, 0x1, 0x4, 1, hpack(headers)); // HEADERS, END_HEADERS
                byte[] data = new byte[5 + 1024];
                data[0] = 0; // not compressed
                data[1] = 0x7f;
                data[2] = (byte) 0xff;
                data[3] = (byte) 0xff;
                data[4] = (byte) 0xff;
                frame(out, 0x0, 0, 1, data); // DATA, the stream left open: "more is coming"
                out.flush();

                StringBuilder seen = new StringBuilder();
                DefaultHttp2HeadersDecoder hpack = new DefaultHttp2HeadersDecoder(false);
                DataInputStream in = new DataInputStream(socket.getInputStream());
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (System.nanoTime() < deadline) {
                    int length;
                    try {
                        length = (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
                    } catch (EOFException closed) {
                        seen.append(" connection closed");
                        break;
                    }
                    int type = in.readUnsignedByte();
                    int flags = in.readUnsignedByte();
                    int stream = in.readInt() & 0x7fffffff;
                    byte[] payload = in.readNBytes(length);
                    if (type == 0x4 && (flags & 0x1) == 0) {
                        frame(out, 0x4, 0x1, 0, new byte[0]); // acknowledge the server's SETTINGS
                    } else if (type == 0x1) {
                        Http2Headers h = hpack.decodeHeaders(stream, Unpooled.wrappedBuffer(payload));
                        if (stream == 1) {
                            seen.append(h.contains("grpc-status") ? " grpc-status: " + h.get("grpc-status") : " HEADERS");
                        }
                        if (stream == 1 && (flags & 0x1) != 0) {
                            break; // END_STREAM: the trailers
                        }
                    } else if (type == 0x3 && stream == 1) {
                        seen.append(" RST_STREAM");
                        break;
                    } else if (type == 0x7) {
                        seen.append(" GOAWAY");
                        break;
                    }
                }
                return seen.toString().trim();
            }
        }

        private static void frame(OutputStream out, int type, int flags, int stream, byte[] payload) throws IOException {
            out.write(new byte[] {(byte) (payload.length >>> 16), (byte) (payload.length >>> 8), (byte) payload.length,
                (byte) type, (byte) flags, (byte) (stream >>> 24), (byte) (stream >>> 16), (byte) (stream >>> 8), (byte) stream});
            out.write(payload);
        }

        /** HPACK, every field a literal without indexing and without Huffman coding (RFC 7541 6.2.2). */
        private static byte[] hpack(Map<String, String> headers) {
            java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
            for (var h : headers.entrySet()) {
                b.write(0x00);
                string(b, h.getKey());
                string(b, h.getValue());
            }
            return b.toByteArray();
        }

        private static void string(java.io.ByteArrayOutputStream b, String s) {
            byte[] bytes = s.getBytes(StandardCharsets.US_ASCII);
            if (bytes.length >= 127) {
                throw new IllegalArgumentException("only short header fields here");
            }
            b.write(bytes.length);
            b.writeBytes(bytes);
        }
    }
}
