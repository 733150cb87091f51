package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.HostConfig;
import dev.mbi.config.Env;
import dev.mbi.controlplane.ControlPlaneConfig;
import dev.mbi.controlplane.launch.docker.DockerLauncher;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The product end to end with RUNNER_LAUNCHER=docker: each session's runner and its Chromium run
 * in a hardened container on a real Docker engine, dial the control plane from there, stream the
 * page served by this test on the bridge's gateway address, and take input.
 */
@ExtendWith(StackExtension.class)
class DockerFullStackTest {
    private static DockerTestEngines.Engine engine;
    private static DockerClient docker;
    private static TestSite site;
    private static TestStack stack;
    private static String controlPlaneId;
    private static Map<String, String> env;

    @BeforeAll
    static void start(Stacks stacks) throws Exception {
        engine = DockerTestEngines.up().getFirst();
        docker = engine.client();
        controlPlaneId = "test-" + UUID.randomUUID().toString().substring(0, 8);
        env = engine.launcherEnv(controlPlaneId, Map.of(
                "MAX_SESSIONS", "3",
                "RUNNER_MEMORY", "768m",
                "RUNNER_CPUS", "1.5",
                "RUNNER_PIDS", "700",
                "RUNNER_SHM_SIZE", "128m"));
        stack = stacks.get(engine.stackConfig(env));
        site = stack.site;
    }

    @AfterAll
    static void stop() throws Exception {
        if (docker != null) {
            docker.close();
        }
    }

    private static Map<String, String> withToken(Map<String, String> env) {
        Map<String, String> all = new java.util.HashMap<>(env);
        all.put("CONTROL_PLANE_TOKEN", dev.mbi.controlplane.testing.TestApi.TOKEN);
        // As the stack's control plane (TestStack): a launcher re-installs the runner network's firewall
        // from its own egress settings, and the stack's runners must still reach the page on this machine.
        all.put("EGRESS_ALLOW_PRIVATE", "true");
        return all;
    }

    private ViewerClient viewer(String id) {
        return new ViewerClient(stack.wsUrl(id));
    }

    @Test
    void anAgentDrivesAContainersBrowserThroughTheEdgeWhileAViewerWatches() throws Exception {
        String id = stack.createSession(site.pageUrl());
        stack.awaitStatus(id, "ready", Duration.ofSeconds(90));
        try (ViewerClient viewer = viewer(id)) {
            viewer.awaitPixel(1000, 600, ViewerClient::greenish, 20_000);
            com.ruiyun.jvppeteer.api.core.Browser browser = AutomationTest.connect(AutomationTest.cdpUrl(stack, id));
            try {
                com.ruiyun.jvppeteer.api.core.Page page = AutomationTest.sessionPage(browser, site.pageUrl());
                assertEquals("test page", page.title());
                page.click("#b");
                site.awaitReport("click", 15_000);
                viewer.awaitPixel(1000, 600, ViewerClient::reddish, 15_000);
                page.goTo(site.url("/noise"));
                try (CdpTestClient second = new CdpTestClient(AutomationTest.cdpUrl(stack, id))) {
                    String pageSession = AutomationTest.attachToPage(second, site.url("/noise"));
                    byte[] png = AutomationTest.noisePageScreenshot(second, pageSession);
                    assertTrue(png.length > 4 * 1024 * 1024, "a full-page screenshot larger than 4 MiB: " + png.length);
                }
            } finally {
                browser.disconnect();
            }
            // Both clients' ends reach the control plane first: a third at once would be one over CDP_MAX_CLIENTS.
            TestStack.await("the clients' disconnections counted", Duration.ofSeconds(10))
                    .until(() -> stack.session(id).get("cdpClients").asInt() == 0);
            try (CdpTestClient agent = new CdpTestClient(AutomationTest.cdpUrl(stack, id))) {
                assertTrue(agent.call("Browser.close").path("error").path("message").asText().contains("refused"));
                assertEquals(204, stack.request("DELETE", "/api/sessions/" + id, null).status());
                assertTrue(agent.awaitClosed(15_000).reason().contains("ended"));
            }
        }
    }

