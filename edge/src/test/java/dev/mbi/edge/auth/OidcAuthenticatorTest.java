package dev.mbi.edge.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import no.nav.security.mock.oauth2.http.OAuth2HttpRequest;
import no.nav.security.mock.oauth2.http.OAuth2HttpResponse;
import no.nav.security.mock.oauth2.http.Route;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import no.nav.security.mock.oauth2.token.KeyProvider;
import no.nav.security.mock.oauth2.token.OAuth2TokenProvider;
import okhttp3.Headers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * OidcAuthenticator against real OIDC issuers (mock-oauth2-server on loopback): discovery, the
 * published key set, and tokens they sign.
 */
class OidcAuthenticatorTest {
    private static final String ISSUER_ID = "mbi";
    private static final String AUDIENCE = "mbi-edge";
    private static final String ROLES = "roles";
    private static final String ADMIN = "mbi-admin";

    private static final Logger AUTH_LOG = Logger.getLogger(OidcAuthenticator.class.getName());
    private static final List<LogRecord> LOGGED = new CopyOnWriteArrayList<>();
    private static final Set<String> TOKENS = ConcurrentHashMap.newKeySet();
    private static final Handler CAPTURE = new Handler() {
        @Override
        public void publish(LogRecord record) {
            LOGGED.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private static Level levelBefore;

    /** The issuer the shared authenticator trusts (RS256, the mock's stock keys). */
    private static MockOAuth2Server issuer;
    /** Another issuer with keys of its own: its tokens must not pass for the first one's. */
    private static MockOAuth2Server stranger;
    private static String issuerUrl;
    private static OidcAuthenticator auth;

    private final List<MockOAuth2Server> extra = new ArrayList<>();

    @BeforeAll
    static void startIssuers() throws Exception {
        levelBefore = AUTH_LOG.getLevel();
        AUTH_LOG.setLevel(Level.ALL);
        CAPTURE.setLevel(Level.ALL);
        AUTH_LOG.addHandler(CAPTURE);

        issuer = new MockOAuth2Server();
        issuer.start();
        stranger = new MockOAuth2Server(freshKeys("RS256"));
        stranger.start();
        issuerUrl = issuer.issuerUrl(ISSUER_ID).toString();
        auth = new OidcAuthenticator(URI.create(issuerUrl), AUDIENCE, ROLES, ADMIN);
    }

    @AfterAll
    static void stopIssuers() throws Exception {
        try {
            assertNoTokenLogged();
        } finally {
            AUTH_LOG.removeHandler(CAPTURE);
            AUTH_LOG.setLevel(levelBefore);
            issuer.shutdown();
            stranger.shutdown();
        }
    }

    @AfterEach
    void stopExtraIssuers() throws Exception {
        for (MockOAuth2Server server : extra) {
            server.shutdown();
        }
    }

    // --- tokens that name a caller ---

    @Test
    void validTokenNamesItsSubject() {
        String token = token(issuer.issueToken(ISSUER_ID, "alice", AUDIENCE, Map.of()));

        assertEquals(Optional.of(new Caller("alice", false)), auth.authenticate(token));
        assertEquals(Optional.of(new Caller("alice", false)), auth.authenticate("  " + token + "\n"));
    }

    @Test
    void accessTokenTypeAtJwtIsAccepted() {
        String token = token(issuer.issueToken(ISSUER_ID, "client",
                new DefaultOAuth2TokenCallback(ISSUER_ID, "bob", "at+jwt", List.of(AUDIENCE), Map.of(), 3600)));

        assertEquals(Optional.of(new Caller("bob", false)), auth.authenticate(token));
    }

    @Test
    void audienceListNeedsOnlyContainTheAudience() {
        String token = token(issuer.issueToken(ISSUER_ID, "client",
                new DefaultOAuth2TokenCallback(ISSUER_ID, "carol", "JWT", List.of("account", AUDIENCE), Map.of(), 3600)));

        assertEquals(Optional.of(new Caller("carol", false)), auth.authenticate(token));
    }

    @Test
    void adminRoleMakesAnAdministrator() {
        String admin = token(issuer.issueToken(ISSUER_ID, "root", AUDIENCE, Map.of(ROLES, List.of("user", ADMIN))));
        String user = token(issuer.issueToken(ISSUER_ID, "dave", AUDIENCE, Map.of(ROLES, List.of("user", "mbi-admins"))));
        String spaced = token(issuer.issueToken(ISSUER_ID, "erin", AUDIENCE, Map.of(ROLES, "user " + ADMIN)));
        String oneWord = token(issuer.issueToken(ISSUER_ID, "fay", AUDIENCE, Map.of(ROLES, "user")));

        assertEquals(Optional.of(new Caller("root", true)), auth.authenticate(admin));
        assertEquals(Optional.of(new Caller("dave", false)), auth.authenticate(user));
        assertEquals(Optional.of(new Caller("erin", true)), auth.authenticate(spaced));
        assertEquals(Optional.of(new Caller("fay", false)), auth.authenticate(oneWord));
    }

    @Test
    void rolesClaimMayBeANestedPathOrADottedName() {
        OidcAuthenticator keycloakStyle = new OidcAuthenticator(URI.create(issuerUrl), AUDIENCE, "realm_access.roles", ADMIN);
        OidcAuthenticator namespaced = new OidcAuthenticator(URI.create(issuerUrl), AUDIENCE, "https://mbi.example/roles", ADMIN);
        String nested = token(issuer.issueToken(ISSUER_ID, "gus", AUDIENCE,
                Map.of("realm_access", Map.of("roles", List.of(ADMIN)))));
        String dotted = token(issuer.issueToken(ISSUER_ID, "hal", AUDIENCE,
                Map.of("https://mbi.example/roles", List.of(ADMIN))));

        assertEquals(Optional.of(new Caller("gus", true)), keycloakStyle.authenticate(nested));
        assertEquals(Optional.of(new Caller("hal", false)), keycloakStyle.authenticate(dotted));
        assertEquals(Optional.of(new Caller("hal", true)), namespaced.authenticate(dotted));
        assertEquals(Optional.of(new Caller("gus", false)), namespaced.authenticate(nested));
    }

    @Test
    void withoutAnAdminRoleNobodyIsAdministrator() {
        OidcAuthenticator noAdmins = new OidcAuthenticator(URI.create(issuerUrl), AUDIENCE, null, " ");
        String token = token(issuer.issueToken(ISSUER_ID, "root", AUDIENCE, Map.of(ROLES, List.of(ADMIN))));

        assertEquals(Optional.of(new Caller("root", false)), noAdmins.authenticate(token));
    }

    @Test
    void es256IssuerIsAcceptedAsItsKeysSay() throws Exception {
        MockOAuth2Server ec = started(new MockOAuth2Server(freshKeys("ES256")));
        OidcAuthenticator ecAuth = new OidcAuthenticator(URI.create(ec.issuerUrl(ISSUER_ID).toString()), AUDIENCE, ROLES, ADMIN);
        SignedJWT signed = ec.issueToken(ISSUER_ID, "ivy", AUDIENCE, Map.of(ROLES, List.of(ADMIN)));
        assertEquals(JWSAlgorithm.ES256, signed.getHeader().getAlgorithm());

        assertEquals(Optional.of(new Caller("ivy", true)), ecAuth.authenticate(token(signed)));
        // An RS256 issuer's token, even one claiming the EC issuer, has no key there.
        assertRefused(ecAuth, token(issuer.issueToken(ISSUER_ID, "ivy", AUDIENCE,
                Map.of("iss", ec.issuerUrl(ISSUER_ID).toString()))));
    }

    // --- tokens that name nobody ---

    @Test
    void expiredTokenIsRefusedPastTheClockSkew() {
        String longGone = token(issuer.issueToken(ISSUER_ID, "alice", AUDIENCE, Map.of(), -120));
        String justGone = token(issuer.issueToken(ISSUER_ID, "alice", AUDIENCE, Map.of(), -5));

        int before = LOGGED.size();
        assertRefused(auth, longGone);
        assertTrue(logSince(before).toLowerCase(java.util.Locale.ROOT).contains("expired"), logSince(before));
        assertEquals(Optional.of(new Caller("alice", false)), auth.authenticate(justGone), "within the clock skew");
    }

    @Test
    void tokenNotYetValidIsRefused() {
        long inTwoMinutes = Instant.now().plusSeconds(120).getEpochSecond();
        String early = token(issuer.issueToken(ISSUER_ID, "alice", AUDIENCE, Map.of("nbf", inTwoMinutes)));

        assertRefused(auth, early);
    }

    @Test
    void wrongAudienceIsRefused() {
        assertRefused(auth, token(issuer.issueToken(ISSUER_ID, "alice", "another-app", Map.of())));
        assertRefused(auth, token(issuer.issueToken(ISSUER_ID, "client",
                new DefaultOAuth2TokenCallback(ISSUER_ID, "alice", "JWT", List.of(), Map.of(), 3600))));
    }

    @Test
    void wrongIssuerIsRefused() {
        // Signed with the trusted key, but claiming another issuer.
        assertRefused(auth, token(issuer.issueToken(ISSUER_ID, "alice", AUDIENCE, Map.of("iss", "https://evil.example"))));
        assertRefused(auth, token(issuer.issueToken(ISSUER_ID, "alice", AUDIENCE, Map.of("iss", issuerUrl + "/"))));
        // Another issuer of the same server: its own iss and its own key.
        assertRefused(auth, token(issuer.issueToken("other", "alice", AUDIENCE, Map.of())));
    }

    @Test
    void tokenSignedByAnotherIssuersKeyIsRefused() {
        // Same key id and claims as a good token, but another issuer's private key signed it.
        SignedJWT forged = stranger.issueToken(ISSUER_ID, "mallory", AUDIENCE, Map.of("iss", issuerUrl, ROLES, List.of(ADMIN)));
        SignedJWT genuine = issuer.issueToken(ISSUER_ID, "mallory", AUDIENCE, Map.of());
        assertEquals(genuine.getHeader().getKeyID(), forged.getHeader().getKeyID());

        assertRefused(auth, token(forged));
        assertRefused(auth, token(stranger.issueToken(ISSUER_ID, "mallory", AUDIENCE, Map.of())));
    }

    @Test
    void tokenWithoutSubjectIsRefused() throws Exception {
        // preferred_username is not a fallback for sub.
        SignedJWT noSub = issuer.getConfig().getTokenProvider().jwt(
                Map.of("iss", issuerUrl, "aud", AUDIENCE, "preferred_username", "alice"), Duration.ofMinutes(10), ISSUER_ID);
        assertEquals(null, noSub.getJWTClaimsSet().getSubject());

        assertRefused(auth, token(noSub));
    }

    @Test
    void garbageIsRefused() {
        assertEquals(Optional.empty(), auth.authenticate(null));
        assertEquals(Optional.empty(), auth.authenticate(""));
        assertEquals(Optional.empty(), auth.authenticate("   "));
        for (String garbage : List.of("garbage", "a.b.c", "...", "Bearer x", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
                randomBase64() + "." + randomBase64() + "." + randomBase64(),
                "a.b.c.d.e", "\u0000\u00ff.\u2603.x")) {
            assertRefused(auth, garbage);
        }
    }

    @Test
    void algNoneIsRefused() {
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(issuerUrl).audience(AUDIENCE).subject("mallory")
                .expirationTime(Date.from(Instant.now().plusSeconds(600)))
                .build();
        String unsigned = token(new PlainJWT(claims));
        assertTrue(unsigned.endsWith("."));
        assertRefused(auth, unsigned);

        // A genuine token whose header is swapped for alg none, the signature kept or dropped.
        String[] genuine = issuer.issueToken(ISSUER_ID, "mallory", AUDIENCE, Map.of()).serialize().split("\\.");
        String none = Base64URL.encode("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)).toString();
        String noneUpper = Base64URL.encode("{\"alg\":\"None\"}".getBytes(StandardCharsets.UTF_8)).toString();
        assertRefused(auth, remember(none + "." + genuine[1] + "."));
        assertRefused(auth, remember(none + "." + genuine[1] + "." + genuine[2]));
        assertRefused(auth, remember(noneUpper + "." + genuine[1] + "."));
    }

    @Test
    void hmacTokenIsRefused() throws Exception {
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(issuerUrl).audience(AUDIENCE).subject("mallory")
                .expirationTime(Date.from(Instant.now().plusSeconds(600)))
                .build();
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        SignedJWT hmac = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(ISSUER_ID).type(JOSEObjectType.JWT).build(), claims);
        hmac.sign(new MACSigner(secret));

        assertRefused(auth, token(hmac));
    }

    // --- the issuer's keys over time ---

    @Test
    void rotatedKeyIsFetchedWhenATokenNamesIt() throws Exception {
        List<JWK> published = new CopyOnWriteArrayList<>();
        MockOAuth2Server rotating = new MockOAuth2Server(new OAuth2Config(), new FixedRoute("/" + ISSUER_ID + "/jwks",
                () -> json(200, new JWKSet(List.copyOf(published)).toString())));
        started(rotating);
        OAuth2TokenProvider keys = rotating.getConfig().getTokenProvider();
        published.addAll(keys.publicJwkSet(ISSUER_ID).getKeys());
        String rotatingIssuer = rotating.issuerUrl(ISSUER_ID).toString();
        OidcAuthenticator rotatingAuth = new OidcAuthenticator(URI.create(rotatingIssuer), AUDIENCE, ROLES, ADMIN);

        String before = token(rotating.issueToken(ISSUER_ID, "alice", AUDIENCE, Map.of()));
        assertEquals(Optional.of(new Caller("alice", false)), rotatingAuth.authenticate(before));

        // The issuer starts signing with a new key ("next") and publishes it next to the old one.
        published.addAll(keys.publicJwkSet("next").getKeys());
        SignedJWT after = rotating.issueToken("next", "alice", AUDIENCE, Map.of("iss", rotatingIssuer));
        assertEquals("next", after.getHeader().getKeyID());

        assertEquals(Optional.of(new Caller("alice", false)), rotatingAuth.authenticate(token(after)));
        assertEquals(Optional.of(new Caller("alice", false)), rotatingAuth.authenticate(before));
    }

    @Test
    void issuerDownLaterRefusesWithoutThrowing() throws Exception {
        MockOAuth2Server fragile = started(new MockOAuth2Server());
        String fragileIssuer = fragile.issuerUrl(ISSUER_ID).toString();
        OidcAuthenticator fragileAuth = new OidcAuthenticator(URI.create(fragileIssuer), AUDIENCE, ROLES, ADMIN);
        String cachedKey = token(fragile.issueToken(ISSUER_ID, "alice", AUDIENCE, Map.of()));
        String newKey = token(fragile.issueToken("next", "alice", AUDIENCE, Map.of("iss", fragileIssuer)));

        fragile.shutdown();
        extra.remove(fragile);
        int before = LOGGED.size();

        // The cached key still checks tokens; one needing a fresh fetch is refused, with the reason logged.
        assertEquals(Optional.of(new Caller("alice", false)), fragileAuth.authenticate(cachedKey));
        assertRefused(fragileAuth, newKey);
        assertTrue(LOGGED.subList(before, LOGGED.size()).stream()
                        .anyMatch(r -> r.getLevel() == Level.WARNING && r.getMessage().contains(fragileIssuer)
                                && r.getMessage().contains("cannot fetch")),
                "a warning names the issuer: " + logSince(before));
        assertRefused(fragileAuth, newKey);
    }

    // --- start-up ---

    @Test
    void unreachableIssuerFailsAtStartNamingIt() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        URI down = URI.create("http://127.0.0.1:" + port + "/realms/mbi");

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new OidcAuthenticator(down, AUDIENCE, ROLES, ADMIN));
        assertTrue(e.getMessage().contains(down.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(down + "/.well-known/openid-configuration"), e.getMessage());
        assertTrue(e.getMessage().contains("Check"), e.getMessage());
    }

    @Test
    void issuerThatIsNotTheDocumentsFailsAtStart() {
        URI slashed = URI.create(issuerUrl + "/");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new OidcAuthenticator(slashed, AUDIENCE, ROLES, ADMIN));
        assertTrue(e.getMessage().contains("names the issuer " + issuerUrl), e.getMessage());

    }

