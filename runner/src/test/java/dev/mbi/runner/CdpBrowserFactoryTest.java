package dev.mbi.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mbi.contract.RunnerContract;
import dev.mbi.contract.RunnerContract.Capture;
import dev.mbi.proto.v1.InputEvent;
import dev.mbi.proto.v1.PointerAction;
import dev.mbi.proto.v1.PointerEvent;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Chromium, started as a runner starts it, for both capture paths: it is driven over the
 * DevTools pipe, and neither it nor any of its helper processes listens on a TCP port.
 */
class CdpBrowserFactoryTest {
    private static final String CHROMIUM = System.getenv().getOrDefault(RunnerContract.CHROMIUM_PATH,
            RunnerContract.Settings.DEFAULT_CHROMIUM_PATH);
    private static final String PAGE = "data:text/html,<body style='background:rgb(200,30,30)'><h1>pipe</h1></body>";

    @TempDir
    Path work;

    @Test
    void headlessChromiumIsDrivenOverThePipeAndListensOnNoTcpPort() throws Exception {
        assumeTrue(Files.isExecutable(Path.of(CHROMIUM)), "Chromium is not installed at " + CHROMIUM);
        openAndInspect(settings(Capture.SCREENCAST).inWritableDir(work));
    }

    @Test
    void desktopChromiumOnXvfbIsDrivenOverThePipeAndListensOnNoTcpPort() throws Exception {
        assumeTrue(Files.isExecutable(Path.of(CHROMIUM)), "Chromium is not installed at " + CHROMIUM);
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/Xvfb")), "Xvfb is not installed");
        Process xvfb = new ProcessBuilder("/usr/bin/Xvfb", "-displayfd", "1", "-screen", "0", "1280x720x24", "-nolisten", "tcp")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            String display = new BufferedReader(new InputStreamReader(xvfb.getInputStream(), StandardCharsets.UTF_8)).readLine();
            assertTrue(display != null && display.trim().matches("\\d+"), "Xvfb said " + display);
            openAndInspect(settings(Capture.DESKTOP).inWritableDir(work).onDisplay(":" + display.trim()));
        } finally {
            xvfb.destroyForcibly();
            xvfb.waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void theListenerCheckFindsAListeningSocket() throws Exception {
        // The check below is only worth something if it sees a port that is listening.
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            long self = ProcessHandle.current().pid();
            assertTrue(listeningPorts(List.of(self)).contains(server.getLocalPort()), "the test's own listener is seen");
        }
    }

    /**
     * Chromium killed at any moment of its start (before its pipe answers, while the first tab
     * opens, while the tab is prepared, or just after): the start fails or the started browser
     * reports its exit, within seconds. A start that waited instead would hold a warm-pool runner
     * (and the session that claims it) on a dead browser.
     */
    @Test
    void chromiumKilledAtAnyMomentOfItsStartEndsTheStartPromptly() throws Exception {
        assumeTrue(Files.isExecutable(Path.of(CHROMIUM)), "Chromium is not installed at " + CHROMIUM);
        List<String> outcomes = new ArrayList<>();
        try (RunnerExecutors executors = RunnerExecutors.create()) {
            for (int delayMs : new int[] {0, 20, 50, 100, 200, 300, 400, 500, 550, 600, 650, 700, 800, 1000}) {
                String id = "killed-at-" + delayMs;
                RunnerContract contract = new RunnerContract(id, "token", "localhost:1", settings(Capture.SCREENCAST).inWritableDir(work));
                CompletableFuture<BrowserSession.Started> start = CompletableFuture.supplyAsync(() -> {
                    try {
                        return new CdpBrowserFactory(contract, executors, List.of(), TopFrameGuard.NONE).start(800, 600);
                    } catch (BrowserSession.BrowserException e) {
                        throw new CompletionException(e);
                    }
                });
                ProcessHandle chromium = Awaitility.await("Chromium started for " + id).atMost(Duration.ofSeconds(10))
                        .pollInterval(Duration.ofMillis(2)).until(() -> ProcessHandle.current().children()
                                .filter(p -> p.info().commandLine().orElse("").contains(id)).findFirst(), Optional::isPresent).orElseThrow();
                Thread.sleep(delayMs);
                chromium.destroyForcibly();
                String outcome;
                try {
                    BrowserSession.Started started = start.get(10, TimeUnit.SECONDS);
                    started.exited().get(10, TimeUnit.SECONDS);
                    started.close();
                    outcome = delayMs + " ms: started, then its exit was seen";
                } catch (ExecutionException e) {
                    assertTrue(e.getCause() instanceof BrowserSession.BrowserException, "killed at " + delayMs + " ms: " + e.getCause());
                    outcome = delayMs + " ms: the start failed (" + e.getCause().getMessage() + ")";
                } catch (TimeoutException e) {
                    throw new AssertionError("Chromium killed " + delayMs + " ms into its start: the start neither failed nor"
                            + " reported the exit within 10 s; so far: " + outcomes);
                }
                outcomes.add(outcome);
            }
        }
        try (Stream<Path> left = Files.list(work)) {
            assertEquals(List.of(), left.toList(), "no profile is left behind: " + outcomes);
        }
    }

