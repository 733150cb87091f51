package dev.mbi.runner;

import com.fasterxml.jackson.databind.JsonNode;
import com.ruiyun.jvppeteer.api.core.CDPSession;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Waits until Chromium places DevTools pointer events where they are aimed. For a few hundred
 * milliseconds after the page takes a new device scale factor (a phone viewer's) Chromium's
 * browser process can scale dispatched pointer events by a page scale the page no longer has (a
 * tap aimed at 195,422 lands at 65,140): the page is right, the injection is not, and a viewer's
 * first tap would hit another element.
 *
 * <p>The check is a mouse move to the point the next event aims at (the move a real pointer makes
 * before it presses), seen from an isolated world the page's scripts cannot reach or fake.
 */
final class PointerCheck {
    private static final Logger LOG = Logger.getLogger(PointerCheck.class.getName());
    private static final String WORLD = "mbi-pointer-check";
    private static final long INTERVAL_MS = 40;
    /** A move the main frame never sees (an iframe under the point) says nothing: input goes on after this many. */
    private static final int MOST_UNSEEN = 2;

    private final CDPSession cdp;

    PointerCheck(CDPSession cdp) {
        this.cdp = cdp;
    }

    /**
     * Sends {@code move} until the page sees it where it was aimed (within {@code tolerance} CSS
     * pixels: the page reports whole pixels, and a page shown small rounds coarser), for at most {@code maxMs}.
     *
     * @return how many moves it took; 0 when the page could not say or never saw it right (input goes on regardless)
     */
    int awaitPlacedRight(CdpInput.Command move, double tolerance, long maxMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxMs);
        double x = ((Number) move.params().get("x")).doubleValue();
        double y = ((Number) move.params().get("y")).doubleValue();
        try {
            int context = isolatedWorld();
            int unseen = 0;
            for (int attempt = 1; ; attempt++) {
                evaluate(context, "globalThis.seenAt = null; addEventListener('mousemove',"
                        + " e => { globalThis.seenAt = [e.clientX, e.clientY]; }, {once: true, capture: true}); 0");
                cdp.send(move.method(), new HashMap<>(move.params()));
                JsonNode seen = evaluate(context, "globalThis.seenAt");
                if (!seen.isArray()) {
                    if (++unseen >= MOST_UNSEEN) {
                        return 0;
                    }
                } else if (Math.abs(seen.get(0).asDouble() - x) <= tolerance && Math.abs(seen.get(1).asDouble() - y) <= tolerance) {
                    if (attempt > 1) {
                        LOG.info("Chromium placed a pointer aimed at " + x + "," + y + " right after " + attempt + " moves");
                    }
                    return attempt;
                } else if (attempt == 1) {
                    LOG.info("Chromium places a pointer aimed at " + x + "," + y + " at " + seen + " after a new size; waiting");
                }
                if (System.nanoTime() - deadline > 0) {
                    LOG.warning("Chromium still places a pointer aimed at " + x + "," + y + " at " + seen + " "
                            + maxMs + " ms after the page took a new size; input goes on");
                    return 0;
                }
                Thread.sleep(INTERVAL_MS);
            }
        } catch (RuntimeException e) {
            // A page in the middle of a navigation has no world to ask: nothing to wait for.
            LOG.log(Level.FINE, "the pointer check could not run", e);
            return 0;
        }
    }

    private int isolatedWorld() {
        JsonNode tree = cdp.send("Page.getFrameTree", new HashMap<>());
        Map<String, Object> world = new HashMap<>();
        world.put("frameId", tree.path("frameTree").path("frame").path("id").asText());
        world.put("worldName", WORLD);
        return cdp.send("Page.createIsolatedWorld", world).path("executionContextId").asInt();
    }

    private JsonNode evaluate(int context, String expression) {
        Map<String, Object> params = new HashMap<>();
        params.put("contextId", context);
        params.put("expression", expression);
        params.put("returnByValue", true);
        return cdp.send("Runtime.evaluate", params).path("result").path("value");
    }
}
