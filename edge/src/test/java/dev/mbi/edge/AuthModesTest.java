package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.config.Env;
import dev.mbi.edge.auth.AccessConfig;
import dev.mbi.edge.auth.TokenAuthenticator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AUTH_MODE and the credentials' settings: token mode by default (with a token made at start when
 * none is set), none only when asked for and with a warning, OIDC settings, and refusals of bad
 * values. The edges here have no control plane: a 503 means a request got past authentication.
 */
class AuthModesTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>(Map.of("PORT", "0", "CONTROL_PLANE_ADDR", "localhost:1", "CONTROL_PLANE_TIMEOUT", "1s",
                "CONTROL_PLANE_TOKEN", dev.mbi.controlplane.testing.TestApi.TOKEN));
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    private static int status(Edge edge, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + edge.port() + path));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    /** Records what the edge logs while it starts. */
    private static final class Recorder extends Handler implements AutoCloseable {
        final List<LogRecord> records = new CopyOnWriteArrayList<>();
        private final Logger logger = Logger.getLogger(Edge.class.getName());

        Recorder() {
            logger.addHandler(this);
        }

        String text(Level atLeast) {
            return records.stream().filter(r -> r.getLevel().intValue() >= atLeast.intValue()).map(LogRecord::getMessage)
                    .collect(Collectors.joining("\n"));
        }

        @Override
        public void publish(LogRecord record) {
            records.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            logger.removeHandler(this);
        }
    }

    @Test
    void tokenModeIsTheDefaultAndWithoutTokensTheEdgeMakesOneAndLogsALoginUrl() throws Exception {
        try (Recorder log = new Recorder(); Edge edge = Edge.start(EdgeConfig.from(new Env(env())))) {
            Matcher m = Pattern.compile("http://localhost:(\\d+)/\\?token=([A-Za-z0-9_-]{32,})").matcher(log.text(Level.INFO));
            assertTrue(m.find(), "a login URL in the log: " + log.text(Level.INFO));
            assertEquals(edge.port(), Integer.parseInt(m.group(1)));
            String token = m.group(2);
            assertEquals(401, status(edge, "/api/sessions", null));
            assertEquals(401, status(edge, "/api/sessions", "not-" + token));
            assertEquals(503, status(edge, "/api/sessions", token));
            assertEquals(503, status(edge, "/api/admin/hosts", token), "the made token is an admin's");
        }
        // Another start, another token.
        try (Recorder log = new Recorder(); Edge edge = Edge.start(EdgeConfig.from(new Env(env())))) {
            assertTrue(log.text(Level.INFO).contains("/?token="));
        }
    }

    @Test
    void noAuthenticationMustBeAskedForAndIsWarnedAbout() throws Exception {
        try (Recorder log = new Recorder(); Edge edge = Edge.start(EdgeConfig.from(new Env(env("AUTH_MODE", "none"))))) {
            assertTrue(log.text(Level.WARNING).contains("AUTH_MODE=none"), log.text(Level.INFO));
            assertFalse(log.text(Level.INFO).contains("?token="));
            assertEquals(503, status(edge, "/api/sessions", null));
            assertEquals(503, status(edge, "/api/admin/hosts", null));
        }
    }

    @Test
    void apiTokensComeFromTheEnvironmentAndAFileAndAdminTokensAreAdmins(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tokens");
        Files.writeString(file, """
                # one token a line, name:token or just the token
                alice:alice-token

                  bob-token
                # dave:dave-token
                """);
        EdgeConfig config = EdgeConfig.from(new Env(env(
                "API_TOKENS", "carol:carol-token, plain-token",
                "API_TOKENS_FILE", file.toString(),
                "ADMIN_TOKENS", "root-token,ops:ops-token")));
        Map<String, String> names = config.access().tokens().stream()
                .collect(Collectors.toMap(AccessConfig.ApiToken::token, t -> t.name() + (t.admin() ? " (admin)" : "")));
        assertEquals(Map.of(
                "root-token", "admin1 (admin)",
                "ops-token", "ops (admin)",
                "carol-token", "carol",
                "plain-token", "user1",
                "alice-token", "alice",
                "bob-token", "user2"), names);
        assertFalse(config.toString().contains("alice-token"), "settings never print tokens: " + config);

        TokenAuthenticator auth = new TokenAuthenticator(config.access().tokens());
        assertEquals("alice", auth.authenticate("alice-token").orElseThrow().name());
        assertFalse(auth.authenticate("alice-token").orElseThrow().admin());
        assertTrue(auth.authenticate("ops-token").orElseThrow().admin());
        for (String wrong : new String[] {"", "alice-toke", "alice-token ", "ALICE-TOKEN", "dave-token", "# one token a line"}) {
            assertTrue(auth.authenticate(wrong).isEmpty(), wrong);
        }

        try (Edge edge = Edge.start(config)) {
            assertEquals(403, status(edge, "/api/admin/hosts", "bob-token"));
            assertEquals(503, status(edge, "/api/admin/hosts", "ops-token"));
            assertEquals(503, status(edge, "/api/sessions", "bob-token"));
        }
    }

    @Test
    void oidcSettingsAreReadWithTheirDefaults() {
        AccessConfig plain = EdgeConfig.from(new Env(env("AUTH_MODE", "oidc", "OIDC_ISSUER", "https://id.example.com/realms/mbi",
                "OIDC_AUDIENCE", "mbi"))).access();
        assertEquals(AccessConfig.AuthMode.OIDC, plain.mode());
        assertEquals(new AccessConfig.Oidc(URI.create("https://id.example.com/realms/mbi"), "mbi", "roles", "admin"), plain.oidc().orElseThrow());
        AccessConfig groups = EdgeConfig.from(new Env(env("AUTH_MODE", "oidc", "OIDC_ISSUER", "https://id.example.com/",
                "OIDC_AUDIENCE", "mbi", "OIDC_ROLES_CLAIM", "groups", "OIDC_ADMIN_ROLE", "mbi-admins"))).access();
        assertEquals("groups", groups.oidc().orElseThrow().rolesClaim());
        assertEquals("mbi-admins", groups.oidc().orElseThrow().adminRole());
    }

    @Test
    void badSettingsStopTheEdgeNamingEachVariable() {
        String[][] cases = {
            {"AUTH_MODE", "ldap"},
            {"AUTH_MODE", "oidc"}, // no issuer, no audience
            {"API_TOKENS_FILE", "/no/such/file"},
            {"API_TOKENS", "bad name:token"},
            {"API_TOKENS", "alice:"},
            {"ALLOWED_ORIGINS", "portal.example.com"},
            {"CREATE_RATE_PER_MINUTE", "-1"},
            {"METRICS_AUTH", "maybe"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> EdgeConfig.from(new Env(env(c[0], c[1]))), c[0] + "=" + c[1]);
            assertTrue(e.getMessage().contains(c[0]), e.getMessage());
        }
        IllegalArgumentException oidc = assertThrows(IllegalArgumentException.class,
                () -> EdgeConfig.from(new Env(env("AUTH_MODE", "oidc"))));
        assertTrue(oidc.getMessage().contains("OIDC_ISSUER") && oidc.getMessage().contains("OIDC_AUDIENCE"), oidc.getMessage());
        IllegalArgumentException mixed = assertThrows(IllegalArgumentException.class,
                () -> EdgeConfig.from(new Env(env("AUTH_MODE", "none", "API_TOKENS", "t"))));
        assertTrue(mixed.getMessage().contains("AUTH_MODE=none"), mixed.getMessage());
    }
}
