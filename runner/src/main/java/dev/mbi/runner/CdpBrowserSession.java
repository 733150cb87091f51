package dev.mbi.runner;

import com.fasterxml.jackson.databind.JsonNode;
import com.ruiyun.jvppeteer.api.core.Browser;
import com.ruiyun.jvppeteer.api.core.CDPSession;
import com.ruiyun.jvppeteer.api.core.Frame;
import com.ruiyun.jvppeteer.api.core.Page;
import com.ruiyun.jvppeteer.api.events.BrowserEvents;
import com.ruiyun.jvppeteer.api.events.ConnectionEvents;
import com.ruiyun.jvppeteer.api.events.PageEvents;
import com.ruiyun.jvppeteer.cdp.entities.FramePayload;
import com.ruiyun.jvppeteer.cdp.entities.WaitForOptions;
import com.ruiyun.jvppeteer.cdp.events.FrameNavigatedEvent;
import com.ruiyun.jvppeteer.cdp.events.RequestPausedEvent;
import com.ruiyun.jvppeteer.cdp.events.ScreencastFrameEvent;
import com.ruiyun.jvppeteer.common.PuppeteerLifeCycle;
import dev.mbi.proto.v1.InputEvent;
import dev.mbi.proto.v1.Navigate;
import dev.mbi.redact.Urls;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One Chromium page driven over CDP: screencast frames out, input in. What the top frame shows
 * passes the session's {@link TopFrameGuard}: {@code file:} loads fail before anything is read,
 * and any page it refuses (or its failed load) is replaced by the guard's page as soon as it commits.
 */
final class CdpBrowserSession implements BrowserSession {
    private static final Logger LOG = Logger.getLogger(CdpBrowserSession.class.getName());
    /** A page that never paints still needs a first frame: take a screenshot after this long. */
    private static final long FIRST_FRAME_GRACE_MS = 1_500;
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private final Browser browser;
    /** Chromium's browser process (jvppeteer, connected over the pipe, does not own it). */
    private final Process process;
    private final Page page;
    private final CDPSession cdp;
    /** The top-frame guard's own DevTools session, apart from the screencast's (its Page and Fetch domains stay out of the frame path). */
    private volatile CDPSession guardCdp;
    private final Path workDir;
    /** The viewport in CSS pixels: the welcome's, then the viewer's screen's ({@link CdpViewport}). */
    private volatile int width;
    private volatile int height;
    /** The emulated device pixel ratio (1 until a viewer's screen says otherwise). */
    private volatile double pixelRatio = 1;
    /** The page's clipboard, both ways. */
    private final CdpClipboard clipboard;
    /** Follows the viewer's screen once the page is open. */
    private volatile CdpViewport viewport;
    /**
     * Held while the page's emulation changes or is relied on: a viewer's new size, a screenshot
     * scaled to CSS pixels (Chromium emulates its scale for the moment of the capture, and a size
     * set meanwhile is lost when it restores its own), and input injection (coordinates map into
     * one viewport, and land under the page's real emulation).
     */
    private final Object emulationLock = new Object();
    /** How long the first pointer event after a new size may wait for Chromium to place pointers right. */
    private static final long POINTER_CHECK_MS = 1_500;
    /** The page's scale in its latest screencast frame (below 1 for a phone-sized page laid out wider): input divides by it. */
    private volatile double pageScale = 1;
    /** Set when the page takes a new size: the next pointer or wheel event is checked first ({@link PointerCheck}). */
    private volatile boolean pointerUnchecked;
    /** How long a scaled screenshot may hold {@link #emulationLock}. */
    private static final int SCALED_CAPTURE_TIMEOUT_MS = 3_000;
    private final java.util.concurrent.ScheduledExecutorService timer;
    /** The session's first page, once opened. */
    private volatile String url = "";
    /** Why the browser failed while it waited to be opened, if it did. */
    private volatile String failedBeforeOpen;
    /** Until the session's page is opened, frames and navigations go nowhere and a failure is kept. */
    private final Listener unopened = new Listener() {
        @Override
        public void onFrame(CapturedFrame frame) {
        }

        @Override
        public void onNavigated(String url, String title) {
        }

        @Override
        public void onFailure(String reason) {
            failedBeforeOpen = reason;
        }
    };
    /** Who hears of frames, navigations and failures. */
    private volatile Listener listener = unopened;
    private final CdpInput input;
    private final TopFrameGuard guard;
    /** Refuses paused file: loads, off the CDP reader thread. */
    private final Executor tasks;
    private final int jpegQuality;
    /** Frame events are decoded and acknowledged here, off the CDP reader thread, in order (a serial lane). */
    private final Executor frameExecutor;
    /**
     * Navigation reports look the title up in the page, which can wait a long time while a new
     * document loads; they run on a serial lane apart from frames so that no frame ever waits behind them.
     */
    private final Executor navigationExecutor;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Captures the viewport once after a burst of frames, in case Chromium dropped the burst's last one. */
    private final SettleCapture settle;
    private final AtomicLong framesSeen = new AtomicLong();
    private volatile int lastFrameWidth;
    private volatile int lastFrameHeight;

