package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import dev.mbi.config.Env;
import dev.mbi.controlplane.ControlPlane;
import dev.mbi.controlplane.ControlPlaneConfig;
import dev.mbi.controlplane.testing.TestApi;
import dev.mbi.controlplane.testing.TestCertificates;
import dev.mbi.controlplane.testing.TestRunners;
import dev.mbi.proto.v1.LimitReason;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The edge as the control plane's API client: its token on every call, readiness by gRPC health,
 * listings that follow every page, limits told apart by their typed reason, navigations the
 * control plane refuses, and TLS. A real control plane whose runners the test never starts (no
 * Chromium here).
 */
class ControlPlaneAccessTest {
    private static final int MAX_SESSIONS = 130;
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static ControlPlane controlPlane;
    private static Edge edge;

    @BeforeAll
    static void start() {
        controlPlane = ControlPlane.start(controlPlaneConfig(Map.of("MAX_SESSIONS", Integer.toString(MAX_SESSIONS))),
                new TestRunners.HandOverLauncher());
        edge = edge(controlPlane, Map.of());
    }

    @AfterAll
    static void stop() {
        edge.close();
        controlPlane.close();
    }

    private static ControlPlaneConfig controlPlaneConfig(Map<String, String> settings) {
        Map<String, String> env = new HashMap<>(TestApi.controlPlaneEnv());
        env.put("RUNNER_JAR", "pom.xml");
        env.putAll(settings);
        return ControlPlaneConfig.from(new Env(env));
    }

    private static Edge edge(ControlPlane cp, Map<String, String> settings) {
        Map<String, String> env = new HashMap<>(Map.of("PORT", "0", "CONTROL_PLANE_ADDR", "localhost:" + cp.apiPort(),
                "CONTROL_PLANE_TOKEN", TestApi.TOKEN, "CONTROL_PLANE_TIMEOUT", "3s",
                "API_TOKENS", "tester:" + TestStack.USER_TOKEN,
                // The paging test creates more sessions than a person would in a minute.
                "CREATE_RATE_PER_MINUTE", "1000"));
        env.putAll(settings);
        return Edge.start(EdgeConfig.from(new Env(env)));
    }

