package dev.mbi.edge;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A real coturn TURN server on 127.0.0.1 for one test class, using coturn's REST-API shared secret,
 * which it reads from a file only its user may read (never from its command line, which anyone sees).
 */
final class Coturn implements AutoCloseable {
    static final Path BINARY = Path.of("/usr/bin/turnserver");

    final int port;
    private final Process process;
    private final Path log;
    private final Path config;

    private Coturn(int port, Process process, Path log, Path config) {
        this.port = port;
        this.process = process;
        this.log = log;
        this.config = config;
    }

    /** A secret as an operator should make one: 32 random bytes, hex (openssl rand -hex 32). */
    static String randomSecret() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** A file holding the secret, readable by this user only (as a mounted Docker or Kubernetes secret). */
    static Path secretFile(String secret) throws IOException {
        Path file = Files.createTempFile("turn-secret-", "", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        file.toFile().deleteOnExit();
        return Files.writeString(file, secret + "\n");
    }

    static Coturn start(String secret) throws Exception {
        if (!Files.isExecutable(BINARY)) {
            throw new IllegalStateException(BINARY + " is missing: install Debian's coturn package (apt-get install coturn)");
        }
        int port;
        try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Path log = Files.createTempFile("coturn-", ".log");
        Path config = Files.createTempFile("coturn-", ".conf", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(config, "static-auth-secret=" + secret + "\n");
        Process p = new ProcessBuilder(List.of(BINARY.toString(),
                "-c", config.toString(), "--verbose", "--no-cli", "--no-tls", "--no-dtls", "--fingerprint",
                "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
                "--listening-port=" + port,
                "--min-port=49160", "--max-port=49960",
                "--use-auth-secret", "--realm=mbi.test",
                // Both peers live on this machine, so relayed traffic goes to loopback addresses.
                "--allow-loopback-peers",
                "--pidfile=" + log + ".pid",
                "--log-file=" + log, "--simple-log", "--no-stdout-log"))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        Coturn coturn = new Coturn(port, p, log, config);
        try {
            TestStack.await("coturn listening", Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
                if (!p.isAlive()) {
                    throw new IllegalStateException("coturn exited with " + p.exitValue());
                }
                return Files.readString(log).contains("Total General servers");
            });
        } catch (ConditionTimeoutException | IllegalStateException e) {
            String output = Files.readString(log);
            coturn.close();
            throw new IllegalStateException("coturn did not start: " + output, e);
        }
        return coturn;
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            process.waitFor();
            Files.deleteIfExists(log);
            Files.deleteIfExists(config);
            Files.deleteIfExists(Path.of(log + ".pid"));
        } catch (InterruptedException | IOException e) {
            process.destroyForcibly();
        }
    }
}
