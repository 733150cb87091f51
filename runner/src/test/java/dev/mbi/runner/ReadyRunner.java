package dev.mbi.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mbi.contract.RunnerContract;
import dev.mbi.proto.v1.ControlMessage;
import dev.mbi.proto.v1.RunnerMessage;
import dev.mbi.proto.v1.Shutdown;
import dev.mbi.proto.v1.Welcome;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * A whole runner with a given browser, registered and ready with a {@link FakeControlPlane} over
 * real gRPC: for tests of what the runner does with the control plane's messages.
 */
final class ReadyRunner implements AutoCloseable {
    final FakeControlPlane controlPlane;
    final RunnerExecutors executors;
    private final EgressGuard egress;
    private final CompletableFuture<Integer> exit;

    ReadyRunner(String sessionId, BrowserSession browser) throws Exception {
        Welcome welcome = Welcome.newBuilder().setUrl("about:blank").setViewportWidth(800).setViewportHeight(600)
                .setMaxFps(5).setHeartbeatIntervalMs(60_000).build();
        controlPlane = new FakeControlPlane(welcome);
        executors = RunnerExecutors.create();
        RunnerContract contract = new RunnerContract(sessionId, "token", controlPlane.address(), RunnerContract.Settings.defaults());
        EgressGuard started = null;
        try {
            started = EgressGuard.start(contract, executors);
            Runner runner = new Runner(contract, (spec, listener) -> browser, executors, started);
            exit = CompletableFuture.supplyAsync(runner::run, executors.tasks());
            Awaitility.await("ready").atMost(Duration.ofSeconds(20))
                    .until(() -> !controlPlane.received(RunnerMessage.KindCase.READY).isEmpty());
        } catch (Exception | AssertionError e) {
            // A runner that did not get ready leaves no thread behind for the next test.
            closeAll(started);
            throw e;
        }
        egress = started;
    }

    /** Tells the runner to stop, and checks that it ends as asked. */
    void shutDown() throws Exception {
        controlPlane.send(ControlMessage.newBuilder().setShutdown(Shutdown.newBuilder().setReason("test over")).build());
        assertEquals(0, exit.get(20, TimeUnit.SECONDS));
    }

    @Override
    public void close() throws Exception {
        closeAll(egress);
    }

    private void closeAll(EgressGuard guard) throws Exception {
        try (FakeControlPlane closedLast = controlPlane; RunnerExecutors closedSecond = executors) {
            if (guard != null) {
                guard.close();
            }
        }
    }
}
