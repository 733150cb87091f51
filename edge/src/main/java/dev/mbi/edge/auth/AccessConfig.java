package dev.mbi.edge.auth;

import dev.mbi.config.Env;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Who may use the edge and how browsers may reach it: the authentication mode and its
 * credentials, the origins allowed to open viewer WebSockets, who may frame the UI, and the
 * per-caller rate limits. Read from the environment with the rest of the edge's settings.
 *
 * @param tokens the API tokens (token mode); empty means the edge makes one admin token at start
 * @param allowedOrigins origins allowed to open a WebSocket; empty means the edge's own (the Host header's)
 * @param frameAncestors the CSP frame-ancestors sources
 * @param createRatePerMinute session creates per caller and minute (0: no limit)
 * @param offerRatePerMinute WebRTC offers per caller and minute (0: no limit)
 */
public record AccessConfig(
        AuthMode mode,
        List<ApiToken> tokens,
        Optional<Oidc> oidc,
        boolean metricsAuth,
        List<String> allowedOrigins,
        String frameAncestors,
        int createRatePerMinute,
        int offerRatePerMinute) {

    /** AUTH_MODE: API tokens (the default), OIDC JWTs, or nobody checked (explicitly). */
    public enum AuthMode { TOKEN, OIDC, NONE }

    /** One API token: the caller it names, and whether that caller is an administrator. */
    public record ApiToken(String name, String token, boolean admin) {
        @Override
        public String toString() {
            return "ApiToken[" + name + (admin ? ", admin" : "") + "]"; // never the token itself
        }
    }

    /** The OIDC settings (AUTH_MODE=oidc). */
    public record Oidc(URI issuer, String audience, String rolesClaim, String adminRole) {
    }

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._@+-]{1,64}");

    public AccessConfig {
        tokens = List.copyOf(tokens);
        allowedOrigins = List.copyOf(allowedOrigins);
    }

    public static AccessConfig from(Env env) {
        AuthMode mode = env.choice("AUTH_MODE", AuthMode.TOKEN, AuthMode.class);
        Map<String, ApiToken> byToken = new LinkedHashMap<>();
        String tokensFile = env.string("API_TOKENS_FILE", "");
        String fileText = "";
        if (!tokensFile.isEmpty()) {
            try {
                fileText = Files.readString(Path.of(tokensFile));
            } catch (IOException | RuntimeException e) {
                env.problem("API_TOKENS_FILE=" + tokensFile + ": cannot be read (" + e.getMessage() + ")");
            }
        }
        // Admins first: a token listed as both is an admin's.
        addTokens(env, "ADMIN_TOKENS", env.string("ADMIN_TOKENS", ""), "admin", true, byToken);
        addTokens(env, "API_TOKENS", env.string("API_TOKENS", ""), "user", false, byToken);
        addTokens(env, "API_TOKENS_FILE", fileText, "user", false, byToken);
        if (mode != AuthMode.TOKEN && !byToken.isEmpty()) {
            env.problem("API_TOKENS / ADMIN_TOKENS are set but AUTH_MODE=" + mode.name().toLowerCase(Locale.ROOT)
                    + ": unset them, or use AUTH_MODE=token");
        }

        Optional<Oidc> oidc = Optional.empty();
        if (mode == AuthMode.OIDC) {
            String issuer = env.string("OIDC_ISSUER", "");
            String audience = env.string("OIDC_AUDIENCE", "");
            URI issuerUri = null;
            if (issuer.isEmpty()) {
                env.problem("OIDC_ISSUER is required with AUTH_MODE=oidc (the identity provider's issuer URL)");
            } else {
                try {
                    issuerUri = new URI(issuer);
                    if (!"https".equals(issuerUri.getScheme()) && !"http".equals(issuerUri.getScheme()) || issuerUri.getHost() == null) {
                        env.problem("OIDC_ISSUER=" + issuer + ": must be an https URL");
                        issuerUri = null;
                    }
                } catch (URISyntaxException e) {
                    env.problem("OIDC_ISSUER=" + issuer + ": not a URL");
                }
            }
            if (audience.isEmpty()) {
                env.problem("OIDC_AUDIENCE is required with AUTH_MODE=oidc (the audience the edge's tokens are issued for)");
            }
            if (issuerUri != null && !audience.isEmpty()) {
                oidc = Optional.of(new Oidc(issuerUri, audience, env.string("OIDC_ROLES_CLAIM", "roles"),
                        env.string("OIDC_ADMIN_ROLE", "admin")));
            }
        }

        List<String> origins = new ArrayList<>();
        for (String o : split(env.string("ALLOWED_ORIGINS", ""))) {
            String normal = normalOrigin(o);
            if (normal == null) {
                env.problem("ALLOWED_ORIGINS: '" + o + "' is not an origin like https://browser.example.com");
            } else {
                origins.add(normal);
            }
        }
        String ancestors = env.string("ALLOWED_FRAME_ANCESTORS", "'self'").replace(',', ' ').trim().replaceAll("\\s+", " ");
        if (ancestors.matches(".*[;\\r\\n\"].*")) {
            env.problem("ALLOWED_FRAME_ANCESTORS=" + ancestors + ": list CSP sources separated by spaces, e.g. 'self' https://portal.example.com");
        }
        return new AccessConfig(mode, List.copyOf(byToken.values()), oidc,
                env.bool("METRICS_AUTH", false), origins, ancestors,
                env.integer("CREATE_RATE_PER_MINUTE", 30, 0, 1_000_000),
                env.integer("OFFER_RATE_PER_MINUTE", 60, 0, 1_000_000));
    }

    /** Entries separated by commas or line breaks; '#' starts a comment line. */
    private static List<String> split(String text) {
        List<String> out = new ArrayList<>();
        for (String line : text.split("\\R")) {
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            for (String part : t.split(",")) {
                if (!part.isBlank()) {
                    out.add(part.strip());
                }
            }
        }
        return out;
    }

    private static void addTokens(Env env, String variable, String text, String unnamedPrefix, boolean admin,
                                  Map<String, ApiToken> byToken) {
        int unnamed = (int) byToken.values().stream().filter(t -> t.admin() == admin && t.name().matches(unnamedPrefix + "\\d+")).count();
        int position = 0;
        for (String entry : split(text)) {
            position++;
            int colon = entry.indexOf(':');
            String name;
            String token;
            if (colon >= 0) {
                name = entry.substring(0, colon).strip();
                token = entry.substring(colon + 1).strip();
                if (!NAME.matcher(name).matches()) {
                    env.problem(variable + ": entry " + position + " has the name '" + name
                            + "': names are 1-64 letters, digits or . _ @ + -");
                    continue;
                }
            } else {
                name = unnamedPrefix + (++unnamed);
                token = entry;
            }
            if (token.isEmpty()) {
                env.problem(variable + ": entry " + position + " (" + name + ") has no token");
                continue;
            }
            ApiToken previous = byToken.get(token);
            if (previous != null) {
                if (!previous.name().equals(name) && !(previous.admin() && !admin)) {
                    env.problem(variable + ": entry " + position + " reuses the token of " + previous.name());
                }
                continue; // the same token listed again (e.g. in API_TOKENS and its file): one entry
            }
            byToken.put(token, new ApiToken(name, token, admin));
        }
    }

    /** "https://Example.com:443/" → "https://example.com"; null when not an origin. */
    public static String normalOrigin(String origin) {
        try {
            URI u = new URI(origin.strip());
            String scheme = u.getScheme() == null ? null : u.getScheme().toLowerCase(Locale.ROOT);
            if (scheme == null || u.getHost() == null || !(scheme.equals("http") || scheme.equals("https"))
                    || (u.getRawPath() != null && !u.getRawPath().isEmpty() && !u.getRawPath().equals("/"))
                    || u.getRawQuery() != null || u.getRawUserInfo() != null) {
                return null;
            }
            int port = u.getPort();
            boolean defaultPort = port == -1 || (scheme.equals("http") && port == 80) || (scheme.equals("https") && port == 443);
            return scheme + "://" + u.getHost().toLowerCase(Locale.ROOT) + (defaultPort ? "" : ":" + port);
        } catch (URISyntaxException e) {
            return null;
        }
    }

    @Override
    public String toString() {
        return "AccessConfig[mode=" + mode + ", tokens=" + tokens + ", oidc=" + oidc + ", metricsAuth=" + metricsAuth
                + ", allowedOrigins=" + allowedOrigins + ", frameAncestors=" + frameAncestors
                + ", createRatePerMinute=" + createRatePerMinute + ", offerRatePerMinute=" + offerRatePerMinute + "]";
    }
}
