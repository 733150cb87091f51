package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.config.Env;
import dev.mbi.controlplane.testing.TestCertificates;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The edge over HTTPS from PEM files, and a renewed certificate taken without a restart. */
class EdgeTlsTest {
    private static Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>(Map.of("PORT", "0", "CONTROL_PLANE_ADDR", "localhost:1", "CONTROL_PLANE_TIMEOUT", "1s",
                "CONTROL_PLANE_TOKEN", dev.mbi.controlplane.testing.TestApi.TOKEN));
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    /** The certificate a fresh HTTPS connection is shown (trusting only the test CA), after a 200 from /healthz. */
    private static X509Certificate served(int port, X509Certificate ca) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        try (HttpClient client = HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            return (X509Certificate) r.sslSession().orElseThrow().getPeerCertificates()[0];
        }
    }

    @Test
    void theEdgeServesHttpsAndTakesARenewedCertificate(@TempDir Path dir) throws Exception {
        TestCertificates.Issued ca = TestCertificates.ca(dir, "edge-ca");
        TestCertificates.Issued first = TestCertificates.server(dir, "first", ca);
        Path cert = dir.resolve("tls.crt");
        Path key = dir.resolve("tls.key");
        Files.copy(first.cert(), cert);
        Files.copy(first.key(), key);
        try (Edge edge = Edge.start(EdgeConfig.from(new Env(env("TLS_CERT", cert.toString(), "TLS_KEY", key.toString(),
                "TLS_RELOAD_INTERVAL", "200ms"))))) {
            assertEquals(first.certificate().getSerialNumber(), served(edge.port(), ca.certificate()).getSerialNumber());

            TestCertificates.Issued renewed = TestCertificates.server(dir, "renewed", ca);
            Files.copy(renewed.key(), key, StandardCopyOption.REPLACE_EXISTING);
            Files.copy(renewed.cert(), cert, StandardCopyOption.REPLACE_EXISTING);
            Files.setLastModifiedTime(cert, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5_000));
            TestStack.await("the renewed certificate served", Duration.ofSeconds(15)).ignoreExceptions()
                    .until(() -> served(edge.port(), ca.certificate()).getSerialNumber().equals(renewed.certificate().getSerialNumber()));
        }
    }

    @Test
    void aCertificateWithoutItsKeyIsRefusedAtStart(@TempDir Path dir) throws Exception {
        TestCertificates.Issued ca = TestCertificates.ca(dir, "edge-ca");
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> EdgeConfig.from(new Env(env("TLS_CERT", ca.cert().toString()))));
        assertTrue(e.getMessage().contains("TLS_CERT and TLS_KEY go together"), e.getMessage());
    }
}