    /** The automation clients sharing the DevTools pipe. */
    private final CdpClients devtools;
    /** Downloads, uploads and printing, refused until the runner starts them with the session's policy. */
    private volatile DataPaths dataPaths;
    /** The page's sound, where the session has a sound server. */
    private final Optional<PageAudio> audio;

    private CdpBrowserSession(Browser browser, Process process, Page page, CDPSession cdp, Path workDir, int width, int height,
                              int jpegQuality, RunnerExecutors executors, TopFrameGuard guard, CdpClients devtools,
                              Optional<PageAudio> audio) {
        this.devtools = devtools;
        this.audio = audio;
        this.jpegQuality = jpegQuality;
        this.guard = guard;
        this.tasks = executors.tasks();
        this.timer = executors.timer();
        this.frameExecutor = executors.frames();
        this.navigationExecutor = executors.navigation();
        this.browser = browser;
        this.process = process;
        this.page = page;
        this.cdp = cdp;
        this.workDir = workDir;
        this.width = width;
        this.height = height;
        this.input = new CdpInput(width, height);
        this.clipboard = new CdpClipboard(cdp);
        this.lastFrameWidth = width;
        this.lastFrameHeight = height;
        this.settle = new SettleCapture(this::settleCapture, executors.timer(), executors.tasks(), SettleCapture.QUIET);
    }

    /** Completes when Chromium's browser process has exited, for whatever reason. */
    java.util.concurrent.CompletableFuture<Void> chromiumExited() {
        return process.onExit().thenApply(exited -> null);
    }

    /**
     * Takes Chromium's blank tab for the session: DevTools sessions, the top-frame guard, the
     * watchers. Done while the runner registers (or waits in the warm pool), so that opening the
     * session's page is only the screencast and the navigation.
     *
     * @param process Chromium's browser process, which {@link #close()} ends
     */
    static CdpBrowserSession prepare(Browser browser, Process process, Path workDir, int width, int height, int jpegQuality,
                                     RunnerExecutors executors, TopFrameGuard guard, CdpClients devtools,
                                     Optional<PageAudio> audio) throws BrowserException {
        CdpBrowserSession session = null;
        try {
            List<Page> pages = browser.pages();
            Page page = pages.isEmpty() ? browser.newPage() : pages.get(0);
            CDPSession cdp = page.createCDPSession();
            session = new CdpBrowserSession(browser, process, page, cdp, workDir, width, height, jpegQuality, executors, guard,
                    devtools, audio);
            session.watch();
            session.guardTopFrame();
            session.dataPaths = DataPaths.install(cdp, page, workDir, executors.tasks());
            return session;
        } catch (RuntimeException e) {
            if (session != null) {
                session.close();
            } else {
                ChromiumProcesses.end(process, workDir, audio);
            }
            throw new BrowserException("Chromium could not be prepared: " + e.getMessage(), e);
        }
    }