    private static HttpResponse<String> request(Edge e, String method, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + e.port() + path)).timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + TestStack.USER_TOKEN).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theEdgeNeedsTheTokenAndAWrongOneShowsAsNotReady() throws Exception {
        String m = assertThrows(IllegalArgumentException.class,
                () -> EdgeConfig.from(new Env(Map.of("PORT", "0")))).getMessage();
        assertTrue(m.contains("CONTROL_PLANE_TOKEN is not set"), m);
        assertEquals("localhost:50052", EdgeConfig.from(new Env(Map.of("CONTROL_PLANE_TOKEN", TestApi.TOKEN))).controlPlaneAddr(),
                "by default the edge calls the API port");
        assertFalse(EdgeConfig.from(new Env(Map.of("CONTROL_PLANE_TOKEN", TestApi.TOKEN))).toString().contains(TestApi.TOKEN));

        assertEquals(200, request(edge, "GET", "/readyz", null).statusCode());
        try (Edge wrong = edge(controlPlane, Map.of("CONTROL_PLANE_TOKEN", "not-the-control-planes-token"))) {
            HttpResponse<String> ready = request(wrong, "GET", "/readyz", null);
            assertEquals(503, ready.statusCode(), ready.body());
            assertTrue(ready.body().contains("refused this edge's credentials"), ready.body());
            assertFalse(ready.body().contains("not-the-control-planes-token"));
            assertEquals(503, request(wrong, "GET", "/api/sessions", null).statusCode());
        }
    }

    @Test
    void theTokenMayComeFromAFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("token");
        Files.writeString(file, TestApi.TOKEN + "\n");
        try (Edge fromFile = edge(controlPlane, Map.of("CONTROL_PLANE_TOKEN", "", "CONTROL_PLANE_TOKEN_FILE", file.toString()))) {
            assertEquals(200, request(fromFile, "GET", "/readyz", null).statusCode());
        }
    }

    @Test
    void listingFollowsEveryPageAndTheLimitIsCountedByItsTypedReason() throws Exception {
        Set<String> created = new HashSet<>();
        for (int i = 0; i < MAX_SESSIONS; i++) {
            HttpResponse<String> r = request(edge, "POST", "/api/sessions", "{\"url\":\"https://example.com/" + i + "\"}");
            assertEquals(201, r.statusCode(), r.body());
            created.add(SessionJson.MAPPER.readTree(r.body()).get("sessionId").asText());
        }
        HttpResponse<String> full = request(edge, "POST", "/api/sessions", "{\"url\":\"https://example.com/\"}");
        assertEquals(503, full.statusCode());
        assertEquals("max concurrent sessions reached", SessionJson.MAPPER.readTree(full.body()).get("error").asText());
        String metrics = request(edge, "GET", "/metrics", null).body();
        assertTrue(metrics.matches("(?s).*browser_sessions_total\\{result=\"rejected\"[^}]*} 1\\.0.*"), metrics);

        // More than one page (100): the edge follows them all, in creation order.
        JsonNode list = SessionJson.MAPPER.readTree(request(edge, "GET", "/api/sessions", null).body()).get("sessions");
        Set<String> listed = new HashSet<>();
        java.time.Instant previous = java.time.Instant.MIN;
        for (JsonNode s : list) {
            listed.add(s.get("sessionId").asText());
            // As instants: ISO text of different precision ("...01.5Z", "...01.51Z") does not sort as time does.
            java.time.Instant createdAt = java.time.Instant.parse(s.get("createdAt").asText());
            assertTrue(!createdAt.isBefore(previous), "oldest first: " + createdAt + " after " + previous);
            previous = createdAt;
        }
        assertTrue(listed.containsAll(created), "listed " + listed.size() + " of " + created.size());
        for (String id : created) {
            assertEquals(204, request(edge, "DELETE", "/api/sessions/" + id, null).statusCode());
        }
    }

    @Test
    void limitsAreToldApartByTheirTypedReasonNeverByTheirMessage() {
        StatusRuntimeException typed = StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                .setCode(Code.RESOURCE_EXHAUSTED_VALUE).setMessage("whatever the words")
                .addDetails(Any.pack(ErrorInfo.newBuilder().setDomain("mbi.dev").setReason("LIMIT_REASON_MAX_SESSIONS").build()))
                .build());
        ApiException e = ApiException.from(typed, "cp:1");
        assertEquals(503, e.status());
        assertEquals(LimitReason.LIMIT_REASON_MAX_SESSIONS, e.limit());
        assertEquals("max concurrent sessions reached", e.getMessage());

        // The same words without the typed reason are not the session limit.
        ApiException untyped = ApiException.from(Status.RESOURCE_EXHAUSTED.withDescription("max concurrent sessions reached")
                .asRuntimeException(), "cp:1");
        assertEquals(LimitReason.LIMIT_REASON_UNSPECIFIED, untyped.limit());
        // Another domain's reason is not ours.
        ApiException foreign = ApiException.from(StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                .setCode(Code.RESOURCE_EXHAUSTED_VALUE)
                .addDetails(Any.pack(ErrorInfo.newBuilder().setDomain("example.org").setReason("LIMIT_REASON_MAX_SESSIONS").build()))
                .build()), "cp:1");
        assertEquals(LimitReason.LIMIT_REASON_UNSPECIFIED, foreign.limit());
        ApiException notReading = ApiException.from(StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                .setCode(Code.RESOURCE_EXHAUSTED_VALUE).setMessage("the receiver stopped reading")
                .addDetails(Any.pack(ErrorInfo.newBuilder().setDomain("mbi.dev").setReason("LIMIT_REASON_PEER_NOT_READING").build()))
                .build()), "cp:1");
        assertEquals(LimitReason.LIMIT_REASON_PEER_NOT_READING, notReading.limit());
        assertEquals("the receiver stopped reading", notReading.getMessage());
    }

    @Test
    void aNavigationTheControlPlaneRefusesReachesTheViewerAsAnError() throws Exception {
        HttpResponse<String> r = request(edge, "POST", "/api/sessions", "{\"url\":\"https://example.com/\"}");
        String id = SessionJson.MAPPER.readTree(r.body()).get("sessionId").asText();
        try (ViewerClient viewer = new ViewerClient("ws://localhost:" + edge.port() + "/ws/sessions/" + id + "?token=" + TestStack.USER_TOKEN)) {
            viewer.next("status", 5_000);
            // An http URL the edge lets through, but longer than the control plane opens.
            viewer.send("{\"type\":\"navigate\",\"url\":\"https://example.com/?" + "x".repeat(3_000) + "\"}");
            JsonNode error = viewer.next("error", 5_000);
            assertTrue(error.get("error").asText().startsWith("navigation refused: url is too long"), error.toString());
        } finally {
            request(edge, "DELETE", "/api/sessions/" + id, null);
        }
    }

    @Test
    void overMutualTlsTheEdgeNeedsTheCaAndItsCertificate(@TempDir Path dir) throws Exception {
        TestCertificates.Issued serverCa = TestCertificates.ca(dir, "server-ca");
        TestCertificates.Issued server = TestCertificates.server(dir, "control-plane", serverCa);
        TestCertificates.Issued clientCa = TestCertificates.ca(dir, "client-ca");
        TestCertificates.Issued runner = TestCertificates.client(dir, "runner", clientCa);
        TestCertificates.Issued edgeCert = TestCertificates.client(dir, "edge", clientCa);
        try (ControlPlane tls = ControlPlane.start(controlPlaneConfig(Map.of(
                "GRPC_TLS_CERT", server.cert().toString(), "GRPC_TLS_KEY", server.key().toString(),
                "GRPC_TLS_CA", clientCa.cert().toString(), "RUNNER_TLS_CA", serverCa.cert().toString(),
                "RUNNER_TLS_CERT", runner.cert().toString(), "RUNNER_TLS_KEY", runner.key().toString())),
                new TestRunners.HandOverLauncher())) {
            try (Edge good = edge(tls, Map.of("CONTROL_PLANE_TLS_CA", serverCa.cert().toString(),
                    "CONTROL_PLANE_TLS_CERT", edgeCert.cert().toString(), "CONTROL_PLANE_TLS_KEY", edgeCert.key().toString()))) {
                assertEquals(200, request(good, "GET", "/readyz", null).statusCode());
                HttpResponse<String> created = request(good, "POST", "/api/sessions", "{\"url\":\"https://example.com/\"}");
                assertEquals(201, created.statusCode(), created.body());
            }
            try (Edge noCertificate = edge(tls, Map.of("CONTROL_PLANE_TLS_CA", serverCa.cert().toString()));
                 Edge plain = edge(tls, Map.of())) {
                assertEquals(503, request(noCertificate, "GET", "/readyz", null).statusCode());
                assertEquals(503, request(plain, "GET", "/readyz", null).statusCode());
            }
        }
        String m = assertThrows(IllegalArgumentException.class, () -> EdgeConfig.from(new Env(Map.of(
                "CONTROL_PLANE_TOKEN", TestApi.TOKEN, "CONTROL_PLANE_TLS_CERT", dir.resolve("edge.pem").toString())))).getMessage();
        assertTrue(m.contains("CONTROL_PLANE_TLS_CERT and CONTROL_PLANE_TLS_KEY go together"), m);
    }
}
