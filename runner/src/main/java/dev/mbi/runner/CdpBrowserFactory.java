package dev.mbi.runner;

import com.ruiyun.jvppeteer.api.core.Browser;
import com.ruiyun.jvppeteer.cdp.core.Puppeteer;
import com.ruiyun.jvppeteer.cdp.entities.ConnectOptions;
import com.ruiyun.jvppeteer.cdp.entities.TargetType;
import com.ruiyun.jvppeteer.cdp.entities.Viewport;
import dev.mbi.contract.RunnerContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

/**
 * Starts Chromium (headless, or headful on the runner's X display for the desktop capture) with a
 * fresh profile that is removed at the end, and drives it through jvppeteer over the DevTools pipe
 * ({@link ChromiumCommand}, {@link CdpPipe}): Chromium opens no TCP port. Its own output goes to
 * {@value #CHROMIUM_LOG} in the session's work folder.
 */
final class CdpBrowserFactory implements BrowserSession.Factory {
    private static final Logger LOG = Logger.getLogger(CdpBrowserFactory.class.getName());
    private static final Path SETPRIV = Path.of("/usr/bin/setpriv");
    /** Chromium's stdout and stderr, in the session's work folder. */
    static final String CHROMIUM_LOG = "chromium.log";
    /** Where automation clients' downloads land, in the session's work folder. */
    static final String DOWNLOADS = "downloads";
    /** How long Chromium may take to start and show its first tab. */
    private static final int START_TIMEOUT_MS = 30_000;
    /** How long one DevTools command may take. */
    private static final int PROTOCOL_TIMEOUT_MS = 30_000;

    /** Flags every runner's Chromium gets; {@link RunnerContract#CHROME_FLAGS} adds to them. */
    static final List<String> BASE_FLAGS = List.of(
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-pings",
            "--no-first-run",
            "--no-default-browser-check",
            "--test-type",
            "--hide-scrollbars",
            "--disable-background-timer-throttling",
            "--disable-renderer-backgrounding",
            "--disable-backgrounding-occluded-windows");

    private final RunnerContract contract;
    private final RunnerContract.Settings settings;
    private final RunnerExecutors executors;
    private final List<String> egressFlags;
    private final TopFrameGuard guard;

    /**
     * @param egressFlags the flags that send every connection through the runner's egress proxy
     * @param guard       what the top frame may show
     */
    CdpBrowserFactory(RunnerContract contract, RunnerExecutors executors, List<String> egressFlags, TopFrameGuard guard) {
        this.contract = contract;
        this.guard = guard;
        this.settings = contract.settings();
        this.executors = executors;
        this.egressFlags = List.copyOf(egressFlags);
    }

    @Override
    public BrowserSession open(BrowserSession.Spec spec, BrowserSession.Listener listener)
            throws BrowserSession.BrowserException {
        return start(spec.viewportWidth(), spec.viewportHeight()).open(spec.url(), spec.options(), listener);
    }