    @Test
    void unusableKeySetFailsAtStartNamingIt() throws Exception {
        MockOAuth2Server broken = started(new MockOAuth2Server(new OAuth2Config(),
                new FixedRoute("/" + ISSUER_ID + "/jwks", () -> json(503, "{\"error\":\"down\"}"))));
        URI brokenIssuer = URI.create(broken.issuerUrl(ISSUER_ID).toString());
        IllegalStateException down = assertThrows(IllegalStateException.class,
                () -> new OidcAuthenticator(brokenIssuer, AUDIENCE, ROLES, ADMIN));
        assertTrue(down.getMessage().contains(brokenIssuer.toString()), down.getMessage());
        assertTrue(down.getMessage().contains(broken.jwksUrl(ISSUER_ID).toString()), down.getMessage());

        MockOAuth2Server empty = started(new MockOAuth2Server(new OAuth2Config(),
                new FixedRoute("/" + ISSUER_ID + "/jwks", () -> json(200, "{\"keys\":[]}"))));
        URI emptyIssuer = URI.create(empty.issuerUrl(ISSUER_ID).toString());
        IllegalStateException none = assertThrows(IllegalStateException.class,
                () -> new OidcAuthenticator(emptyIssuer, AUDIENCE, ROLES, ADMIN));
        assertTrue(none.getMessage().contains("no RSA or EC signing key"), none.getMessage());
    }

