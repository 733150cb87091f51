package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.TopContainerResponse;
import com.github.dockerjava.api.model.Container;
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
 * CHROMIUM_PATH=/usr/bin/chromium-headless-shell with RUNNER_LAUNCHER=docker: the runner image's
 * headless shell runs in the hardened container (read-only root, the seccomp allow-list, no
 * capabilities) and serves the page as Chromium does.
 */
@ExtendWith(StackExtension.class)
class DockerHeadlessShellTest {
    private static DockerClient docker;
    private static TestSite site;
    private static TestStack stack;

    @BeforeAll
    static void start(Stacks stacks) throws Exception {
        DockerTestEngines.Engine engine = DockerTestEngines.up().getFirst();
        docker = engine.client();
        stack = stacks.get(engine.stackConfig(engine.launcherEnv("test-shell-" + UUID.randomUUID().toString().substring(0, 8),
                Map.of("MAX_SESSIONS", "2", "CHROMIUM_PATH", "/usr/bin/chromium-headless-shell"))));
        site = stack.site;
    }

    @AfterAll
    static void stop() throws Exception {
        if (docker != null) {
            docker.close();
        }
    }

    @Test
    void theImagesHeadlessShellServesASessionInItsContainer() throws Exception {
        String id = stack.createSession(site.pageUrl());
        try (ViewerClient viewer = new ViewerClient(stack.wsUrl(id))) {
            stack.awaitStatus(id, "ready", Duration.ofSeconds(60));
            List<Container> found = DockerTestEngines.containersOf(docker, id);
            assertEquals(1, found.size(), found.toString());
            String container = found.getFirst().getId();
            try {
                viewer.awaitPixel(1000, 600, ViewerClient::greenish, 15_000);
                viewer.send("{\"type\":\"mousedown\",\"x\":200,\"y\":100,\"button\":\"left\"}");
                viewer.send("{\"type\":\"mouseup\",\"x\":200,\"y\":100,\"button\":\"left\"}");
                site.awaitReport("click", 10_000);
                viewer.awaitPixel(1000, 600, ViewerClient::reddish, 10_000);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "\nrunner log:\n" + DockerTestEngines.logs(docker, container), e);
            }
            // The engine runs ps on its host for the container's processes; it needs their pids to pick them.
            TopContainerResponse top = docker.topContainerCmd(container).withPsArgs("-o pid,args").exec();
            List<String> commands = Arrays.stream(top.getProcesses()).map(p -> p[p.length - 1]).toList();
            assertTrue(commands.stream().anyMatch(c -> c.startsWith("/usr/lib/chromium/chromium-headless-shell ")),
                    "the shell's binary runs in the container: " + commands);
            assertFalse(commands.stream().anyMatch(c -> c.startsWith("/usr/lib/chromium/chromium ")),
                    "and not Chromium: " + commands);
        } finally {
            assertEquals(204, stack.request("DELETE", "/api/sessions/" + id, null).status());
        }
    }
}
