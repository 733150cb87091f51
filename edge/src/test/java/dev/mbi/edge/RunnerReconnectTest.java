package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Real runners with real Chromium whose link to the control plane goes through a TCP relay that
 * partitions the network on demand: a partition shorter than RUNNER_RECONNECT_WINDOW ends
 * nothing (the runner dials again and the session goes on with the same browser); a longer one
 * ends the session with the reason, and the runner and its Chromium are gone.
 */
@ExtendWith(StackExtension.class)
class RunnerReconnectTest {
    private static PartitionProxy relay;
    private static TestStack stack;
    private static PartitionProxy shortRelay;
    private static TestStack shortWindow;

    @BeforeAll
    static void start(Stacks stacks) throws Exception {
        relay = new PartitionProxy();
        stack = stacks.get(StackConfig.of(Map.of("RUNNER_CONTROL_PLANE_ADDR", "127.0.0.1:" + relay.port(),
                "RUNNER_RECONNECT_WINDOW", "20s", "HEARTBEAT_INTERVAL", "500ms")));
        relay.target(stack.controlPlane.grpcPort());
        shortRelay = new PartitionProxy();
        shortWindow = stacks.get(StackConfig.of(Map.of("RUNNER_CONTROL_PLANE_ADDR", "127.0.0.1:" + shortRelay.port(),
                "RUNNER_RECONNECT_WINDOW", "3s", "HEARTBEAT_INTERVAL", "500ms")));
        shortRelay.target(shortWindow.controlPlane.grpcPort());
    }

    @AfterAll
    static void stop() throws Exception {
        relay.close();
        shortRelay.close();
    }

    private static long runnersOf(String id) {
        return TestStack.runnersOf(id).size();
    }

    private static long browsersOf(String id) {
        return TestStack.browsersOf(id).size();
    }

    /** When the session's runner last registered (first time, or dialing again). */
    private static java.time.Instant registeredAt(String id) {
        return stack.controlPlane.registry().runners().stream().filter(r -> r.sessionId().equals(id))
                .map(r -> r.identity().registeredAt()).findFirst().orElse(java.time.Instant.EPOCH);
    }


    @Test
    void aTenSecondPartitionEndsNothing() throws Exception {
        String id = stack.createSession(stack.site.pageUrl());
        try (ViewerClient viewer = new ViewerClient(stack.wsUrl(id))) {
            stack.awaitStatus(id, "ready", Duration.ofSeconds(30));
            viewer.awaitPixel(1000, 600, ViewerClient::greenish, 15_000);
            long runnerPid = TestStack.runnerPid(id);
            java.time.Instant registered = registeredAt(id);

            relay.partition();
            Thread.sleep(10_000);
            JsonNode during = stack.session(id);
            assertEquals("ready", during.get("status").asText(), "the session ended during the partition: " + during);
            relay.heal();

            // The runner dials again by itself (input sent before then is lost, as on any broken link) ...
            TestStack.await("the runner dialed again", Duration.ofSeconds(20)).until(() -> registeredAt(id).isAfter(registered));
            // ... and it is the same runner and browser, with frames and input as before.
            viewer.send("{\"type\":\"mousedown\",\"x\":100,\"y\":50,\"button\":\"left\"}");
            viewer.send("{\"type\":\"mouseup\",\"x\":100,\"y\":50,\"button\":\"left\"}");
            stack.site.awaitReport("click", 20_000);
            viewer.awaitPixel(1000, 600, ViewerClient::reddish, 10_000);
            assertEquals(runnerPid, TestStack.runnerPid(id), "the same runner carried on");
            assertEquals(1, runnersOf(id));
            assertEquals(1, browsersOf(id), "one Chromium for the session");
            assertEquals("ready", stack.session(id).get("status").asText());
        }
    }

    @Test
    void aPartitionLongerThanTheWindowEndsTheSessionWithItsReasonAndLeavesNothing() throws Exception {
        String id = shortWindow.createSession(shortWindow.site.pageUrl());
        shortWindow.awaitStatus(id, "ready", Duration.ofSeconds(30));
        assertEquals(1, browsersOf(id));
        shortRelay.partition();
        try {
            JsonNode ended = shortWindow.awaitStatus(id, "error", Duration.ofSeconds(15));
            String error = ended.get("error").asText();
            assertTrue(error.contains("lost contact with the runner") && error.contains("did not dial again within 3000 ms"), error);
            TestStack.await("the runner and its Chromium gone", Duration.ofSeconds(10))
                    .until(() -> TestStack.liveProcessesOf(id).isEmpty());
        } finally {
            shortRelay.heal();
        }
        assertEquals(List.of(), TestStack.liveProcessesOf(id));
    }
}