    @Test
    void badArgumentsAreRefusedAtOnce() {
        assertThrows(IllegalArgumentException.class,
                () -> new OidcAuthenticator(URI.create("/relative"), AUDIENCE, ROLES, ADMIN));
        assertThrows(IllegalArgumentException.class,
                () -> new OidcAuthenticator(URI.create("ftp://idp.example"), AUDIENCE, ROLES, ADMIN));
        assertThrows(IllegalArgumentException.class,
                () -> new OidcAuthenticator(URI.create(issuerUrl), " ", ROLES, ADMIN));
        assertThrows(NullPointerException.class, () -> new OidcAuthenticator(null, AUDIENCE, ROLES, ADMIN));
    }

    @Test
    void rolesAreFoundByWholeNameThenByPath() {
        Map<String, Object> claims = Map.of(
                "a.b", "whole",
                "a", Map.of("b", "path", "c", Map.of("d", List.of("deep"))),
                "x", "not an object");
        assertEquals("whole", OidcAuthenticator.roles(claims, "a.b"));
        assertEquals(List.of("deep"), OidcAuthenticator.roles(claims, "a.c.d"));
        assertEquals(null, OidcAuthenticator.roles(claims, "x.y"));
        assertEquals(null, OidcAuthenticator.roles(claims, "missing"));
        assertNotEquals(null, OidcAuthenticator.roles(claims, "a"));
    }

