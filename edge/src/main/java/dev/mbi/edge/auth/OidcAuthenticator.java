package dev.mbi.edge.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jose.util.health.HealthStatus;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.ConfigurableJWTProcessor;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URL;
import java.text.ParseException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * AUTH_MODE=oidc: a bearer credential is a JWT issued by an OpenID Connect provider.
 *
 * <p>At construction it reads the issuer's discovery document
 * ({@code <issuer>/.well-known/openid-configuration}), checks that the document names the same
 * issuer, and fetches the key set at its {@code jwks_uri} once; any failure there is an
 * {@link IllegalStateException} that names the issuer and what to check, so a misconfigured edge
 * does not start. Afterwards the key set is cached for {@value #KEY_CACHE_MINUTES} minutes and
 * fetched again when it expires or when a token names a key id it does not hold (key rotation),
 * at most once per {@value #KEY_REFRESH_MIN_SECONDS} seconds.
 *
 * <p>A token names a caller when all of these hold:
 * <ul>
 *   <li>it is a JWS signed with one of the issuer's published keys, by an RSA or ECDSA
 *       algorithm that the key allows (RS256/384/512, PS256/384/512, ES256/384/512);
 *       {@code alg: none}, HMAC and encrypted tokens are refused;</li>
 *   <li>its {@code typ}, if any, is {@code JWT} or {@code at+jwt};</li>
 *   <li>{@code iss} is exactly the configured issuer, {@code aud} contains the configured
 *       audience;</li>
 *   <li>{@code exp} is present and not past, {@code nbf} (if present) not ahead, both with a
 *       clock skew of {@value #CLOCK_SKEW_SECONDS} seconds;</li>
 *   <li>{@code sub} is present.</li>
 * </ul>
 *
 * <p>The caller's name is {@code sub}, and only {@code sub}: it is the one claim OIDC makes
 * stable and unique within an issuer. {@code preferred_username} is not a fallback, since the
 * provider lets it change and does not promise it unique, and session ownership follows the
 * name. The caller is an administrator when the roles claim contains the admin role: the claim
 * is read as a list of strings or as one space-separated string, first under its whole name
 * (so namespaced claims such as {@code https://example.com/roles} work), else as a dotted path
 * into nested objects ({@code realm_access.roles}). A null or blank roles claim or admin role
 * makes nobody an administrator.
 *
 * <p>{@link #authenticate} never throws: a token that does not check out, or that cannot be
 * checked because the issuer's keys cannot be fetched, names nobody. Each refusal is logged at
 * FINE with its reason; losing and regaining the key set is logged at WARNING and INFO once per
 * change. Tokens themselves are never logged.
 */
public final class OidcAuthenticator implements Authenticator {
    private static final Logger LOG = Logger.getLogger(OidcAuthenticator.class.getName());

    static final int CLOCK_SKEW_SECONDS = 30;
    static final int KEY_CACHE_MINUTES = 5;
    static final int KEY_REFRESH_MIN_SECONDS = 30;
    private static final Duration DISCOVERY_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration KEYS_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration KEY_CACHE_REFRESH_WAIT = Duration.ofSeconds(10);
    private static final int DOCUMENT_SIZE_LIMIT = 256 * 1024;
    private static final String WELL_KNOWN = "/.well-known/openid-configuration";

    /** Asymmetric algorithms only: a key from the set decides which of them a token may use. */
    private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(
            JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
            JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512,
            JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512);

    private final String issuer;
    private final String audience;
    private final String rolesClaim;
    private final String adminRole;
    private final URL jwksUri;
    private final ConfigurableJWTProcessor<SecurityContext> processor;
    private final AtomicBoolean keysHealthy = new AtomicBoolean(true);

    /**
     * Discovers the issuer and fetches its keys; blocks for a few seconds at most.
     *
     * @param issuer     the issuer URL exactly as tokens carry it in {@code iss}
     * @param audience   the value {@code aud} must contain (this edge's client id or API name)
     * @param rolesClaim the claim holding the caller's roles, or a dotted path to it; null or
     *                   blank for none
     * @param adminRole  the role that makes a caller an administrator; null or blank for none
     * @throws IllegalArgumentException when the issuer is not an absolute http(s) URL or the
     *                                  audience is blank
     * @throws IllegalStateException    when discovery or the first key fetch fails
     */
    public OidcAuthenticator(URI issuer, String audience, String rolesClaim, String adminRole) {
        this.issuer = checkIssuer(issuer);
        if (audience == null || audience.isBlank()) {
            throw new IllegalArgumentException("OIDC audience must not be blank (issuer " + this.issuer + ")");
        }
        this.audience = audience.strip();
        this.rolesClaim = blankToNull(rolesClaim);
        this.adminRole = blankToNull(adminRole);
        this.jwksUri = discoverKeys(this.issuer);

        DefaultResourceRetriever keysRetriever = new DefaultResourceRetriever(
                (int) KEYS_TIMEOUT.toMillis(), (int) KEYS_TIMEOUT.toMillis(), DOCUMENT_SIZE_LIMIT);
        JWKSource<SecurityContext> keys = JWKSourceBuilder.<SecurityContext>create(jwksUri, keysRetriever)
                .cache(Duration.ofMinutes(KEY_CACHE_MINUTES).toMillis(), KEY_CACHE_REFRESH_WAIT.toMillis())
                // Refresh-ahead would start a thread of the library's own; a request refreshes instead.
                .refreshAheadCache(false)
                .rateLimited(Duration.ofSeconds(KEY_REFRESH_MIN_SECONDS).toMillis())
                .retrying(true)
                .healthReporting(report -> keysHealth(report.getHealthStatus(), report.getException()))
                .build();
        prefetch(keys);

        DefaultJWTProcessor<SecurityContext> jwt = new DefaultJWTProcessor<>();
        jwt.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(
                JOSEObjectType.JWT, new JOSEObjectType("at+jwt"), new JOSEObjectType("application/at+jwt"), null));
        jwt.setJWSKeySelector(new JWSVerificationKeySelector<>(ALGORITHMS, keys));
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(
                Set.of(this.audience),
                new JWTClaimsSet.Builder().issuer(this.issuer).build(),
                Set.of("iss", "aud", "exp", "sub"),
                null);
        claims.setMaxClockSkew(CLOCK_SKEW_SECONDS);
        jwt.setJWTClaimsSetVerifier(claims);
        this.processor = jwt;

        LOG.info(() -> "OIDC: issuer " + this.issuer + ", keys from " + jwksUri + ", audience " + this.audience
                + (this.adminRole == null || this.rolesClaim == null ? ", no administrators"
                        : ", admins have role " + this.adminRole + " in claim " + this.rolesClaim));
    }

    @Override
    public Optional<Caller> authenticate(String bearer) {
        if (bearer == null || bearer.isBlank()) {
            return Optional.empty();
        }
        try {
            JWTClaimsSet claims = processor.process(bearer.strip(), null);
            String subject = claims.getSubject();
            if (subject == null || subject.isBlank()) {
                LOG.fine("OIDC: token refused: blank sub");
                return Optional.empty();
            }
            return Optional.of(new Caller(subject, isAdmin(claims)));
        } catch (ParseException e) {
            LOG.fine("OIDC: token refused: not a JWT");
        } catch (BadJOSEException e) {
            LOG.fine(() -> "OIDC: token refused: " + e.getMessage());
        } catch (RateLimitReachedException e) {
            LOG.fine(() -> "OIDC: token refused: its key is not in the key set, fetched again less than "
                    + KEY_REFRESH_MIN_SECONDS + " s ago");
        } catch (KeySourceException e) {
            LOG.fine(() -> "OIDC: token refused: the issuer's keys cannot be fetched from " + jwksUri + ": "
                    + reason(e));
        } catch (JOSEException | RuntimeException e) {
            LOG.fine(() -> "OIDC: token refused: " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        return Optional.empty();
    }

    private boolean isAdmin(JWTClaimsSet claims) {
        if (rolesClaim == null || adminRole == null) {
            return false;
        }
        Object roles = roles(claims.getClaims(), rolesClaim);
        if (roles instanceof String s) {
            return List.of(s.strip().split("\\s+")).contains(adminRole);
        }
        if (roles instanceof Collection<?> list) {
            return list.contains(adminRole);
        }
        return false;
    }

    /** The claim under its whole name, else found by following the dotted path; null when absent. */
    static Object roles(Map<String, Object> claims, String claim) {
        Object whole = claims.get(claim);
        if (whole != null || !claim.contains(".")) {
            return whole;
        }
        Object at = claims;
        for (String step : claim.split("\\.")) {
            if (!(at instanceof Map<?, ?> object)) {
                return null;
            }
            at = object.get(step);
        }
        return at;
    }

    private void keysHealth(HealthStatus status, Exception failure) {
        if (status == HealthStatus.HEALTHY) {
            if (keysHealthy.compareAndSet(false, true)) {
                LOG.info(() -> "OIDC: keys of issuer " + issuer + " fetched again from " + jwksUri);
            }
        } else if (keysHealthy.compareAndSet(true, false)) {
            LOG.warning(() -> "OIDC: cannot fetch the keys of issuer " + issuer + " from " + jwksUri + ": "
                    + reason(failure) + "; tokens whose key is not cached are refused until it answers");
        }
    }

    private static String checkIssuer(URI issuer) {
        Objects.requireNonNull(issuer, "OIDC issuer");
        String scheme = issuer.getScheme();
        if (!issuer.isAbsolute() || issuer.getHost() == null
                || !("https".equalsIgnoreCase(scheme) || "http".equalsIgnoreCase(scheme))) {
            throw new IllegalArgumentException("OIDC issuer must be an absolute http(s) URL, got " + issuer);
        }
        if ("http".equalsIgnoreCase(scheme) && !isLoopback(issuer.getHost())) {
            LOG.warning(() -> "OIDC: issuer " + issuer + " is plain http: its keys could be replaced in transit");
        }
        return issuer.toString();
    }

    private static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (IOException e) {
            return false;
        }
    }

    /** Reads the discovery document and returns its jwks_uri, or says what to check. */
    private static URL discoverKeys(String issuer) {
        String base = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
        String where = base + WELL_KNOWN;
        String check = " Check that the configured OIDC issuer is the provider's issuer URL exactly as its tokens"
                + " carry it in iss, and that this edge can reach it.";
        Map<String, Object> document;
        try {
            DefaultResourceRetriever retriever = new DefaultResourceRetriever(
                    (int) DISCOVERY_TIMEOUT.toMillis(), (int) DISCOVERY_TIMEOUT.toMillis(), DOCUMENT_SIZE_LIMIT);
            document = JSONObjectUtils.parse(retriever.retrieveResource(URI.create(where).toURL()).getContent());
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("OIDC discovery failed for issuer " + issuer + ": cannot read " + where
                    + " (" + reason(e) + ")." + check, e);
        } catch (ParseException e) {
            throw new IllegalStateException("OIDC discovery failed for issuer " + issuer + ": " + where
                    + " is not a JSON object (" + e.getMessage() + ")." + check, e);
        }
        Object named = document.get("issuer");
        if (!issuer.equals(named)) {
            throw new IllegalStateException("OIDC discovery failed for issuer " + issuer + ": " + where
                    + " names the issuer " + named + ". Configure the issuer exactly as the provider names it"
                    + " (a trailing slash counts).");
        }
        Object jwks = document.get("jwks_uri");
        try {
            URI uri = new URI((String) Objects.requireNonNull(jwks));
            if (!uri.isAbsolute() || !("https".equals(uri.getScheme()) || "http".equals(uri.getScheme()))) {
                throw new IllegalArgumentException("not an absolute http(s) URL");
            }
            return uri.toURL();
        } catch (Exception e) {
            throw new IllegalStateException("OIDC discovery failed for issuer " + issuer + ": " + where
                    + " has no usable jwks_uri (" + jwks + "). Check the provider's configuration.", e);
        }
    }

    /** Fetches the key set once, so that an unusable jwks_uri stops the edge at start. */
    private void prefetch(JWKSource<SecurityContext> keys) {
        List<JWK> signing;
        try {
            signing = keys.get(new JWKSelector(new JWKMatcher.Builder()
                    .keyTypes(KeyType.RSA, KeyType.EC)
                    .keyUses(KeyUse.SIGNATURE, null)
                    .build()), null);
        } catch (KeySourceException e) {
            throw new IllegalStateException("OIDC: cannot fetch the keys of issuer " + issuer + " from " + jwksUri
                    + " (" + reason(e) + "). Check that this edge can reach it.", e);
        }
        if (signing.isEmpty()) {
            throw new IllegalStateException("OIDC: issuer " + issuer + " publishes no RSA or EC signing key at "
                    + jwksUri + ". Check the provider's keys.");
        }
    }

    private static String reason(Throwable e) {
        if (e == null) {
            return "unknown reason";
        }
        StringBuilder out = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            String message = String.valueOf(cause.getMessage());
            if (!out.toString().contains(message)) {
                out.append(": ").append(cause.getClass().getSimpleName()).append(' ').append(message);
            }
            if (cause == cause.getCause()) {
                break;
            }
        }
        return out.toString();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
