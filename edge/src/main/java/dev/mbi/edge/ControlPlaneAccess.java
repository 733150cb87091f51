package dev.mbi.edge;

import dev.mbi.config.Env;
import dev.mbi.contract.ControlPlaneTls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * How the edge reaches the control plane's API port: the bearer token every call carries
 * (CONTROL_PLANE_TOKEN, or the file CONTROL_PLANE_TOKEN_FILE names), and plain text or TLS
 * (CONTROL_PLANE_TLS_CA to trust, CONTROL_PLANE_TLS_CERT and _KEY for mutual TLS). Never prints
 * the token or the key.
 */
public record ControlPlaneAccess(String token, ControlPlaneTls tls) {
    public ControlPlaneAccess {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(tls, "tls");
    }

    /** Reads the settings, recording each problem in {@code env}. */
    static ControlPlaneAccess from(Env env) {
        return new ControlPlaneAccess(token(env), tls(env));
    }

    private static String token(Env env) {
        String direct = env.string("CONTROL_PLANE_TOKEN", "");
        String file = env.string("CONTROL_PLANE_TOKEN_FILE", "");
        if (!direct.isEmpty() && !file.isEmpty()) {
            env.problem("CONTROL_PLANE_TOKEN and CONTROL_PLANE_TOKEN_FILE are both set: set one");
            return direct;
        }
        if (!file.isEmpty()) {
            try {
                String token = Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
                if (token.isEmpty()) {
                    env.problem("CONTROL_PLANE_TOKEN_FILE=" + file + " is empty");
                }
                return token;
            } catch (IOException | RuntimeException e) {
                env.problem("CONTROL_PLANE_TOKEN_FILE=" + file + " cannot be read (" + e.getMessage() + ")");
                return "";
            }
        }
        if (direct.isEmpty()) {
            env.problem("CONTROL_PLANE_TOKEN is not set: the edge must send the control plane's token on every call"
                    + " (the same value as the control plane's CONTROL_PLANE_TOKEN), or name a file holding it in"
                    + " CONTROL_PLANE_TOKEN_FILE");
        }
        return direct;
    }

    private static ControlPlaneTls tls(Env env) {
        Optional<String> ca = pem(env, "CONTROL_PLANE_TLS_CA");
        Optional<String> cert = pem(env, "CONTROL_PLANE_TLS_CERT");
        Optional<String> key = pem(env, "CONTROL_PLANE_TLS_KEY");
        boolean on = env.bool("CONTROL_PLANE_TLS", ca.isPresent() || cert.isPresent());
        if (cert.isPresent() != key.isPresent()) {
            env.problem("CONTROL_PLANE_TLS_CERT and CONTROL_PLANE_TLS_KEY go together: set both (mutual TLS) or neither");
            return ControlPlaneTls.PLAINTEXT;
        }
        if (!on) {
            if (ca.isPresent() || cert.isPresent()) {
                env.problem("CONTROL_PLANE_TLS=false, but CONTROL_PLANE_TLS_CA or CONTROL_PLANE_TLS_CERT is set");
            }
            return ControlPlaneTls.PLAINTEXT;
        }
        return ControlPlaneTls.tls(ca.orElse(""), cert.orElse(""), key.orElse(""));
    }

    /** A PEM file's text; a problem when the variable names no readable file. */
    private static Optional<String> pem(Env env, String name) {
        String value = env.string(name, "");
        if (value.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Files.readString(Path.of(value), StandardCharsets.US_ASCII).strip());
        } catch (IOException | RuntimeException e) {
            env.problem(name + "=" + value + " is not a readable file (" + e.getMessage() + ")");
            return Optional.empty();
        }
    }

    @Override
    public String toString() {
        return "ControlPlaneAccess[token=redacted, " + tls + "]";
    }
}