    private static Container containerOf(String sessionId) {
        List<Container> found = DockerTestEngines.containersOf(docker, sessionId);
        assertEquals(1, found.size(), "one container for session " + sessionId + ": " + found);
        return found.getFirst();
    }

    @Test
    void aSessionInAHardenedContainerStreamsThePageTakesInputAndGoesAwayOnDelete() throws Exception {
        String id = stack.createSession(site.pageUrl());
        try (ViewerClient viewer = viewer(id)) {
            JsonNode ready = stack.awaitStatus(id, "ready", Duration.ofSeconds(60));
            assertEquals(engine.name(), ready.get("runnerHost").asText(), ready.toString());
            try {
                viewer.awaitPixel(1000, 600, ViewerClient::greenish, 15_000);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "\nsession: " + stack.session(id) + "\nrunner log:\n"
                        + DockerTestEngines.logs(docker, containerOf(id).getId()), e);
            }
            viewer.send("{\"type\":\"mousedown\",\"x\":200,\"y\":100,\"button\":\"left\"}");
            viewer.send("{\"type\":\"mouseup\",\"x\":200,\"y\":100,\"button\":\"left\"}");
            site.awaitReport("click", 10_000);
            try {
                viewer.awaitPixel(1000, 600, ViewerClient::reddish, 10_000);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "\nsession: " + stack.session(id) + "\nrunner log:\n"
                        + DockerTestEngines.logs(docker, containerOf(id).getId()), e);
            }
        }

        // The container is what the launcher claims: ask the engine, then the kernel inside it.
        Container container = containerOf(id);
        assertEquals("mbi/runner:dev", container.getImage());
        assertEquals(Map.of("dev.mbi.role", "runner", "dev.mbi.control-plane", controlPlaneId, "dev.mbi.session", id,
                "dev.mbi.runner-host", engine.name()), container.getLabels());
        assertTrue(container.getPorts() == null || container.getPorts().length == 0, "a runner publishes no ports");
        InspectContainerResponse inspected = docker.inspectContainerCmd(container.getId()).exec();
        HostConfig hc = inspected.getHostConfig();
        assertEquals("[ALL]", Arrays.toString(hc.getCapDrop()), "every capability dropped");
        assertTrue(hc.getCapAdd() == null || hc.getCapAdd().length == 0, "no capability added");
        assertFalse(Boolean.TRUE.equals(hc.getPrivileged()));
        assertTrue(hc.getReadonlyRootfs(), "read-only root file system");
        assertTrue(hc.getSecurityOpts().contains("no-new-privileges:true"), hc.getSecurityOpts().toString());
        String seccomp = hc.getSecurityOpts().stream().filter(o -> o.startsWith("seccomp=")).findFirst().orElseThrow();
        assertTrue(seccomp.contains("\"defaultAction\"") && seccomp.contains("SCMP_ACT_ERRNO"), "an allow-list profile");
        assertEquals(768L << 20, hc.getMemory());
        assertEquals(1_500_000_000L, hc.getNanoCPUs());
        assertEquals(700L, hc.getPidsLimit());
        assertEquals(128L << 20, hc.getShmSize());
        assertTrue(hc.getTmpFs().containsKey("/tmp"), String.valueOf(hc.getTmpFs()));
        assertEquals("10001:10001", inspected.getConfig().getUser());
        List<String> containerEnv = Arrays.asList(inspected.getConfig().getEnv());
        assertTrue(containerEnv.contains("SESSION_ID=" + id), containerEnv.toString());
        assertTrue(containerEnv.contains("CONTROL_PLANE_ADDR=" + env.get("RUNNER_CONTROL_PLANE_ADDR")), containerEnv.toString());

        String tasks = DockerTestEngines.exec(docker, container.getId(), "sh", "-c", "ls -d /proc/[0-9]*/task/[0-9]* | wc -l").trim();
        System.out.println("session " + id + ": " + tasks + " threads in the runner container (RUNNER_PIDS " + env.get("RUNNER_PIDS") + ")");
        String status = DockerTestEngines.exec(docker, container.getId(), "cat", "/proc/1/status");
        assertTrue(status.matches("(?s).*\\nCapEff:\\s+0000000000000000\\n.*"), status);
        assertTrue(status.matches("(?s).*\\nCapBnd:\\s+0000000000000000\\n.*"), status);
        assertTrue(status.matches("(?s).*\\nNoNewPrivs:\\s+1\\n.*"), status);
        assertTrue(status.matches("(?s).*\\nSeccomp:\\s+2\\n.*"), "seccomp filter mode: " + status);
        assertTrue(status.matches("(?s).*\\nUid:\\s+10001\\s.*"), status);
        String mounts = DockerTestEngines.exec(docker, container.getId(), "sh", "-c",
                "awk '$2==\"/\" {print \"root \" $4} $2==\"/tmp\" {print \"tmp \" $3 \" \" $4}' /proc/mounts; touch /tmp/x && echo tmp-writable");
        assertTrue(mounts.contains("root ro,") && mounts.contains("tmp tmpfs rw,") && mounts.contains("noexec")
                && mounts.contains("tmp-writable"), mounts);
        String unshare = DockerTestEngines.exec(docker, container.getId(), "sh", "-c", "unshare --user true 2>&1; echo rc=$?");
        assertFalse(unshare.contains("rc=0"), "creating a user namespace must be refused: " + unshare);

        long start = System.nanoTime();
        assertEquals(204, stack.request("DELETE", "/api/sessions/" + id, null).status());
        TestStack.await("container removed", Duration.ofSeconds(10)).until(() -> DockerTestEngines.containersOf(docker, id).isEmpty());
        System.out.println("session " + id + ": container removed " + (System.nanoTime() - start) / 1_000_000 + " ms after DELETE");
    }

    @Test
    void aKilledContainerTurnsItsSessionIntoAnError() throws Exception {
        String id = stack.createSession(site.pageUrl());
        stack.awaitStatus(id, "ready", Duration.ofSeconds(60));
        docker.killContainerCmd(containerOf(id).getId()).exec();
        JsonNode failed = stack.awaitStatus(id, "error", Duration.ofSeconds(10));
        assertTrue(failed.get("error").asText().contains("exit code 137")
                || failed.get("error").asText().contains("lost contact with the runner"), failed.toString());
        TestStack.await("killed container removed", Duration.ofSeconds(10)).until(() -> DockerTestEngines.containersOf(docker, id).isEmpty());
    }

    @Test
    void onStartALauncherRemovesRunnersLeftByAnEarlierControlPlaneOnly() throws Exception {
        String mine = createIdle(controlPlaneId, "left-behind-" + UUID.randomUUID());
        String others = createIdle("another-control-plane", "someone-elses-" + UUID.randomUUID());
        ControlPlaneConfig config = ControlPlaneConfig.from(new Env(withToken(env)));
        try {
            try (var executors = dev.mbi.controlplane.ControlPlaneExecutors.create();
                 DockerLauncher launcher = DockerLauncher.start(config.fleet(), config.runner().egress(),
                         config.runnerControlPlaneAddr(), config.reconnectWindow(), executors.work(), executors.timer())) {
                assertEquals(1, launcher.hosts().size());
                assertTrue(launcher.hosts().getFirst().healthy(), launcher.hosts().toString());
            }
            assertTrue(docker.listContainersCmd().withShowAll(true).withIdFilter(List.of(mine)).exec().isEmpty(),
                    "the orphan of this control plane is removed");
            assertEquals(1, docker.listContainersCmd().withShowAll(true).withIdFilter(List.of(others)).exec().size(),
                    "another control plane's runner is left alone");
        } finally {
            docker.removeContainerCmd(others).withForce(true).exec();
        }
    }

    /** A stopped container labelled as a runner of the given control plane (it never runs). */
    private static String createIdle(String owner, String session) {
        String id = docker.createContainerCmd("mbi/runner:dev")
                .withLabels(Map.of("dev.mbi.role", "runner", "dev.mbi.control-plane", owner, "dev.mbi.session", session))
                .exec().getId();
        assertNotNull(id);
        return id;
    }
}