    /**
     * Opens the session's page: the page options apply, the screencast starts, the page loads, a
     * first frame is there. On about:blank (a session for an agent) nothing loads: the blank tab
     * is the page. Once only.
     */
    BrowserSession open(String firstUrl, PageOptions options, Listener sessionListener) throws BrowserException {
        if (failedBeforeOpen != null) {
            close();
            throw new BrowserException(failedBeforeOpen);
        }
        url = firstUrl;
        listener = sessionListener;
        try {
            applyPageOptions(options);
            followViewer(options);
            startScreencast(jpegQuality);
            if (BLANK.equals(firstUrl)) {
                // The tab shows about:blank already; a blank page may never paint, so capture it now.
                listener.onNavigated(BLANK, "");
                capture(jpegQuality);
            } else {
                openFirstPage();
            }
            ensureFirstFrame(jpegQuality);
            return this;
        } catch (RuntimeException | InterruptedException e) {
            close();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new BrowserException("Chromium could not open the page: " + e.getMessage(), e);
        }
    }

    private void watch() {
        browser.on(BrowserEvents.Disconnected, (Consumer<Object>) ignored -> {
            if (!closed.get()) {
                listener.onFailure("Chromium exited unexpectedly");
            }
        });
        process.onExit().thenRun(() -> {
            if (!closed.get()) {
                listener.onFailure("Chromium exited unexpectedly (exit code " + process.exitValue() + ")");
            }
        });
        page.on(PageEvents.Error, (Consumer<Object>) error -> {
            if (!closed.get()) {
                listener.onFailure("the page crashed");
            }
        });
        page.on(PageEvents.FrameNavigated, (Consumer<Frame>) frame -> {
            // Chromium's own error page is reported (with the address it could not load) by onTopFrameCommitted.
            if (frame.parentFrame() == null && !frame.url().startsWith(CHROME_ERROR)) {
                String url = frame.url();
                navigationExecutor.execute(() -> {
                    if (!closed.get()) {
                        listener.onNavigated(url, titleOrEmpty());
                    }
                });
            }
        });
        cdp.on(ConnectionEvents.Page_screencastFrame, (Consumer<ScreencastFrameEvent>) event -> {
            // Acknowledged the moment it arrives: Chromium drops frames while more than two wait for an ack.
            acknowledge(event);
            settle.frameArrived();
            frameExecutor.execute(() -> onScreencastFrame(event));
        });
    }

    private static final String CHROME_ERROR = "chrome-error:";
    private static final String BLANK = "about:blank";

    /**
     * The session's user agent, locale and time zone, on the runner's own DevTools session of the
     * page (overrides last as long as the session that set them). The control plane checked the
     * values; should Chromium still refuse one, the page keeps the browser's own and the session goes on.
     */
    private void applyPageOptions(PageOptions options) {
        if (!options.userAgent().isEmpty() || !options.locale().isEmpty()) {
            Map<String, Object> params = new HashMap<>();
            // navigator.language follows acceptLanguage, which only comes with a user agent.
            params.put("userAgent", options.userAgent().isEmpty() ? browser.userAgent() : options.userAgent());
            if (!options.locale().isEmpty()) {
                params.put("acceptLanguage", options.locale());
            }
            sendOption("Emulation.setUserAgentOverride", params);
        }
        if (!options.locale().isEmpty()) {
            Map<String, Object> params = new HashMap<>();
            params.put("locale", options.locale());
            sendOption("Emulation.setLocaleOverride", params);
        }
        if (!options.timezone().isEmpty()) {
            Map<String, Object> params = new HashMap<>();
            params.put("timezoneId", options.timezone());
            sendOption("Emulation.setTimezoneOverride", params);
        }
    }

