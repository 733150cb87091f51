package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mbi.controlplane.testing.TestCertificates;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole stack over mutual TLS, with certificates made for the run: the edge calls the API
 * port with its own client certificate, and a real runner process dials back with the CA and the
 * certificate its launcher handed it through the runner contract.
 */
@ExtendWith(StackExtension.class)
class TlsStackTest {
    @TempDir
    static Path dir;
    private static TestStack stack;

    @BeforeAll
    static void start(Stacks stacks) throws Exception {
        TestCertificates.Issued serverCa = TestCertificates.ca(dir, "server-ca");
        TestCertificates.Issued server = TestCertificates.server(dir, "control-plane", serverCa);
        TestCertificates.Issued clientCa = TestCertificates.ca(dir, "client-ca");
        TestCertificates.Issued runner = TestCertificates.client(dir, "runner", clientCa);
        TestCertificates.Issued edge = TestCertificates.client(dir, "edge", clientCa);
        stack = stacks.get(new StackConfig(Map.of(
                "MAX_SESSIONS", "2",
                "GRPC_TLS_CERT", server.cert().toString(),
                "GRPC_TLS_KEY", server.key().toString(),
                "GRPC_TLS_CA", clientCa.cert().toString(),
                "RUNNER_TLS_CA", serverCa.cert().toString(),
                "RUNNER_TLS_CERT", runner.cert().toString(),
                "RUNNER_TLS_KEY", runner.key().toString()), Map.of(
                "CONTROL_PLANE_TLS_CA", serverCa.cert().toString(),
                "CONTROL_PLANE_TLS_CERT", edge.cert().toString(),
                "CONTROL_PLANE_TLS_KEY", edge.key().toString()), StackConfig.LOOPBACK));
    }

    @Test
    void aRunnerDialsBackOverMutualTlsAndItsSessionStreams() throws Exception {
        assertEquals(200, stack.request("GET", "/readyz", null).status());
        String id = stack.createSession(stack.site.pageUrl());
        try (ViewerClient viewer = new ViewerClient(stack.wsUrl(id))) {
            stack.awaitStatus(id, "ready", Duration.ofSeconds(30));
            viewer.awaitPixel(1000, 600, ViewerClient::greenish, 15_000);
        }
        assertEquals(204, stack.request("DELETE", "/api/sessions/" + id, null).status());
    }
}
