package dev.mbi.controlplane.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.config.Env;
import dev.mbi.contract.ControlPlaneTls;
import dev.mbi.controlplane.ControlPlane;
import dev.mbi.controlplane.ControlPlaneConfig;
import dev.mbi.controlplane.launch.RunnerLauncher;
import dev.mbi.controlplane.testing.TestApi;
import dev.mbi.controlplane.testing.TestCertificates;
import dev.mbi.controlplane.testing.TestRunners;
import dev.mbi.proto.v1.ControlMessage;
import dev.mbi.proto.v1.CreateSessionRequest;
import dev.mbi.proto.v1.ListSessionsRequest;
import dev.mbi.proto.v1.Register;
import dev.mbi.proto.v1.RunnerMessage;
import dev.mbi.proto.v1.RunnerServiceGrpc;
import dev.mbi.proto.v1.SessionServiceGrpc;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS on both ports, with certificates made for the test: clients that trust the control plane's
 * CA get through, others do not; with GRPC_TLS_CA every client must also present a certificate
 * that CA signed. Runners dial with exactly what their launcher hands them (the runner contract).
 */
class GrpcTlsTest {
    @TempDir
    static Path dir;
    private static TestCertificates.Issued serverCa;
    private static TestCertificates.Issued server;
    private static TestCertificates.Issued clientCa;
    private static TestCertificates.Issued runnerCert;
    private static TestCertificates.Issued edgeCert;
    private static TestCertificates.Issued strangerCert;

    private final TestRunners.HandOverLauncher launcher = new TestRunners.HandOverLauncher();
    private final List<ManagedChannel> channels = new ArrayList<>();
    private ControlPlane controlPlane;
    /** How this test's API client dials (to create sessions). */
    private ControlPlaneTls apiClient;

    @BeforeAll
    static void certificates() throws Exception {
        serverCa = TestCertificates.ca(dir, "server-ca");
        server = TestCertificates.server(dir, "control-plane", serverCa);
        clientCa = TestCertificates.ca(dir, "client-ca");
        runnerCert = TestCertificates.client(dir, "runner", clientCa);
        edgeCert = TestCertificates.client(dir, "edge", clientCa);
        strangerCert = TestCertificates.client(dir, "stranger", TestCertificates.ca(dir, "other-ca"));
    }

    @AfterEach
    void stop() {
        channels.forEach(ManagedChannel::shutdownNow);
        if (controlPlane != null) {
            controlPlane.close();
        }
    }

    private ControlPlaneConfig config(String... pairs) {
        Map<String, String> env = new HashMap<>(TestApi.controlPlaneEnv());
        env.put("RUNNER_JAR", "pom.xml");
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return ControlPlaneConfig.from(new Env(env));
    }

    private ManagedChannel dial(int port, ControlPlaneTls tls) {
        ManagedChannel c = Grpc.newChannelBuilder("localhost:" + port, tls.channelCredentials()).build();
        channels.add(c);
        return c;
    }