    /** The page's copies go to the listener, and the viewer's screen size may replace the welcome's. */
    private void followViewer(PageOptions options) {
        try {
            clipboard.install(text -> frameExecutor.execute(() -> {
                if (!closed.get()) {
                    listener.onClipboard(text);
                }
            }));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "the page's clipboard is not available: " + e.getMessage(), e);
        }
        viewport = new CdpViewport(cdp, timer, tasks, options.userAgent().isEmpty() ? browser.userAgent() : options.userAgent(),
                options.locale(), !options.userAgent().isEmpty(), options.maxWidth(), options.maxHeight(), emulationLock,
                this::viewportApplied);
    }

    /** The page has the viewer's size: input maps into it, and frames come at it. */
    private void viewportApplied(CdpViewport.Size size) {
        synchronized (emulationLock) {
            width = size.width();
            height = size.height();
            pixelRatio = size.scale();
            input.resize(size.width(), size.height());
        }
        if (closed.get()) {
            return;
        }
        cdp.send("Page.stopScreencast", new HashMap<>());
        startScreencast(jpegQuality);
        settle.frameArrived();
        pointerUnchecked = true;
    }

    private void sendOption(String method, Map<String, Object> params) {
        try {
            cdp.send(method, params);
        } catch (RuntimeException e) {
            LOG.warning(method + " " + params + " was refused by Chromium; the page keeps the browser's own: " + e.getMessage());
        }
    }

    private void guardTopFrame() {
        CDPSession g = page.createCDPSession();
        guardCdp = g;
        g.on(ConnectionEvents.Page_frameNavigated, (Consumer<FrameNavigatedEvent>) event -> {
            FramePayload frame = event.getFrame();
            if (frame != null && frame.getParentId() == null) {
                navigationExecutor.execute(() -> onTopFrameCommitted(frame));
            }
        });
        g.on(ConnectionEvents.Fetch_requestPaused, (Consumer<RequestPausedEvent>) event ->
                tasks.execute(() -> answerPaused(event)));
        g.send("Page.enable", new HashMap<>());
        // Only file: is paused (Fetch sees no chrome:, devtools: or data: loads): it would show this machine's files.
        Map<String, Object> pattern = new HashMap<>();
        pattern.put("urlPattern", "file:*");
        Map<String, Object> params = new HashMap<>();
        params.put("patterns", List.of(pattern));
        g.send("Fetch.enable", params);
    }

    private void onTopFrameCommitted(FramePayload frame) {
        if (closed.get()) {
            return;
        }
        boolean failed = frame.getUnreachableUrl() != null && !frame.getUnreachableUrl().isEmpty();
        String url = failed ? frame.getUnreachableUrl() : frame.getUrl();
        Optional<String> replacement = guard.replacement(url, failed);
        replacement.ifPresent(html -> {
            Map<String, Object> params = new HashMap<>();
            params.put("frameId", frame.getId());
            params.put("html", html);
            try {
                guardCdp.send("Page.setDocumentContent", params);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "could not replace a refused page", e);
            }
        });
        if (failed || replacement.isPresent()) {
            listener.onNavigated(url, titleOrEmpty());
        }
    }

    /** A paused file: load fails unread; the page that replaces Chromium's error says why. */
    private void answerPaused(RequestPausedEvent event) {
        Map<String, Object> params = new HashMap<>();
        params.put("requestId", event.getRequestId());
        params.put("errorReason", "BlockedByClient");
        try {
            guardCdp.send("Fetch.failRequest", params);
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "refusing a file: load failed", e);
        }
    }

    private void startScreencast(int jpegQuality) {
        Map<String, Object> params = new HashMap<>();
        params.put("format", "jpeg");
        params.put("quality", jpegQuality);
        params.put("maxWidth", width);
        params.put("maxHeight", height);
        params.put("everyNthFrame", 1);
        cdp.send("Page.startScreencast", params);
    }

    private void openFirstPage() throws InterruptedException {
        WaitForOptions options = new WaitForOptions();
        options.setTimeout(30_000);
        options.setWaitUntil(List.of(PuppeteerLifeCycle.load));
        try {
            // The page replaces the blank tab's history entry: the session's history starts with its
            // own page, as in a tab opened on it (Back has nowhere to go, nothing of the start shows).
            // (Only http and https: Chromium refuses a page's own navigation to other schemes, which open as before.)
            boolean web = url.startsWith("http://") || url.startsWith("https://");
            Map<String, Object> params = new HashMap<>();
            if (web) {
                params.put("expression", "location.replace(" + JSON.writeValueAsString(url) + ")");
            } else {
                params.put("url", url);
            }
            page.waitForNavigation(options, () -> cdp.send(web ? "Runtime.evaluate" : "Page.navigate", params));
        } catch (com.fasterxml.jackson.core.JsonProcessingException | RuntimeException e) {
            // Like a local browser: a page that fails to load shows Chromium's error page, and the
            // user can still navigate elsewhere. Only a dead browser is fatal.
            if (!browser.connected()) {
                throw new IllegalStateException("Chromium exited while opening " + Urls.withoutUserInfo(url), e);
            }
            LOG.warning("opening " + Urls.withoutUserInfo(url) + " did not finish cleanly: "
                    + Urls.withoutUserInfoIn(e.getMessage()));
        }
    }

    /** Static pages may not paint again after the screencast starts; capture one frame by hand. */
    private void ensureFirstFrame(int jpegQuality) throws InterruptedException {
        long deadline = System.currentTimeMillis() + FIRST_FRAME_GRACE_MS;
        while (framesSeen.get() == 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(25);
        }
        if (framesSeen.get() == 0) {
            capture(jpegQuality);
        }
    }

    @Override
    public void captureNow() throws BrowserException {
        try {
            capture(jpegQuality);
        } catch (RuntimeException e) {
            throw new BrowserException("capturing the viewport failed: " + e.getMessage(), e);
        }
    }

    private void capture(int quality) {
        Map<String, Object> params = new HashMap<>();
        params.put("format", "jpeg");
        params.put("quality", quality);
        JsonNode shot;
        if (pixelRatio == 1) {
            shot = cdp.send("Page.captureScreenshot", params);
        } else {
            synchronized (emulationLock) {
                // Like the screencast's, the picture is in CSS pixels, whatever the viewer's pixel ratio.
                JsonNode visual = cdp.send("Page.getLayoutMetrics", new HashMap<>()).path("cssVisualViewport");
                Map<String, Object> clip = new HashMap<>();
                clip.put("x", visual.path("pageX").asDouble());
                clip.put("y", visual.path("pageY").asDouble());
                clip.put("width", width);
                clip.put("height", height);
                clip.put("scale", 1.0 / pixelRatio);
                params.put("clip", clip);
                shot = cdp.send("Page.captureScreenshot", params, SCALED_CAPTURE_TIMEOUT_MS, true);
            }
        }
        byte[] jpeg = Base64.getDecoder().decode(shot.get("data").asText());
        frameExecutor.execute(() -> emit(jpeg, System.currentTimeMillis() * 1_000));
    }

    /** Chromium stops the screencast after a few frames unless each one is acknowledged. */
    private void acknowledge(ScreencastFrameEvent event) {
        if (closed.get()) {
            return;
        }
        Map<String, Object> ack = new HashMap<>();
        ack.put("sessionId", event.getSessionId());
        try {
            cdp.send("Page.screencastFrameAck", ack, null, false);
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "screencast ack failed", e);
        }
    }

    private void settleCapture() {
        if (closed.get()) {
            return;
        }
        try {
            capture(jpegQuality);
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "capturing the settled page failed", e);
        }
    }

    private void onScreencastFrame(ScreencastFrameEvent event) {
        if (closed.get()) {
            return;
        }
        if (event.getMetadata() != null && event.getMetadata().getPageScaleFactor() > 0) {
            pageScale = event.getMetadata().getPageScaleFactor();
        }
        long captureUs = event.getMetadata() != null && event.getMetadata().getTimestamp() != null
                ? event.getMetadata().getTimestamp().movePointRight(6).longValue()
                : System.currentTimeMillis() * 1_000;
        emit(Base64.getDecoder().decode(event.getData()), captureUs);
    }

    private void emit(byte[] jpeg, long captureUs) {
        if (closed.get()) {
            return;
        }
        int[] size = JpegSize.read(jpeg);
        int frameWidth = size != null ? size[0] : width;
        int frameHeight = size != null ? size[1] : height;
        lastFrameWidth = frameWidth;
        lastFrameHeight = frameHeight;
        framesSeen.incrementAndGet();
        listener.onFrame(new CapturedFrame(jpeg, frameWidth, frameHeight, captureUs));
    }

    @Override
    public void dispatch(InputEvent event) throws BrowserException {
        try {
            switch (event.getKindCase()) {
                case NAVIGATE -> navigate(event.getNavigate());
                case CLIPBOARD -> clipboard.write(event.getClipboard().getText());
                case RESIZE -> {
                    CdpViewport v = viewport;
                    if (v != null) {
                        v.request(event.getResize());
                    }
                }
                case KEY -> {
                    if (isPrintShortcut(event.getKey()) && dataPaths != null) {
                        // Ctrl+P / Cmd+P prints to a PDF download (the policy decides), as window.print() does.
                        if (event.getKey().getAction() == dev.mbi.proto.v1.KeyAction.KEY_ACTION_DOWN) {
                            dataPaths.print();
                        }
                        return;
                    }
                    sendInput(event);
                }
                default -> sendInput(event);
            }
        } catch (RuntimeException e) {
            throw new BrowserException("input " + event.getKindCase() + " failed: " + e.getMessage(), e);
        }
    }

    static boolean isPrintShortcut(dev.mbi.proto.v1.KeyEvent key) {
        int ctrlOrMeta = dev.mbi.input.InputJson.CTRL | dev.mbi.input.InputJson.META;
        return (key.getModifiers() & ctrlOrMeta) != 0 && (key.getModifiers() & dev.mbi.input.InputJson.ALT) == 0
                && key.getKey().equalsIgnoreCase("p");
    }

    private void sendInput(InputEvent event) {
        synchronized (emulationLock) {
            double scale = pageScale;
            input.pageScale(scale);
            if (pointerUnchecked && (event.hasPointer() || event.hasWheel())) {
                pointerUnchecked = false;
                try {
                    // Two screen pixels, in the page's pixels.
                    new PointerCheck(cdp).awaitPlacedRight(input.moveTo(event, lastFrameWidth, lastFrameHeight),
                            2 / Math.min(1, scale), POINTER_CHECK_MS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            for (CdpInput.Command command : input.translate(event, lastFrameWidth, lastFrameHeight)) {
                cdp.send(command.method(), command.params());
            }
        }
    }

    private void navigate(Navigate navigate) {
        switch (navigate.getAction()) {
            case NAVIGATE_ACTION_BACK -> historyStep(-1);
            case NAVIGATE_ACTION_FORWARD -> historyStep(1);
            case NAVIGATE_ACTION_RELOAD -> cdp.send("Page.reload", new HashMap<>());
            default -> {
                Map<String, Object> params = new HashMap<>();
                params.put("url", navigate.getUrl());
                cdp.send("Page.navigate", params);
            }
        }
    }

    private void historyStep(int step) {
        JsonNode history = cdp.send("Page.getNavigationHistory", new HashMap<>());
        int target = history.get("currentIndex").asInt() + step;
        JsonNode entries = history.get("entries");
        if (target < 0 || target >= entries.size()) {
            return;
        }
        Map<String, Object> params = new HashMap<>();
        params.put("entryId", entries.get(target).get("id").asInt());
        cdp.send("Page.navigateToHistoryEntry", params);
    }

    private String titleOrEmpty() {
        try {
            String title = page.title();
            return title == null ? "" : title;
        } catch (Exception e) {
            return "";
        }
    }

    @Override
    public int viewportWidth() {
        return width;
    }

    @Override
    public int viewportHeight() {
        return height;
    }

    @Override
    public long browserPid() {
        return process.pid();
    }

    @Override
    public Optional<CdpClients> devtools() {
        return Optional.of(devtools);
    }

    @Override
    public Optional<PageAudio> audio() {
        return audio;
    }

    /** The session's downloads, uploads and printing. */
    DataPaths dataPaths() {
        return dataPaths;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        settle.close();
        if (dataPaths != null) {
            dataPaths.close();
        }
        CdpViewport v = viewport;
        if (v != null) {
            v.close();
        }
        devtools.closeAll("the session ended");
        ChromiumProcesses.end(process, workDir, audio);
        try {
            browser.disconnect();
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "disconnect after kill", e);
        }
        // Frames and navigation reports still queued on the lanes see the session closed and are dropped.
    }
}
