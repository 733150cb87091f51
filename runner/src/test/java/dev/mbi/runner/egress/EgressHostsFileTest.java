package dev.mbi.runner.egress;

import static dev.mbi.runner.egress.EgressFixtures.exchange;
import static dev.mbi.runner.egress.EgressFixtures.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The default resolver is the JDK's, so a hosts file given with {@code -Djdk.net.hosts.file} maps
 * names for it: here internal.test to 127.0.0.1 (blocked) and allowed.test to 127.0.0.2 (allowed
 * by EGRESS_ALLOW_CIDRS). The proxy runs in a child JVM started with that file.
 */
class EgressHostsFileTest {

    @Test
    void namesMappedToLoopbackByTheHostsFileAreBlocked(@TempDir Path dir) throws Exception {
        ExecutorService servers = Executors.newVirtualThreadPerTaskExecutor();
        HttpServer internal = EgressFixtures.origin("internal", new InetSocketAddress(ip("127.0.0.1"), 0), servers);
        int port = internal.getAddress().getPort();
        HttpServer allowed = EgressFixtures.origin("allowed", new InetSocketAddress(ip("127.0.0.2"), port), servers);
        Path hosts = Files.writeString(dir.resolve("hosts"), "127.0.0.1 internal.test\n127.0.0.2 allowed.test\n");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(java.toString(), "-Djdk.net.hosts.file=" + hosts,
                "-cp", System.getProperty("java.class.path"), EgressHostsFileMain.class.getName(), "127.0.0.2/32")
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String first = out.readLine();
            assertTrue(first != null && first.startsWith("PORT "), "the child proxy started: " + first);
            InetSocketAddress proxy = new InetSocketAddress(ip("127.0.0.1"), Integer.parseInt(first.substring(5)));

            String ok = exchange(proxy, "GET http://allowed.test:" + port + "/ HTTP/1.1\r\nHost: allowed.test\r\n\r\n");
            assertTrue(ok.startsWith("HTTP/1.1 200 ") && ok.contains(">allowed<"), ok);

            String denied = exchange(proxy, "GET http://internal.test:" + port + "/ HTTP/1.1\r\nHost: internal.test\r\n\r\n");
            assertTrue(denied.startsWith("HTTP/1.1 403 "), denied);
            assertTrue(denied.contains("<b>internal.test</b> (127.0.0.1)") && denied.contains("<b>loopback</b>"), denied);
            assertFalse(denied.contains(">internal<"));

            String tunnel = exchange(proxy, "CONNECT internal.test:" + port + " HTTP/1.1\r\nHost: internal.test\r\n\r\n");
            assertTrue(tunnel.startsWith("HTTP/1.1 403 "), tunnel);

            // Only the file is consulted: a name it lacks does not resolve at all.
            String unknown = exchange(proxy, "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n");
            assertTrue(unknown.startsWith("HTTP/1.1 502 "), unknown);

            child.getOutputStream().close();
            assertTrue(child.waitFor(10, TimeUnit.SECONDS), "the child stops when its input closes");
            List<String> reports = new ArrayList<>();
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                reports.add(line);
            }
            assertEquals(List.of("BLOCKED internal.test LOOPBACK", "BLOCKED internal.test LOOPBACK"), reports);
        } finally {
            child.destroyForcibly();
            internal.stop(0);
            allowed.stop(0);
            servers.shutdownNow();
        }
    }
}
