package dev.mbi.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mbi.contract.RunnerContract;
import dev.mbi.proto.v1.InputEvent;
import dev.mbi.proto.v1.Navigate;
import dev.mbi.proto.v1.SessionMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Chromium behind the runner's real egress guard, with the default policy: what the top
 * frame may not show is replaced by the guard's page (its title says which host was refused), and
 * a load that failed for any other reason keeps Chromium's own error page.
 */
class TopFrameGuardTest {
    private static final String CHROMIUM = System.getenv().getOrDefault(RunnerContract.CHROMIUM_PATH,
            RunnerContract.Settings.DEFAULT_CHROMIUM_PATH);

    private record Navigation(String url, String title) {
    }

    @TempDir
    Path work;

    @Test
    void refusedTopLevelPagesShowTheGuardsPageAndAreCountedByRule() throws Exception {
        assumeTrue(Files.isExecutable(Path.of(CHROMIUM)), "Chromium is not installed at " + CHROMIUM);
        Path secret = Files.writeString(work.resolve("secret.html"), "<title>local file</title>top secret");
        RunnerContract.Settings d = RunnerContract.Settings.defaults();
        RunnerContract.Settings settings = new RunnerContract.Settings(CHROMIUM, d.chromeFlags(), d.capture(), d.viewport(),
                d.jpegQuality(), d.logLevel(), d.maxPeersPerSession(), Optional.of(work), Optional.empty(), Optional.empty(),
                d.egress());
        RunnerContract contract = new RunnerContract("guard-test", "token", "localhost:1", settings);
        List<Navigation> navigations = new CopyOnWriteArrayList<>();
        BrowserSession.Listener listener = new BrowserSession.Listener() {
            @Override
            public void onFrame(BrowserSession.CapturedFrame frame) {
            }

            @Override
            public void onNavigated(String url, String title) {
                navigations.add(new Navigation(url, title));
            }

            @Override
            public void onFailure(String reason) {
            }
        };
        try (RunnerExecutors executors = RunnerExecutors.create();
             EgressGuard guard = EgressGuard.start(contract, executors);
             BrowserSession browser = new CdpBrowserFactory(contract, executors, guard.chromiumFlags(), guard)
                     .open(new BrowserSession.Spec("about:blank", 800, 600), listener)) {
            Map<String, String> refused = Map.of(
                    secret.toUri().toString(), "Blocked: file:",
                    "chrome://version/", "Blocked: chrome:",
                    "https://127.0.0.1:8443/", "Blocked: 127.0.0.1",   // a refused tunnel: Chromium's error page, replaced
                    "http://127.0.0.1:8080/", "Blocked: 127.0.0.1");   // plain HTTP: the proxy's own answer
            for (Map.Entry<String, String> r : refused.entrySet()) {
                navigate(browser, r.getKey());
                Navigation shown = Awaitility.await(r.getKey() + " replaced").atMost(Duration.ofSeconds(20))
                        .until(() -> last(navigations, r.getKey()), n -> n != null && r.getValue().equals(n.title()));
                assertFalse(shown.title().contains("secret"), shown.toString());
            }

            assertTrue(navigations.stream().noneMatch(n -> n.title().contains("local file")), "the file was never shown: " + navigations);

            // Not refused by the policy, only unreachable: Chromium's page stays and says so itself.
            navigate(browser, "https://unreachable.invalid/");
            Navigation failed = Awaitility.await("an unreachable host").atMost(Duration.ofSeconds(20))
                    .until(() -> last(navigations, "https://unreachable.invalid/"), n -> n != null);
            assertFalse(failed.title().startsWith("Blocked"), failed.toString());

            SessionMetrics m = guard.addTo(SessionMetrics.getDefaultInstance());
            assertEquals(2L, m.getEgressBlockedByReasonOrDefault("scheme not allowed", 0), m.toString());
            // At least one each for the tunnel and the plain request (Chromium also asks for a favicon, and may retry).
            assertTrue(m.getEgressBlockedByReasonOrDefault("loopback", 0) >= 2, m.toString());
            assertEquals(m.getEgressBlocked(), m.getEgressBlockedByReasonMap().values().stream().mapToLong(Long::longValue).sum());
        }
    }

    private static void navigate(BrowserSession browser, String url) throws BrowserSession.BrowserException {
        browser.dispatch(InputEvent.newBuilder().setNavigate(Navigate.newBuilder().setUrl(url)).build());
    }

    private static Navigation last(List<Navigation> navigations, String url) {
        Navigation found = null;
        for (Navigation n : navigations) {
            if (n.url().equals(url)) {
                found = n;
            }
        }
        return found;
    }
}