    private Status.Code listSessions(ControlPlaneTls tls) {
        try {
            SessionServiceGrpc.newBlockingStub(TestApi.withToken(dial(controlPlane.apiPort(), tls)))
                    .withDeadlineAfter(10, TimeUnit.SECONDS).listSessions(ListSessionsRequest.getDefaultInstance());
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    /** A runner with these settings registers for a new session: OK when it is welcomed, else how its stream ended. */
    private Status.Code runnerRegisters(ControlPlaneTls tls) throws Exception {
        SessionServiceGrpc.newBlockingStub(TestApi.withToken(dial(controlPlane.apiPort(), apiClient)))
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .createSession(CreateSessionRequest.newBuilder().setUrl("https://example.com/").build());
        RunnerLauncher.RunnerSpec spec = launcher.next(Duration.ofSeconds(5));
        ControlPlaneFixture.Peer<ControlMessage> down = new ControlPlaneFixture.Peer<>();
        RunnerServiceGrpc.newStub(dial(controlPlane.grpcPort(), tls)).connect(down).onNext(RunnerMessage.newBuilder()
                .setRegister(Register.newBuilder().setSessionId(spec.sessionId()).setJoinToken(spec.joinToken())).build());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            ControlMessage m = down.received().poll(50, TimeUnit.MILLISECONDS);
            if (m != null && m.hasWelcome()) {
                return Status.Code.OK;
            }
            if (m == null && down.closed().isDone()) {
                return down.closed().get().getCode();
            }
        }
        return Status.Code.DEADLINE_EXCEEDED;
    }

    private static ControlPlaneTls serverTrust() throws Exception {
        return ControlPlaneTls.tls(serverCa.certPem(), "", "");
    }

    @Test
    void withTlsAClientThatTrustsTheCaGetsThroughAndOthersDoNot() throws Exception {
        ControlPlaneConfig config = config("GRPC_TLS_CERT", server.cert().toString(), "GRPC_TLS_KEY", server.key().toString(),
                "RUNNER_TLS_CA", serverCa.cert().toString());
        controlPlane = ControlPlane.start(config, launcher);
        apiClient = serverTrust();

        // Runners are told to use TLS and to trust RUNNER_TLS_CA; they present no certificate.
        ControlPlaneTls runners = config.runner().controlPlaneTls();
        assertTrue(runners.enabled());
        assertEquals(serverCa.certPem().strip(), runners.caPem());
        assertFalse(runners.mutual());
        assertEquals(Status.Code.OK, runnerRegisters(runners));

        assertEquals(Status.Code.OK, listSessions(serverTrust()));
        // Without the CA (the system's CAs only), or in plain text: no connection, on either port.
        assertEquals(Status.Code.UNAVAILABLE, listSessions(ControlPlaneTls.tls("", "", "")));
        assertEquals(Status.Code.UNAVAILABLE, listSessions(ControlPlaneTls.PLAINTEXT));
        assertEquals(Status.Code.UNAVAILABLE, runnerRegisters(ControlPlaneTls.tls("", "", "")));
        assertEquals(Status.Code.UNAVAILABLE, runnerRegisters(ControlPlaneTls.PLAINTEXT));
    }

    @Test
    void runnersTrustTheControlPlanesOwnCertificateWhenNoCaIsNamed() throws Exception {
        ControlPlaneConfig config = config("GRPC_TLS_CERT", server.cert().toString(), "GRPC_TLS_KEY", server.key().toString());
        assertEquals(server.certPem().strip(), config.runner().controlPlaneTls().caPem());
        controlPlane = ControlPlane.start(config, launcher);
        apiClient = serverTrust();
        assertEquals(Status.Code.OK, runnerRegisters(config.runner().controlPlaneTls()));
    }

    @Test
    void withMutualTlsEveryClientMustPresentACertificateTheClientCaSigned() throws Exception {
        ControlPlaneConfig config = config("GRPC_TLS_CERT", server.cert().toString(), "GRPC_TLS_KEY", server.key().toString(),
                "GRPC_TLS_CA", clientCa.cert().toString(), "RUNNER_TLS_CA", serverCa.cert().toString(),
                "RUNNER_TLS_CERT", runnerCert.cert().toString(), "RUNNER_TLS_KEY", runnerCert.key().toString());
        controlPlane = ControlPlane.start(config, launcher);
        ControlPlaneTls edge = ControlPlaneTls.tls(serverCa.certPem(), edgeCert.certPem(), edgeCert.keyPem());
        apiClient = edge;

        ControlPlaneTls runners = config.runner().controlPlaneTls();
        assertTrue(runners.mutual());
        assertEquals(runnerCert.certPem().strip(), runners.certPem());
        assertFalse(runners.toString().contains(runnerCert.keyPem().strip()), "the key never prints");
        assertEquals(Status.Code.OK, runnerRegisters(runners));

        assertEquals(Status.Code.OK, listSessions(edge));
        // The CA but no client certificate, or one another CA signed: no connection.
        assertEquals(Status.Code.UNAVAILABLE, listSessions(serverTrust()));
        assertEquals(Status.Code.UNAVAILABLE,
                listSessions(ControlPlaneTls.tls(serverCa.certPem(), strangerCert.certPem(), strangerCert.keyPem())));
        assertEquals(Status.Code.UNAVAILABLE, runnerRegisters(serverTrust()));
    }

    @Test
    void tlsSettingsThatCannotWorkStopTheControlPlaneAtStart() {
        String m = assertThrows(IllegalArgumentException.class, () -> config("GRPC_TLS_CERT", server.cert().toString())).getMessage();
        assertTrue(m.contains("GRPC_TLS_CERT and GRPC_TLS_KEY go together"), m);
        m = assertThrows(IllegalArgumentException.class, () -> config("GRPC_TLS_CERT", server.cert().toString(),
                "GRPC_TLS_KEY", server.key().toString(), "GRPC_TLS_CA", clientCa.cert().toString())).getMessage();
        assertTrue(m.contains("give runners theirs in RUNNER_TLS_CERT and RUNNER_TLS_KEY"), m);
        m = assertThrows(IllegalArgumentException.class, () -> config("GRPC_TLS_CERT", dir.resolve("nope.pem").toString(),
                "GRPC_TLS_KEY", server.key().toString())).getMessage();
        assertTrue(m.contains("GRPC_TLS_CERT=" + dir.resolve("nope.pem") + " is not a readable file"), m);
        m = assertThrows(IllegalArgumentException.class, () -> config("RUNNER_TLS_CA", serverCa.cert().toString())).getMessage();
        assertTrue(m.contains("need TLS on the control plane"), m);
        // A key that is not one: refused when the server is built, naming the files.
        ControlPlaneConfig swapped = config("GRPC_TLS_CERT", server.cert().toString(), "GRPC_TLS_KEY", server.cert().toString());
        m = assertThrows(IllegalStateException.class, () -> ControlPlane.start(swapped, launcher)).getMessage();
        assertTrue(m.contains("cannot serve TLS with GRPC_TLS_CERT="), m);
    }
}
