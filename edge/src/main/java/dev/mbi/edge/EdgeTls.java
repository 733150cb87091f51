package dev.mbi.edge;

import io.helidon.common.configurable.Resource;
import io.helidon.common.pki.Keys;
import io.helidon.common.tls.Tls;
import io.helidon.webserver.WebServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * HTTPS for the edge from a PEM certificate chain and key (TLS_CERT, TLS_KEY): browsers give the
 * clipboard only to secure pages. The files are watched, and a renewed certificate (certbot,
 * cert-manager) is taken without a restart; a broken renewal keeps the old one and says why.
 */
final class EdgeTls implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EdgeTls.class.getName());
    private final Path cert;
    private final Path key;
    private FileTime certSeen;
    private FileTime keySeen;
    private ScheduledFuture<?> watch;

    EdgeTls(Path cert, Path key) {
        this.cert = cert;
        this.key = key;
    }

    /** The certificate and key as they are now; fails with a message naming the files. */
    Tls load() {
        try {
            certSeen = Files.getLastModifiedTime(cert);
            keySeen = Files.getLastModifiedTime(key);
            Keys keys = Keys.builder().pem(pem -> pem.key(Resource.create(key)).certChain(Resource.create(cert))).build();
            return Tls.builder()
                    .privateKey(keys.privateKey().orElseThrow(() -> new IllegalStateException("no private key in " + key)))
                    .privateKeyCertChain(keys.certChain())
                    .build();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("TLS_CERT=" + cert + " / TLS_KEY=" + key + " cannot be used: " + e.getMessage()
                    + " (a PEM certificate chain and an unencrypted PKCS#8 PEM key)", e);
        }
    }

    /** Reloads the server's TLS whenever either file changes. */
    void watch(WebServer server, ScheduledExecutorService timer, Duration every) {
        long ms = Math.max(100, every.toMillis());
        watch = timer.scheduleWithFixedDelay(() -> {
            try {
                if (Files.getLastModifiedTime(cert).equals(certSeen) && Files.getLastModifiedTime(key).equals(keySeen)) {
                    return;
                }
                server.reloadTls(load());
                LOG.info("TLS certificate reloaded from " + cert);
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "TLS certificate not reloaded, the previous one stays: " + e.getMessage());
            }
        }, ms, ms, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        if (watch != null) {
            watch.cancel(false);
        }
    }
}
