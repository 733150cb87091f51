package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The warm pool on a fleet of two real Docker engines: each engine keeps its own runner container
 * waiting (WARM_POOL_SIZE=1 per host), a session takes one of them, and that engine gets a new
 * one while the other keeps its own.
 */
@ExtendWith(StackExtension.class)
class DockerWarmPoolTest {
    private static final Duration POOL_FILLED = Duration.ofSeconds(60);
    private static List<DockerTestEngines.Engine> engines;
    private static final Map<String, DockerClient> clients = new HashMap<>();
    private static String controlPlaneId;
    private static TestStack stack;

    @BeforeAll
    static void start(Stacks stacks) throws Exception {
        engines = DockerTestEngines.up();
        controlPlaneId = "pool-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> env = DockerTestEngines.fleetEnv(engines, "");
        env.put("MAX_SESSIONS", "4");
        env.put("RUNNER_HOST_CAPACITY", "3");
        env.put("WARM_POOL_SIZE", "1");
        env.put("CONTROL_PLANE_ID", controlPlaneId);
        for (DockerTestEngines.Engine e : engines) {
            clients.put(e.name(), e.client());
        }
        stack = stacks.get(StackConfig.of(env).siteOn(engines.get(0).gateway()));
    }

    @AfterAll
    static void closeClients() throws Exception {
        for (DockerClient c : clients.values()) {
            c.close();
        }
    }

    /** Running runner containers of this control plane on one engine. */
    private static int runners(String engine) {
        return clients.get(engine).listContainersCmd()
                .withLabelFilter(Map.of("dev.mbi.control-plane", controlPlaneId)).exec().size();
    }

    @Test
    void eachEngineKeepsItsOwnWaitingRunnerAndASessionTakesOneThatIsReplacedOnItsEngine() throws Exception {
        TestStack.await("a waiting runner container on each engine", POOL_FILLED)
                .until(() -> runners("a") == 1 && runners("b") == 1);
        // The pooled runners have registered and wait with Chromium started (a claim finds them ready).
        TestStack.await("both pooled runners waiting", POOL_FILLED).until(() -> stack.controlPlane.registry().warmPool().ready() == 2);
        long claimedBefore = stack.controlPlane.registry().warmPool().claims();

        String id = stack.createSession(stack.site.pageUrl());
        String host = stack.awaitStatus(id, "ready", Duration.ofSeconds(30)).get("runnerHost").asText();
        assertTrue(List.of("a", "b").contains(host), host);
        assertEquals(claimedBefore + 1, stack.controlPlane.registry().warmPool().claims(), "the session took a waiting runner");
        String other = host.equals("a") ? "b" : "a";
        // The engine whose runner was taken gets a new one waiting beside the session's; the other keeps its own.
        TestStack.await("the pool refilled on " + host, POOL_FILLED).until(() -> runners(host) == 2);
        assertEquals(1, runners(other), "the other engine's waiting runner is untouched");

        assertEquals(204, stack.request("DELETE", "/api/sessions/" + id, null).status());
        TestStack.await("the session's container removed", Duration.ofSeconds(20)).until(() -> runners(host) == 1);
    }
}
