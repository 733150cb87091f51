package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A fleet of two real Docker engines (two dockerd on two sockets, each with its own bridge) plus
 * one that does not answer: placement spreads sessions, honours a drained host, skips the dead
 * one, and the admin API shows it all. Runners on either engine dial the control plane; neither
 * engine publishes a port for them.
 */
@ExtendWith(StackExtension.class)
class DockerFleetTest {
    private static List<DockerTestEngines.Engine> engines;
    private static TestSite site;
    private static TestStack stack;

    @BeforeAll
    static void start(Stacks stacks) throws Exception {
        engines = DockerTestEngines.up();
        Map<String, String> env = DockerTestEngines.fleetEnv(engines, "gone=unix:///run/mbi-test-no-such-engine.sock");
        env.put("MAX_SESSIONS", "6");
        env.put("RUNNER_HOST_CAPACITY", "2");
        env.put("DOCKER_HEALTH_INTERVAL", "500ms");
        env.put("CONTROL_PLANE_ID", "test-" + UUID.randomUUID().toString().substring(0, 8));
        // Engine a's gateway is an address of this machine, so containers on b reach the test page too.
        stack = stacks.get(StackConfig.of(env).siteOn(engines.get(0).gateway()));
        site = stack.site;
    }

    private Map<String, JsonNode> hosts() throws Exception {
        TestStack.Response r = stack.requestAs(TestStack.ADMIN_TOKEN, "GET", "/api/admin/hosts", null);
        assertEquals(200, r.status(), r.body());
        Map<String, JsonNode> byName = new HashMap<>();
        r.json().get("hosts").forEach(h -> byName.put(h.get("name").asText(), h));
        return byName;
    }

    private String readySessionHost(String id) throws Exception {
        return stack.awaitStatus(id, "ready", Duration.ofSeconds(60)).get("runnerHost").asText();
    }

    private void delete(String id) throws Exception {
        assertEquals(204, stack.request("DELETE", "/api/sessions/" + id, null).status());
    }

    @Test
    void placementSpreadsSessionsSkipsTheDeadEngineAndHonoursADrainedHost() throws Exception {
        Map<String, JsonNode> hosts = hosts();
        assertEquals(3, hosts.size(), hosts.toString());
        assertTrue(hosts.get("a").get("healthy").asBoolean(), hosts.toString());
        assertTrue(hosts.get("b").get("healthy").asBoolean(), hosts.toString());
        assertFalse(hosts.get("gone").get("healthy").asBoolean(), hosts.toString());
        assertFalse(hosts.get("gone").get("problem").asText().isBlank(), hosts.toString());
        assertEquals(2, hosts.get("a").get("capacity").asInt());

        // Two sessions land on the two live engines, one each; both runners dial back and stream.
        String s1 = stack.createSession(site.pageUrl());
        String first = readySessionHost(s1);
        String s2 = stack.createSession(site.pageUrl());
        String second = readySessionHost(s2);
        assertNotEquals(first, second, "the second session goes to the emptier engine");
        assertTrue(List.of("a", "b").contains(first) && List.of("a", "b").contains(second), first + ", " + second);
        hosts = hosts();
        assertEquals(1, hosts.get("a").get("sessions").asInt(), hosts.toString());
        assertEquals(1, hosts.get("b").get("sessions").asInt(), hosts.toString());

        // Empty the second engine and drain it: although it has the most room, nothing new goes there.
        delete(s2);
        TestStack.await("the session's place is free again", Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> hosts().get(second).get("sessions").asInt() == 0);
        TestStack.Response drained = stack.requestAs(TestStack.ADMIN_TOKEN, "POST", "/api/admin/hosts/" + second + "/drain", null);
        assertEquals(200, drained.status(), drained.body());
        assertTrue(drained.json().get("drained").asBoolean(), drained.body());
        String s3 = stack.createSession(site.pageUrl());
        assertEquals(first, readySessionHost(s3), "a drained engine takes no new runners");
        assertTrue(hosts().get(second).get("drained").asBoolean());

        // The first engine is full now (2 of 2); with the other drained, a session cannot start.
        String s4 = stack.createSession(site.pageUrl());
        JsonNode refused = stack.awaitStatus(s4, "error", Duration.ofSeconds(10));
        assertTrue(refused.get("error").asText().contains("no runner host can take a runner"), refused.toString());
        assertTrue(refused.get("error").asText().contains(second + " drained"), refused.toString());

        // Undrained, it takes runners again.
        assertEquals(200, stack.requestAs(TestStack.ADMIN_TOKEN, "POST", "/api/admin/hosts/" + second + "/undrain", null).status());
        String s5 = stack.createSession(site.pageUrl());
        assertEquals(second, readySessionHost(s5));

        for (String id : List.of(s1, s3, s5)) {
            delete(id);
        }
        TestStack.await("every runner container removed", Duration.ofSeconds(15)).ignoreExceptions().until(() -> {
            Map<String, JsonNode> now = hosts();
            return now.get("a").get("sessions").asInt() == 0 && now.get("b").get("sessions").asInt() == 0;
        });
    }

    @Test
    void drainingAnUnknownHostIsA404() throws Exception {
        TestStack.Response r = stack.requestAs(TestStack.ADMIN_TOKEN, "POST", "/api/admin/hosts/no-such-host/drain", null);
        assertEquals(404, r.status(), r.body());
        assertEquals("runner host no-such-host not found", r.json().get("error").asText());
    }
}
