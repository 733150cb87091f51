package dev.mbi.contract;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.TlsChannelCredentials;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * How a client (a runner, an edge) dials the control plane: in plain text, or over TLS trusting
 * {@code caPem} (empty: the system's CAs) and, for mutual TLS, presenting {@code certPem} with
 * {@code keyPem}. PEM text rather than file names, so that it fits in any launcher's environment.
 */
public record ControlPlaneTls(boolean enabled, String caPem, String certPem, String keyPem) {
    public static final ControlPlaneTls PLAINTEXT = new ControlPlaneTls(false, "", "", "");

    public ControlPlaneTls {
        Objects.requireNonNull(caPem, "caPem");
        Objects.requireNonNull(certPem, "certPem");
        Objects.requireNonNull(keyPem, "keyPem");
        if (!enabled && !(caPem.isEmpty() && certPem.isEmpty() && keyPem.isEmpty())) {
            throw new IllegalArgumentException("certificates given for a plain-text connection");
        }
        if (certPem.isEmpty() != keyPem.isEmpty()) {
            throw new IllegalArgumentException("a client certificate needs its key, and a key its certificate");
        }
    }

    /** TLS trusting these CAs (PEM; empty for the system's), with a client certificate and key (PEM) or none (empty). */
    public static ControlPlaneTls tls(String caPem, String certPem, String keyPem) {
        return new ControlPlaneTls(true, caPem, certPem, keyPem);
    }

    /** Whether a client certificate is presented (mutual TLS). */
    public boolean mutual() {
        return !certPem.isEmpty();
    }

    /**
     * The channel credentials for grpc-java's {@code Grpc.newChannelBuilder}.
     *
     * @throws IllegalArgumentException when the PEM text is not a certificate or key
     */
    public ChannelCredentials channelCredentials() {
        if (!enabled) {
            return InsecureChannelCredentials.create();
        }
        TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder();
        try {
            if (!caPem.isEmpty()) {
                b.trustManager(stream(caPem));
            }
            if (mutual()) {
                b.keyManager(stream(certPem), stream(keyPem));
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("the control plane's TLS settings are not usable PEM: " + e.getMessage(), e);
        }
        return b.build();
    }

    private static InputStream stream(String pem) {
        return new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII));
    }

    /** Never prints the key. */
    @Override
    public String toString() {
        return enabled ? "ControlPlaneTls[tls" + (caPem.isEmpty() ? ", system CAs" : ", own CA")
                + (mutual() ? ", client certificate" : "") + "]" : "ControlPlaneTls[plaintext]";
    }
}
