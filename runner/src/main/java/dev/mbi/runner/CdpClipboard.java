package dev.mbi.runner;

import com.fasterxml.jackson.databind.JsonNode;
import com.ruiyun.jvppeteer.api.core.CDPSession;
import com.ruiyun.jvppeteer.api.events.ConnectionEvents;
import com.ruiyun.jvppeteer.cdp.events.BindingCalledEvent;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The page's clipboard, both ways, on the runner's DevTools session of the page.
 * <p>
 * Out: a script in every frame reports what the page puts on the clipboard (its copy and cut
 * events, whether the page's handler set the data or the selection was copied, and
 * {@code navigator.clipboard.writeText}/{@code write}) through a binding; the runner decides
 * whether the viewers get it. In: a viewer's text is written to the browser's clipboard from an
 * isolated world (the page's own wrappers do not see it), so the page's paste reads it.
 */
final class CdpClipboard {
    static final String BINDING = "__mbiClipboard";
    private static final String WORLD = "mbi-clipboard";

    /** Runs in the page's main world of every frame; reports each text once, after the page's own handlers. */
    static final String SCRIPT = """
            (() => {
              if (window.__mbiClipboardInstalled) return;
              Object.defineProperty(window, '__mbiClipboardInstalled', {value: true});
              const binding = window.%1$s;
              const report = t => {
                if (typeof t !== 'string' || t.length === 0) return;
                try { (binding || window.%1$s)(t); } catch (e) {}
              };
              const selected = () => {
                const a = document.activeElement;
                if (a && (a.tagName === 'TEXTAREA' || a.tagName === 'INPUT') && typeof a.selectionStart === 'number') {
                  try { return a.value.substring(a.selectionStart, a.selectionEnd); } catch (e) {}
                }
                const s = window.getSelection();
                return s ? s.toString() : '';
              };
              // The event in flight, the selection as it was before any handler, and what a handler set.
              let current = null, selection = '', set = null;
              const setData = DataTransfer.prototype.setData;
              DataTransfer.prototype.setData = function (type, data) {
                if (current && this === current.clipboardData && /^text(\\/plain)?$/i.test(String(type))) set = String(data);
                return setData.apply(this, arguments);
              };
              const done = e => {
                if (current !== e) return;
                current = null;
                // A cancelled copy puts what the handler set; otherwise the browser copies the selection.
                report(e.defaultPrevented ? set : selection);
              };
              const first = e => {
                current = e; selection = selected(); set = null;
                // A handler that stops the event keeps it from our bubbling listener: finish after it.
                setTimeout(() => done(e), 0);
              };
              for (const type of ['copy', 'cut']) {
                window.addEventListener(type, first, true);
                window.addEventListener(type, done, false);
              }
              const c = navigator.clipboard;
              if (c && c.writeText) {
                const writeText = c.writeText;
                c.writeText = function (t) {
                  return writeText.apply(this, arguments).then(v => { report(String(t)); return v; });
                };
              }
              if (c && c.write) {
                const write = c.write;
                c.write = function (items) {
                  return write.apply(this, arguments).then(v => {
                    try {
                      for (const i of items) {
                        if (i.types.includes('text/plain')) i.getType('text/plain').then(b => b.text()).then(report, () => {});
                      }
                    } catch (e) {}
                    return v;
                  });
                };
              }
            })();
            """.formatted(BINDING);

    private final CDPSession cdp;

    CdpClipboard(CDPSession cdp) {
        this.cdp = cdp;
    }

    /**
     * Reports the page's copies to {@code copied} (on the DevTools reader thread: hand off quickly),
     * for the document there now and every one after it.
     */
    void install(Consumer<String> copied) {
        cdp.on(ConnectionEvents.Runtime_bindingCalled, (Consumer<BindingCalledEvent>) event -> {
            if (BINDING.equals(event.getName()) && event.getPayload() != null) {
                copied.accept(event.getPayload());
            }
        });
        // Chromium runs new-document scripts and reports binding calls only to sessions with these domains on.
        cdp.send("Page.enable", new HashMap<>());
        cdp.send("Runtime.enable", new HashMap<>());
        cdp.send("Runtime.addBinding", params("name", BINDING));
        cdp.send("Page.addScriptToEvaluateOnNewDocument", params("source", SCRIPT));
        // The clipboard API wants a focused document: the page the viewers see counts as focused.
        cdp.send("Emulation.setFocusEmulationEnabled", params("enabled", true));
        Map<String, Object> grant = params("permissions", List.of("clipboardReadWrite", "clipboardSanitizedWrite"));
        cdp.connection().send("Browser.grantPermissions", grant);
        Map<String, Object> now = params("expression", SCRIPT);
        cdp.send("Runtime.evaluate", now);
    }

    /** Puts {@code text} on the browser's clipboard, for the page's next paste. */
    void write(String text) {
        JsonNode tree = cdp.send("Page.getFrameTree", new HashMap<>());
        Map<String, Object> world = params("frameId", tree.path("frameTree").path("frame").path("id").asText());
        world.put("worldName", WORLD);
        int context = cdp.send("Page.createIsolatedWorld", world).path("executionContextId").asInt();
        String quoted;
        try {
            quoted = JSON.writeValueAsString(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
        // Pages that are not a secure context have no navigator.clipboard: copy through a copy event there.
        Map<String, Object> evaluate = params("expression", """
                (async t => {
                  if (navigator.clipboard && navigator.clipboard.writeText) { await navigator.clipboard.writeText(t); return 'api'; }
                  const put = e => { e.clipboardData.setData('text/plain', t); e.preventDefault(); e.stopImmediatePropagation(); };
                  window.addEventListener('copy', put, {capture: true, once: true});
                  try { return document.execCommand('copy') ? 'command' : 'refused'; } finally { window.removeEventListener('copy', put, true); }
                })(%s)""".formatted(quoted));
        evaluate.put("contextId", context);
        evaluate.put("awaitPromise", true);
        evaluate.put("userGesture", true);
        evaluate.put("returnByValue", true);
        JsonNode result = cdp.send("Runtime.evaluate", evaluate);
        if (result.has("exceptionDetails")) {
            throw new IllegalStateException("the page's clipboard refused the text: "
                    + result.path("exceptionDetails").path("exception").path("description").asText(
                    result.path("exceptionDetails").path("text").asText()));
        }
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private static Map<String, Object> params(String key, Object value) {
        Map<String, Object> m = new HashMap<>();
        m.put(key, value);
        return m;
    }
}
