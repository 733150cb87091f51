package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mbi.config.Env;
import dev.mbi.controlplane.ControlPlane;
import dev.mbi.controlplane.ControlPlaneConfig;
import dev.mbi.controlplane.testing.TestApi;
import dev.mbi.controlplane.testing.TestRunners;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * AUTH_MODE=oidc end to end: the edge takes bearer JWTs from a real OIDC issuer started here
 * (discovery, published keys), names sessions' owners by the token's subject, gives the admin role
 * every session, and refuses expired, wrong-audience and foreign tokens with 401.
 */
class OidcEdgeTest {
    private static final String ISSUER_ID = "mbi";
    private static final String AUDIENCE = "mbi-edge";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static MockOAuth2Server issuer;
    private static MockOAuth2Server stranger;
    private static ControlPlane controlPlane;
    private static Edge edge;

    @BeforeAll
    static void start() throws Exception {
        issuer = new MockOAuth2Server();
        issuer.start();
        stranger = new MockOAuth2Server();
        stranger.start();
        Map<String, String> env = new java.util.HashMap<>(TestApi.controlPlaneEnv());
        env.put("RUNNER_JAR", "pom.xml");
        controlPlane = ControlPlane.start(ControlPlaneConfig.from(new Env(env)), new TestRunners.HandOverLauncher());
        edge = Edge.start(EdgeConfig.from(new Env(Map.of(
                "PORT", "0",
                "CONTROL_PLANE_ADDR", "localhost:" + controlPlane.apiPort(),
                "CONTROL_PLANE_TOKEN", TestApi.TOKEN,
                "AUTH_MODE", "oidc",
                "OIDC_ISSUER", issuer.issuerUrl(ISSUER_ID).toString(),
                "OIDC_AUDIENCE", AUDIENCE))));
    }

    @AfterAll
    static void stop() throws Exception {
        edge.close();
        controlPlane.close();
        issuer.shutdown();
        stranger.shutdown();
    }

    private static String jwt(MockOAuth2Server server, String subject, String audience, Map<String, Object> claims, long expirySeconds) {
        return server.issueToken(ISSUER_ID, "client", new no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback(
                ISSUER_ID, subject, "JWT", List.of(audience), claims, expirySeconds)).serialize();
    }

    private static String jwt(String subject, Map<String, Object> claims) {
        return jwt(issuer, subject, AUDIENCE, claims, 3600);
    }

    private static HttpResponse<String> call(String token, String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + edge.port() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<String> listedIds(String token) throws Exception {
        HttpResponse<String> r = call(token, "GET", "/api/sessions", null);
        assertEquals(200, r.statusCode(), r.body());
        List<String> ids = new ArrayList<>();
        for (JsonNode s : SessionJson.MAPPER.readTree(r.body()).get("sessions")) {
            ids.add(s.get("sessionId").asText());
        }
        return ids;
    }

    @Test
    void usersAreTheirTokensSubjectsAndTheAdminRoleSeesEverySession() throws Exception {
        String alice = jwt("alice", Map.of());
        HttpResponse<String> created = call(alice, "POST", "/api/sessions", "{\"url\":\"https://example.com/\"}");
        assertEquals(201, created.statusCode(), created.body());
        JsonNode session = SessionJson.MAPPER.readTree(created.body());
        String id = session.get("sessionId").asText();
        HttpResponse<String> got = call(alice, "GET", "/api/sessions/" + id, null);
        assertEquals("alice", SessionJson.MAPPER.readTree(got.body()).get("owner").asText(), got.body());

        assertTrue(listedIds(alice).contains(id));
        assertTrue(!listedIds(jwt("bob", Map.of())).contains(id), "bob sees alice's session");
        assertEquals(404, call(jwt("bob", Map.of()), "GET", "/api/sessions/" + id, null).statusCode());
        assertTrue(listedIds(jwt("root", Map.of("roles", List.of("admin")))).contains(id), "the admin role sees every session");
        assertEquals(204, call(alice, "DELETE", "/api/sessions/" + id, null).statusCode());
    }

    @Test
    void expiredWrongAudienceForeignAndMissingTokensGet401() throws Exception {
        for (String bad : new String[] {
                jwt(issuer, "alice", AUDIENCE, Map.of(), -120),
                jwt(issuer, "alice", "another-service", Map.of(), 3600),
                jwt(stranger, "alice", AUDIENCE, Map.of(), 3600),
                "not-a-jwt",
                null}) {
            HttpResponse<String> r = call(bad, "GET", "/api/sessions", null);
            assertEquals(401, r.statusCode(), bad + " -> " + r.body());
            assertTrue(r.body().contains("\"error\""), r.body());
        }
    }
}
