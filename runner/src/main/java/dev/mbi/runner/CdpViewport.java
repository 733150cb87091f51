package dev.mbi.runner;

import com.ruiyun.jvppeteer.api.core.CDPSession;
import dev.mbi.contract.RunnerContract;
import dev.mbi.proto.v1.Resize;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The page's viewport following the viewer's screen: its size, pixel ratio and, for a phone or
 * tablet, touch and a mobile user agent, emulated on the runner's DevTools session of the page.
 * A window being dragged sends many sizes: only the last one of a burst ({@link #SETTLE_MS}) applies.
 */
final class CdpViewport {
    private static final Logger LOG = Logger.getLogger(CdpViewport.class.getName());
    /** The largest viewport a viewer may ask for unless the welcome says otherwise: frames and encoding grow with it. */
    static final int MAX_WIDTH = 1920;
    static final int MAX_HEIGHT = 1080;
    static final long SETTLE_MS = 150;
    private static final double MAX_SCALE = 4;

    /** A viewport in CSS pixels, with its device pixel ratio. */
    record Size(int width, int height, double scale, boolean mobile) {
    }

    /**
     * The viewer's screen, within {@link RunnerContract.Viewport}'s minimum and the session's
     * maximum (the control plane's VIEWPORT_MAX_WIDTH x VIEWPORT_MAX_HEIGHT; 0: {@link #MAX_WIDTH} x {@link #MAX_HEIGHT}).
     */
    static Size bound(Resize resize, int maxWidth, int maxHeight) {
        int mostWide = maxWidth > 0 ? Math.max(RunnerContract.Viewport.MIN_WIDTH, maxWidth) : MAX_WIDTH;
        int mostHigh = maxHeight > 0 ? Math.max(RunnerContract.Viewport.MIN_HEIGHT, maxHeight) : MAX_HEIGHT;
        int width = Math.clamp(resize.getWidth(), RunnerContract.Viewport.MIN_WIDTH, mostWide);
        int height = Math.clamp(resize.getHeight(), RunnerContract.Viewport.MIN_HEIGHT, mostHigh);
        double scale = resize.getDeviceScaleFactor() > 0 && Double.isFinite(resize.getDeviceScaleFactor())
                ? Math.min(MAX_SCALE, resize.getDeviceScaleFactor()) : 1;
        return new Size(width, height, scale, resize.getMobile());
    }

    private final CDPSession cdp;
    private final ScheduledExecutorService timer;
    private final Executor tasks;
    /** The page's user agent and languages on a desktop (the session's options or the browser's own). */
    private final String desktopUserAgent;
    private final String acceptLanguage;
    /** The session asked for a user agent of its own: a phone viewer does not change it. */
    private final boolean fixedUserAgent;
    private final Consumer<Size> applied;
    /** Held while the page's emulation changes; see {@link #CdpViewport}. */
    private final Object emulationLock;
    private final int maxWidth;
    private final int maxHeight;
    private ScheduledFuture<?> pending;
    private boolean mobileNow;

    /**
     * @param emulationLock held here while the page's emulation changes, and by whoever else changes
     *                      it for a moment or relies on it (a scaled screenshot, input injection)
     * @param applied       told of each size once the page has it (on a task thread), to map input and restart frames
     */
    CdpViewport(CDPSession cdp, ScheduledExecutorService timer, Executor tasks, String desktopUserAgent,
                String acceptLanguage, boolean fixedUserAgent, int maxWidth, int maxHeight, Object emulationLock,
                Consumer<Size> applied) {
        this.emulationLock = emulationLock;
        this.cdp = cdp;
        this.maxWidth = maxWidth;
        this.maxHeight = maxHeight;
        this.timer = timer;
        this.tasks = tasks;
        this.desktopUserAgent = desktopUserAgent;
        this.acceptLanguage = acceptLanguage;
        this.fixedUserAgent = fixedUserAgent;
        this.applied = applied;
    }

    /** Asks for the viewer's size; applied once no other size follows within {@link #SETTLE_MS}. */
    synchronized void request(Resize resize) {
        Size size = bound(resize, maxWidth, maxHeight);
        if (pending != null) {
            pending.cancel(false);
        }
        try {
            pending = timer.schedule(() -> tasks.execute(() -> apply(size)), SETTLE_MS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // the runner is stopping
        }
    }

    private synchronized void apply(Size size) {
        try {
            synchronized (emulationLock) {
                emulate(size);
            }
            applied.accept(size);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "the page could not take the viewer's size " + size, e);
        }
    }

    private void emulate(Size size) {
        Map<String, Object> metrics = new HashMap<>();
        metrics.put("width", size.width());
        metrics.put("height", size.height());
        metrics.put("deviceScaleFactor", size.scale());
        metrics.put("mobile", size.mobile());
        cdp.send("Emulation.setDeviceMetricsOverride", metrics);
        Map<String, Object> touch = new HashMap<>();
        touch.put("enabled", size.mobile());
        if (size.mobile()) {
            touch.put("maxTouchPoints", 5);
        }
        cdp.send("Emulation.setTouchEmulationEnabled", touch);
        if (!fixedUserAgent && size.mobile() != mobileNow) {
            Map<String, Object> agent = new HashMap<>();
            agent.put("userAgent", size.mobile() ? mobileUserAgent(desktopUserAgent) : desktopUserAgent);
            if (!acceptLanguage.isEmpty()) {
                agent.put("acceptLanguage", acceptLanguage);
            }
            if (size.mobile()) {
                agent.put("platform", "Linux armv8l");
            }
            cdp.send("Emulation.setUserAgentOverride", agent);
        }
        mobileNow = size.mobile();
    }

    /** Chrome on Android, of the same version as the browser's own user agent. */
    static String mobileUserAgent(String desktop) {
        java.util.regex.Matcher version = java.util.regex.Pattern.compile("Chrome/(\\d+)").matcher(desktop);
        String major = version.find() ? version.group(1) : "120";
        return "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/" + major
                + ".0.0.0 Mobile Safari/537.36";
    }

    synchronized void close() {
        if (pending != null) {
            pending.cancel(false);
        }
    }
}
