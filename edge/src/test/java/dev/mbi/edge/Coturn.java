package dev.mbi.edge;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.core.ConditionTimeoutException;

/** A real coturn TURN server on 127.0.0.1 for one test class, using coturn's REST-API shared secret. */
final class Coturn implements AutoCloseable {
    static final Path BINARY = Path.of("/usr/bin/turnserver");

    final int port;
    private final Process process;
    private final Path log;

    private Coturn(int port, Process process, Path log) {
        this.port = port;
        this.process = process;
        this.log = log;
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
        Process p = new ProcessBuilder(List.of(BINARY.toString(),
                "-n", "--verbose", "--no-cli", "--no-tls", "--no-dtls", "--fingerprint",
                "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
                "--listening-port=" + port,
                "--min-port=49160", "--max-port=49960",
                "--use-auth-secret", "--static-auth-secret=" + secret, "--realm=mbi.test",
                // Both peers live on this machine, so relayed traffic goes to loopback addresses.
                "--allow-loopback-peers",
                "--pidfile=" + log + ".pid",
                "--log-file=" + log, "--simple-log", "--no-stdout-log"))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        Coturn coturn = new Coturn(port, p, log);
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
            Files.deleteIfExists(Path.of(log + ".pid"));
        } catch (InterruptedException | IOException e) {
            process.destroyForcibly();
        }
    }
}