    // --- helpers ---

    private static OAuth2Config freshKeys(String algorithm) {
        // The default KeyProvider hands out the same stock keys in every server; these are new.
        return new OAuth2Config(false, null, null, false,
                new OAuth2TokenProvider(new KeyProvider(List.of(), algorithm)));
    }

    private MockOAuth2Server started(MockOAuth2Server server) throws Exception {
        server.start();
        extra.add(server);
        return server;
    }

    private static String token(SignedJWT jwt) {
        return remember(jwt.serialize());
    }

    private static String token(PlainJWT jwt) {
        return remember(jwt.serialize());
    }

    private static String remember(String token) {
        TOKENS.add(token);
        return token;
    }

    private static String randomBase64() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return Base64URL.encode(bytes).toString();
    }

    /** Refused, without an exception, and with a reason logged. */
    private static void assertRefused(OidcAuthenticator authenticator, String token) {
        int before = LOGGED.size();
        assertEquals(Optional.empty(), authenticator.authenticate(token), "refused");
        assertTrue(LOGGED.size() > before, "a reason is logged");
    }

    private static String logSince(int index) {
        StringBuilder out = new StringBuilder();
        SimpleFormatter formatter = new SimpleFormatter();
        for (LogRecord record : LOGGED.subList(index, LOGGED.size())) {
            out.append(record.getLevel()).append(' ').append(formatter.formatMessage(record)).append('\n');
            if (record.getThrown() != null) {
                StringWriter trace = new StringWriter();
                record.getThrown().printStackTrace(new PrintWriter(trace));
                out.append(trace).append('\n');
            }
        }
        return out.toString();
    }

    private static void assertNoTokenLogged() {
        String log = logSince(0);
        assertFalse(LOGGED.isEmpty());
        for (String token : TOKENS) {
            assertFalse(log.contains(token), "a token was logged");
            for (String part : token.split("\\.")) {
                if (part.length() > 40) {
                    assertFalse(log.contains(part), "part of a token was logged");
                }
            }
        }
    }

    private static OAuth2HttpResponse json(int status, String body) {
        return new OAuth2HttpResponse(Headers.of("Content-Type", "application/json"), status, body, null);
    }

    /** Answers one path in place of the mock's own handler. */
    private record FixedRoute(String path, Supplier<OAuth2HttpResponse> response) implements Route {
        @Override
        public boolean match(OAuth2HttpRequest request) {
            return "GET".equals(request.getMethod()) && path.equals(request.getUrl().encodedPath());
        }

        @Override
        public OAuth2HttpResponse invoke(OAuth2HttpRequest request) {
            return response.get();
        }
    }
}
