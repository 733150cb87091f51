package dev.mbi.runner;

import com.ruiyun.jvppeteer.api.core.Browser;
import com.ruiyun.jvppeteer.cdp.core.Puppeteer;
import com.ruiyun.jvppeteer.cdp.entities.LaunchOptions;
import com.ruiyun.jvppeteer.cdp.entities.Viewport;
import dev.mbi.contract.RunnerContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/** Starts headless Chromium through jvppeteer (CDP) with a fresh profile that is removed at the end. */
final class CdpBrowserFactory implements BrowserSession.Factory {
    private static final Logger LOG = Logger.getLogger(CdpBrowserFactory.class.getName());
    private static final Path SETPRIV = Path.of("/usr/bin/setpriv");

    /** Flags every runner's Chromium gets; {@link RunnerContract#CHROME_FLAGS} adds to them. */
    static final List<String> BASE_FLAGS = List.of(
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-default-browser-check",
            "--test-type",
            "--hide-scrollbars",
            "--mute-audio",
            "--disable-background-timer-throttling",
            "--disable-renderer-backgrounding",
            "--disable-backgrounding-occluded-windows");

    private final RunnerContract contract;
    private final RunnerContract.Settings settings;
    private final RunnerExecutors executors;

    CdpBrowserFactory(RunnerContract contract, RunnerExecutors executors) {
        this.contract = contract;
        this.settings = contract.settings();
        this.executors = executors;
    }

    @Override
    public BrowserSession open(BrowserSession.Spec spec, BrowserSession.Listener listener)
            throws BrowserSession.BrowserException {
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
            CdpBrowserSession.deleteTree(workDir);
            throw new BrowserSession.BrowserException("Chromium not found at " + settings.chromiumPath()
                    + ": install it (apt-get install chromium) or set " + RunnerContract.CHROMIUM_PATH);
        }
        boolean onDisplay = settings.capture() == RunnerContract.Capture.DESKTOP;
        List<String> args = new ArrayList<>(BASE_FLAGS);
        if (onDisplay) {
            // One full-screen window, nothing else on the display: the capture is the page.
            args.addAll(List.of("--kiosk", "--window-position=0,0", "--disable-infobars"));
        } else {
            args.add("--headless=new");
        }
        args.add("--window-size=" + spec.viewportWidth() + "," + spec.viewportHeight());
        args.addAll(settings.chromeFlags());
        LaunchOptions options = LaunchOptions.builder()
                .executablePath(executable(workDir).toString())
                .headless(!onDisplay)
                .userDataDir(workDir.resolve("profile").toString())
                .args(args)
                .defaultViewport(new Viewport(spec.viewportWidth(), spec.viewportHeight()))
                .timeout(30_000)
                .protocolTimeout(30_000)
                .build();
        Browser browser;
        try {
            browser = Puppeteer.launch(options);
        } catch (IOException | RuntimeException e) {
            CdpBrowserSession.deleteTree(workDir);
            throw new BrowserSession.BrowserException("Chromium did not start: " + e.getMessage(), e);
        }
        return CdpBrowserSession.start(browser, workDir, spec, settings.jpegQuality(), listener, executors);
    }

    /**
     * Chromium must never outlive its runner, even one killed with SIGKILL: where setpriv exists,
     * Chromium is started through it with a parent-death signal, so the kernel ends it with us.
     */
    private Path executable(Path workDir) {
        if (!Files.isExecutable(SETPRIV)) {
            LOG.warning("session " + contract.sessionId() + ": " + SETPRIV
                    + " is missing (util-linux); Chromium may outlive a runner that is killed");
            return Path.of(settings.chromiumPath());
        }
        Path wrapper = workDir.resolve("chromium");
        try {
            Files.writeString(wrapper, "#!/bin/sh\nexec " + SETPRIV + " --pdeathsig KILL -- '"
                    + settings.chromiumPath().replace("'", "'\\''") + "' \"$@\"\n");
            Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwx------"));
            if (!Files.isExecutable(wrapper)) {
                // A noexec work folder (the tmpfs of a runner container): there, the container ends with the runner.
                LOG.fine(() -> "session " + contract.sessionId() + ": " + workDir + " is mounted noexec; starting Chromium directly");
                Files.delete(wrapper);
                return Path.of(settings.chromiumPath());
            }
            return wrapper;
        } catch (IOException e) {
            LOG.warning("session " + contract.sessionId() + ": cannot write the Chromium wrapper: " + e.getMessage());
            return Path.of(settings.chromiumPath());
        }
    }
}
