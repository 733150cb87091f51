package dev.mbi.controlplane;

import dev.mbi.config.Env;
import java.util.Locale;
import java.util.Set;

/**
 * A TURN server handed out with a weak credential is an open relay for anyone who guesses it:
 * with TURN_ENABLED=true the control plane refuses to start on an empty credential, on one of the
 * values found in examples and defaults, and on a TURN_SECRET shorter than 16 characters. The
 * messages name the variables, never the values.
 */
final class TurnCredentials {
    static final int MIN_SECRET_LENGTH = 16;

    /** Defaults and example values, lower case without '-', '_', '.' or blanks ("Change_Me" is "changeme"). */
    private static final Set<String> WELL_KNOWN = Set.of(
            "user", "username", "password", "passw0rd", "pass", "secret", "mysecret", "yoursecret", "changeme",
            "changeit", "changemeplease", "pleasechangeme", "replaceme", "default", "test", "testing", "admin", "turn",
            "coturn", "turnserver", "turnsecret", "turnpassword", "staticauthsecret", "north", "logen",
            "youhavetoberealistic", "mbi", "123456", "12345678", "1234567890", "qwerty", "letmein", "example",
            "xxxxxxxx", "secretsecretsecret", "changemechangeme", "0123456789abcdef");

    private TurnCredentials() {
    }

    /** Records a problem for each credential that must not be used; nothing when TURN is off. */
    static void check(Env env, boolean turnEnabled, String secret, String username, String credential) {
        if (!turnEnabled) {
            return;
        }
        if (!secret.isEmpty()) {
            if (wellKnown(secret)) {
                env.problem("TURN_SECRET is a well-known default or example value: anyone could use the TURN relay;"
                        + " use a random one (openssl rand -hex 32), the same as coturn's static-auth-secret");
            } else if (secret.length() < MIN_SECRET_LENGTH || secret.chars().distinct().count() < 4) {
                env.problem("TURN_SECRET is too weak: use at least " + MIN_SECRET_LENGTH
                        + " random characters (openssl rand -hex 32), the same as coturn's static-auth-secret");
            }
            return;
        }
        if (env.hasSecret("TURN_SECRET")) {
            return; // given, but unusable: Env has said why
        }
        if (username.isEmpty() || credential.isEmpty()) {
            if (!env.hasSecret("TURN_CREDENTIAL") || username.isEmpty()) {
                env.problem("TURN_ENABLED=true needs TURN_SECRET (or TURN_SECRET_FILE; coturn's static-auth-secret,"
                        + " at least " + MIN_SECRET_LENGTH + " characters), or static credentials in TURN_USERNAME and"
                        + " TURN_CREDENTIAL (or TURN_CREDENTIAL_FILE)");
            }
            return;
        }
        if (wellKnown(credential)) {
            env.problem("TURN_CREDENTIAL is a well-known default or example value: anyone could use the TURN relay;"
                    + " use a random one, or TURN_SECRET");
        } else if (credential.equals(username)) {
            env.problem("TURN_CREDENTIAL is the same as TURN_USERNAME: use a random password, or TURN_SECRET");
        }
    }

    static boolean wellKnown(String value) {
        String normalized = value.toLowerCase(Locale.ROOT).replaceAll("[-_.\\s]", "");
        return WELL_KNOWN.contains(normalized);
    }
}
