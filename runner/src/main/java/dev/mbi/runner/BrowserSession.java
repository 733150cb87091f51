package dev.mbi.runner;

import dev.mbi.proto.v1.InputEvent;
import java.util.Optional;

/** The browser one runner drives: it shows one page, takes input and produces frames. */
interface BrowserSession extends AutoCloseable {

    /** Injects one input event (pointer, wheel, key, text or navigation). */
    void dispatch(InputEvent event) throws BrowserException;

    /**
     * Captures the viewport now and delivers it as a frame, whatever the screencast last sent:
     * a viewer who just arrived sees the page as it is, not as it was.
     */
    void captureNow() throws BrowserException;

    /** The page's viewport in CSS pixels. */
    int viewportWidth();

    int viewportHeight();

    /** Process ids of the browser and its helpers, for CPU and memory figures. */
    long browserPid();

    /** The automation clients sharing this browser's DevTools connection, where the browser has one. */
    default Optional<CdpClients> devtools() {
        return Optional.empty();
    }

    /** The page's sound, where the browser has a sound server of its own. */
    default Optional<PageAudio> audio() {
        return Optional.empty();
    }

    /** Closes the browser and removes everything it wrote to disk. Safe to call twice. */
    @Override
    void close();

    /** What a browser tells the runner as it happens; called from the browser's threads. */
    interface Listener {
        void onFrame(CapturedFrame frame);

        void onNavigated(String url, String title);

        /** The browser or page is gone for good (crash, exit); the runner must end the session. */
        void onFailure(String reason);

        /** The page put text on the clipboard (a copy, a cut, the clipboard API); policy not yet applied. */
        default void onClipboard(String text) {
        }
    }

    /** One encoded viewport image as the browser produced it. */
    record CapturedFrame(byte[] jpeg, int width, int height, long captureTimeUs) {
    }

    /** How to open a browser for one session. */
    record Spec(String url, int viewportWidth, int viewportHeight, PageOptions options) {
        Spec(String url, int viewportWidth, int viewportHeight) {
            this(url, viewportWidth, viewportHeight, PageOptions.NONE);
        }
    }

    /**
     * How the session's page presents itself; an empty value leaves the browser's own.
     *
     * @param locale   e.g. "de-DE": navigator.language, Accept-Language, number and date formats
     * @param timezone an IANA time zone, e.g. "Europe/Berlin"
     */
    record PageOptions(String userAgent, String locale, String timezone, int maxWidth, int maxHeight) {
        static final PageOptions NONE = new PageOptions("", "", "", 0, 0);

        /** @param userAgent the page's user agent, or empty: the browser's */
        PageOptions(String userAgent, String locale, String timezone) {
            this(userAgent, locale, timezone, 0, 0);
        }
    }

    /** Opens browsers; the seam where another capture path (e.g. a desktop display) plugs in. */
    interface Factory {
        BrowserSession open(Spec spec, Listener listener) throws BrowserException;

        /**
         * Starts a browser before its page is known (while the runner registers), to be opened on
         * a page later. A factory that cannot start early does all the work in {@link Started#open}.
         */
        default Started start(int viewportWidth, int viewportHeight) throws BrowserException {
            return new Started() {
                @Override
                public BrowserSession open(String url, PageOptions options, Listener listener) throws BrowserException {
                    return Factory.this.open(new Spec(url, viewportWidth, viewportHeight, options), listener);
                }

                @Override
                public int viewportWidth() {
                    return viewportWidth;
                }

                @Override
                public int viewportHeight() {
                    return viewportHeight;
                }

                @Override
                public void close() {
                }
            };
        }
    }

    /** A started browser showing nothing yet: opened once on the session's page, or closed. */
    interface Started extends AutoCloseable {
        BrowserSession open(String url, PageOptions options, Listener listener) throws BrowserException;

        /** Downloads, uploads and printing, to start with the session's policy before {@link #open}; none where the browser has none. */
        default Optional<DataPaths> dataPaths() {
            return Optional.empty();
        }

        int viewportWidth();

        int viewportHeight();

        /** Completes when the browser's process has exited (a runner waiting in the warm pool then leaves it). */
        default java.util.concurrent.CompletableFuture<Void> exited() {
            return new java.util.concurrent.CompletableFuture<>();
        }

        /** Ends a browser that was never opened, and removes what it wrote; nothing once opened. */
        @Override
        void close();
    }

    /** The browser could not do what was asked; the message says what and why. */
    final class BrowserException extends Exception {
        BrowserException(String message, Throwable cause) {
            super(message, cause);
        }

        BrowserException(String message) {
            super(message);
        }
    }
}