    private static RunnerContract.Settings settings(Capture capture) {
        RunnerContract.Settings d = RunnerContract.Settings.defaults();
        return new RunnerContract.Settings(CHROMIUM, d.chromeFlags(), capture, d.viewport(), d.jpegQuality(),
                d.logLevel(), d.maxPeersPerSession(), Optional.empty(), Optional.empty(), Optional.empty(), d.egress());
    }

    private void openAndInspect(RunnerContract.Settings settings) throws Exception {
        List<BrowserSession.CapturedFrame> frames = new CopyOnWriteArrayList<>();
        List<String> failures = new CopyOnWriteArrayList<>();
        BrowserSession.Listener listener = new BrowserSession.Listener() {
            @Override
            public void onFrame(BrowserSession.CapturedFrame frame) {
                frames.add(frame);
            }

            @Override
            public void onNavigated(String url, String title) {
            }

            @Override
            public void onFailure(String reason) {
                failures.add(reason);
            }
        };
        RunnerContract contract = new RunnerContract("pipe-test", "token", "localhost:1", settings);
        try (RunnerExecutors executors = RunnerExecutors.create()) {
            BrowserSession browser = new CdpBrowserFactory(contract, executors, List.of(), TopFrameGuard.NONE)
                    .open(new BrowserSession.Spec(PAGE, 800, 600), listener);
            long pid = browser.browserPid();
            ProcessHandle chromium = ProcessHandle.of(pid).orElseThrow();
            try {
                Awaitility.await("a first frame").atMost(Duration.ofSeconds(20)).until(() -> !frames.isEmpty());
                browser.dispatch(InputEvent.newBuilder().setPointer(PointerEvent.newBuilder()
                        .setAction(PointerAction.POINTER_ACTION_MOVE).setX(10).setY(10)).build());
                browser.captureNow();

                List<String> cmdline = cmdline(pid);
                assertTrue(cmdline.contains(ChromiumCommand.PIPE_FLAG), "DevTools over the pipe: " + cmdline);
                assertTrue(cmdline.stream().noneMatch(a -> a.startsWith("--remote-debugging-port")), String.valueOf(cmdline));
                assertTrue(cmdline.get(0).contains("chromium"), "the runner's child is Chromium itself: " + cmdline);

                List<Long> tree = new ArrayList<>();
                tree.add(pid);
                chromium.descendants().forEach(p -> tree.add(p.pid()));
                assertTrue(tree.size() > 1, "Chromium runs helper processes: " + tree);
                assertEquals(Set.of(), listeningPorts(tree), "TCP ports Chromium listens on");
                assertEquals(List.of(), failures);
            } finally {
                browser.close();
            }
            assertFalse(chromium.isAlive(), "Chromium ends with the session");
            try (Stream<Path> left = Files.list(work)) {
                assertEquals(List.of(), left.toList(), "the profile is removed");
            }
        }
    }

    private static List<String> cmdline(long pid) throws IOException {
        String raw = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8);
        return Arrays.asList(raw.split("\0"));
    }

    private static final Pattern SOCKET = Pattern.compile("socket:\\[(\\d+)]");

    /** TCP ports (IPv4 and IPv6) in the LISTEN state whose sockets the processes hold open. */
    static Set<Integer> listeningPorts(List<Long> pids) throws IOException {
        Set<String> inodes = new HashSet<>();
        for (long pid : pids) {
            Path fds = Path.of("/proc", Long.toString(pid), "fd");
            List<Path> links;
            try (Stream<Path> list = Files.list(fds)) {
                links = list.toList();
            } catch (IOException e) {
                continue; // the process ended meanwhile
            }
            for (Path fd : links) {
                try {
                    Matcher m = SOCKET.matcher(Files.readSymbolicLink(fd).toString());
                    if (m.matches()) {
                        inodes.add(m.group(1));
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        Set<Integer> ports = new HashSet<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path path = Path.of(table);
            if (!Files.exists(path)) {
                continue;
            }
            for (String line : Files.readAllLines(path).subList(1, Files.readAllLines(path).size())) {
                // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
                String[] f = line.trim().split("\\s+");
                if (f.length > 9 && f[3].equals("0A") && inodes.contains(f[9])) {
                    ports.add(Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16));
                }
            }
        }
        return ports;
    }
}