    /** Starts Chromium on its blank tab and connects to it; the session's page comes later. */
    @Override
    public BrowserSession.Started start(int viewportWidth, int viewportHeight) throws BrowserSession.BrowserException {
        Path base = settings.workDir().orElseGet(() -> Path.of(System.getProperty("java.io.tmpdir")));
        Path workDir;
        try {
            Files.createDirectories(base);
            workDir = Files.createTempDirectory(base, "mbi-runner-" + contract.sessionId() + "-");
        } catch (IOException e) {
            throw new BrowserSession.BrowserException("cannot create a profile folder under " + base + " (set "
                    + RunnerContract.WORK_DIR + " to a writable folder)", e);
        }
        if (!Files.isExecutable(Path.of(settings.chromiumPath()))) {
            ChromiumProcesses.removeFolder(workDir);
            throw new BrowserSession.BrowserException("Chromium not found at " + settings.chromiumPath()
                    + ": install it (apt-get install chromium) or set " + RunnerContract.CHROMIUM_PATH);
        }
        boolean onDisplay = settings.capture() == RunnerContract.Capture.DESKTOP;
        List<String> own = new ArrayList<>(BASE_FLAGS);
        if (onDisplay) {
            // One full-screen window, nothing else on the display: the capture is the page.
            own.addAll(List.of("--kiosk", "--window-position=0,0", "--disable-infobars"));
        }
        own.add("--window-size=" + viewportWidth + "," + viewportHeight);
        own.addAll(egressFlags);
        // The page's sound goes to the session's own sound server, or nowhere.
        Optional<PageAudio> audio = PageAudio.start(contract.sessionId(), contract.soundSocket(),
                System.getenv(RunnerContract.SOUND_SERVER), setpriv());
        if (audio.isEmpty()) {
            own.add("--mute-audio");
        }
        Path executable = ChromiumCommand.executable(Path.of(settings.chromiumPath()));
        List<String> command = ChromiumCommand.command(executable.toString(),
                ChromiumCommand.arguments(!onDisplay, own, settings.chromeFlags(), workDir.resolve("profile")), setpriv());
        Path log = workDir.resolve(CHROMIUM_LOG);
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(log.toFile());
        settings.display().ifPresent(display -> builder.environment().put(RunnerContract.DISPLAY, display));
        if (!executable.toString().equals(settings.chromiumPath())) {
            builder.environment().putAll(ChromiumCommand.NO_GOOGLE_KEYS);
        }
        audio.ifPresent(a -> builder.environment().putAll(a.clientEnvironment()));
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            audio.ifPresent(PageAudio::close);
            ChromiumProcesses.removeFolder(workDir);
            throw new BrowserSession.BrowserException("Chromium did not start: " + e.getMessage(), e);
        }
        CdpPipe pipe = new CdpPipe(process.getInputStream(), process.getOutputStream(), executors.tasks());
        // Automation clients share the pipe; their downloads go to the session's work folder, which goes with it.
        // The data policy is the session's data paths' own, known once they are installed (below).
        java.util.concurrent.atomic.AtomicReference<DataPaths> dataPaths = new java.util.concurrent.atomic.AtomicReference<>();
        CdpClients devtools = new CdpClients(contract.sessionId(), pipe::send, new CdpPolicy(workDir.resolve(DOWNLOADS),
                guard instanceof EgressGuard egress ? egress::policy : null,
                () -> dataPaths.get() == null ? DataPolicy.DENY_ALL : dataPaths.get().policy()));
        pipe.setTap(devtools);
        ConnectOptions options = new ConnectOptions();
        options.setTransport(pipe);
        options.setDefaultViewport(new Viewport(viewportWidth, viewportHeight));
        options.setProtocolTimeout(PROTOCOL_TIMEOUT_MS);
        CdpBrowserSession session = whileChromiumRuns(process, workDir, audio, () -> {
            Browser browser = Puppeteer.connect(options);
            awaitFirstTab(browser);
            return CdpBrowserSession.prepare(browser, process, workDir, viewportWidth, viewportHeight,
                    settings.jpegQuality(), executors, guard, devtools, audio);
        });
        dataPaths.set(session.dataPaths());
        return new StartedChromium(session);
    }

    /** Chromium started, connected and prepared, on its blank tab. */
    private static final class StartedChromium implements BrowserSession.Started {
        private final CdpBrowserSession session;
        private boolean opened;

        StartedChromium(CdpBrowserSession session) {
            this.session = session;
        }

        @Override
        public synchronized BrowserSession open(String url, BrowserSession.PageOptions options, BrowserSession.Listener listener)
                throws BrowserSession.BrowserException {
            if (opened) {
                throw new IllegalStateException("this browser was opened already");
            }
            opened = true;
            return session.open(url, options, listener);
        }

        @Override
        public Optional<DataPaths> dataPaths() {
            return Optional.of(session.dataPaths());
        }

        @Override
        public int viewportWidth() {
            return session.viewportWidth();
        }

        @Override
        public int viewportHeight() {
            return session.viewportHeight();
        }

        @Override
        public CompletableFuture<Void> exited() {
            return session.chromiumExited();
        }

        @Override
        public synchronized void close() {
            if (!opened) {
                opened = true;
                session.close();
            }
        }
    }

    /**
     * Connects to Chromium and prepares its tab, for at most {@value #START_TIMEOUT_MS} ms and only
     * while Chromium runs: jvppeteer's connect can wait for ever on a browser that died under it
     * (for targets that will never attach), so the steps run beside a watch on the process, and
     * whichever ends first decides. On failure Chromium, its helpers and its folder are gone.
     */
    private CdpBrowserSession whileChromiumRuns(Process process, Path workDir, Optional<PageAudio> audio,
                                                Callable<CdpBrowserSession> steps)
            throws BrowserSession.BrowserException {
        CompletableFuture<CdpBrowserSession> prepared = new CompletableFuture<>();
        Thread starter = Thread.ofVirtual().name("chromium-start-" + contract.sessionId()).start(() -> {
            try {
                prepared.complete(steps.call());
            } catch (Throwable e) {
                prepared.completeExceptionally(e);
            }
        });
        Throwable failure;
        try {
            CompletableFuture.anyOf(prepared, process.onExit())
                    .get(START_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            if (prepared.isDone() && !prepared.isCompletedExceptionally()) {
                return prepared.join(); // (if Chromium exits now, the session's own watch sees it)
            }
            failure = prepared.isDone() ? prepared.exceptionNow() : new IllegalStateException(
                    "Chromium exited (exit code " + process.exitValue() + ") before it was ready");
        } catch (TimeoutException e) {
            failure = new IllegalStateException("not ready within " + START_TIMEOUT_MS + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = e;
        } catch (ExecutionException e) {
            failure = e.getCause();
        }
        starter.interrupt();
        prepared.thenAccept(CdpBrowserSession::close); // should the steps still finish
        String output = tail(workDir.resolve(CHROMIUM_LOG));
        ChromiumProcesses.end(process, workDir, audio);
        if (failure instanceof BrowserSession.BrowserException reported) {
            throw reported;
        }
        throw new BrowserSession.BrowserException("Chromium did not start: " + failure.getMessage()
                + (output.isEmpty() ? "" : "; its output ends with: " + output), failure);
    }

    /** The tab Chromium opens (about:blank) is the session's page: waits until jvppeteer knows it. */
    private static void awaitFirstTab(Browser browser) throws InterruptedException {
        while (browser.targets().stream().noneMatch(target -> TargetType.PAGE.equals(target.type()))) {
            Thread.sleep(10);
        }
    }

    /** The end of Chromium's output, for a message about why it did not start. */
    private static String tail(Path log) {
        try {
            String all = Files.readString(log, java.nio.charset.StandardCharsets.UTF_8).strip();
            return all.length() <= 1_000 ? all : "..." + all.substring(all.length() - 1_000);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /**
     * Chromium must never outlive its runner, even one killed with SIGKILL: where setpriv exists,
     * Chromium is started through it with a parent-death signal, so the kernel ends it with us.
     */
    private Optional<Path> setpriv() {
        if (Files.isExecutable(SETPRIV)) {
            return Optional.of(SETPRIV);
        }
        LOG.warning("session " + contract.sessionId() + ": " + SETPRIV
                + " is missing (util-linux); Chromium may outlive a runner that is killed");
        return Optional.empty();
    }
}
