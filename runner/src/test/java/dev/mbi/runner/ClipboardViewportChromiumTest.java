package dev.mbi.runner;

import static dev.mbi.runner.CdpTestClient.params;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.mbi.contract.RunnerContract;
import dev.mbi.proto.v1.ClipboardText;
import dev.mbi.proto.v1.InputEvent;
import dev.mbi.proto.v1.KeyAction;
import dev.mbi.proto.v1.KeyEvent;
import dev.mbi.proto.v1.MouseButton;
import dev.mbi.proto.v1.PointerAction;
import dev.mbi.proto.v1.PointerEvent;
import dev.mbi.proto.v1.Resize;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The page's clipboard both ways and the viewer-sized viewport, on a real Chromium showing a page
 * served over HTTP (a secure context: 127.0.0.1) that records what it sees.
 */
class ClipboardViewportChromiumTest {
    private static final String CHROMIUM = System.getenv().getOrDefault(RunnerContract.CHROMIUM_PATH,
            RunnerContract.Settings.DEFAULT_CHROMIUM_PATH);
    private static final String PAGE = """
            <!doctype html><title>data paths</title><meta name="viewport" content="width=device-width">
            <style>body{margin:0} .at{position:absolute}</style>
            <input id=field class=at style="left:10px;top:10px;width:200px;height:30px">
            <p id=text class=at style="left:10px;top:60px;margin:0">copy me please</p>
            <button id=copy class=at style="left:10px;top:100px;width:120px;height:40px">copy</button>
            <div id=right class=at style="left:300px;top:200px;width:60px;height:60px;background:#08f"></div>
            <script>
              window.seen = [];
              const field = document.getElementById('field');
              field.addEventListener('paste', e => seen.push('paste:' + e.clipboardData.getData('text/plain')));
              addEventListener('keydown', e => seen.push('key:' + e.key));
              document.getElementById('right').addEventListener('click', () => seen.push('click:right'));
              document.getElementById('copy').addEventListener('click', () => {
                const range = document.createRange();
                range.selectNodeContents(document.getElementById('text'));
                getSelection().removeAllRanges();
                getSelection().addRange(range);
                document.execCommand('copy');
              });
            </script>
            """;

    @TempDir
    static Path work;
    private static HttpServer server;
    private static String url;
    private static RunnerExecutors executors;
    private static BrowserSession browser;
    private static CdpTestClient client;
    private static String session;
    private static final List<String> copied = new CopyOnWriteArrayList<>();
    private static final List<BrowserSession.CapturedFrame> frames = new CopyOnWriteArrayList<>();
    private static final AtomicInteger calls = new AtomicInteger(100);

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Files.isExecutable(Path.of(CHROMIUM)), "Chromium is not installed at " + CHROMIUM);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = PAGE.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        url = "http://127.0.0.1:" + server.getAddress().getPort() + "/";
        executors = RunnerExecutors.create();
        browser = new CdpBrowserFactory(CdpClientsChromiumTest.contract(work), executors, List.of(), TopFrameGuard.NONE)
                .open(new BrowserSession.Spec(url, 1280, 720), new BrowserSession.Listener() {
                    @Override
                    public void onFrame(BrowserSession.CapturedFrame frame) {
                        frames.add(frame);
                    }

                    @Override
                    public void onNavigated(String url, String title) {
                    }

                    @Override
                    public void onFailure(String reason) {
                    }

                    @Override
                    public void onClipboard(String text) {
                        copied.add(text);
                    }
                });
        client = CdpTestClient.open("data-paths", browser.devtools().orElseThrow());
        session = client.attachToPage(1, title -> true);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.close();
        }
        if (executors != null) {
            executors.close();
        }
        if (server != null) {
            server.stop(0);
        }
    }

    @BeforeEach
    void freshPage() {
        evaluate("seen.length = 0; getSelection().removeAllRanges(); document.activeElement && document.activeElement.blur(); 1");
        copied.clear();
    }

    @Test
    void thePagesWriteTextReachesTheListener() {
        evaluate("navigator.clipboard.writeText('from page').then(() => 'ok', e => String(e))");
        awaitCopied("from page");
    }

    @Test
    void aButtonThatCopiesTheSelectionReachesTheListener() throws Exception {
        click(70, 120);
        awaitCopied("copy me please");
    }

    @Test
    void aViewersCtrlCCopiesTheSelection() throws Exception {
        evaluate("const r = document.createRange(); r.selectNodeContents(document.getElementById('text'));"
                + "getSelection().removeAllRanges(); getSelection().addRange(r); 1");
        key("c", "KeyC", 2);
        awaitCopied("copy me please");
    }

    @Test
    void aViewersClipboardIsWhatCtrlVPastes() throws Exception {
        browser.dispatch(InputEvent.newBuilder().setClipboard(ClipboardText.newBuilder().setText("from viewer")).build());
        click(100, 25);
        key("v", "KeyV", 2);
        Awaitility.await("the paste").atMost(Duration.ofSeconds(5))
                .until(() -> evaluate("seen.join('|')").contains("paste:from viewer"));
        assertEquals("from viewer", evaluate("document.getElementById('field').value"));
        // What the runner itself put on the clipboard is not the page's copy.
        assertTrue(copied.isEmpty(), copied.toString());
    }

    @Test
    void theViewportFollowsAPhoneAndComesBack() throws Exception {
        try {
            browser.dispatch(InputEvent.newBuilder().setResize(Resize.newBuilder().setWidth(390).setHeight(844)
                    .setDeviceScaleFactor(3).setMobile(true)).build());
            Awaitility.await("the phone's viewport").atMost(Duration.ofSeconds(5))
                    .until(() -> evaluate("innerWidth + 'x' + innerHeight").equals("390x844"));
            assertEquals(390, browser.viewportWidth());
            assertEquals(844, browser.viewportHeight());
            assertEquals("3", evaluate("String(devicePixelRatio)"));
            assertEquals("true", evaluate("String('ontouchstart' in window || navigator.maxTouchPoints > 0)"));
            assertTrue(evaluate("navigator.userAgent").contains("Mobile"), evaluate("navigator.userAgent"));
            frames.clear();
            Awaitility.await("frames at the phone's size").atMost(Duration.ofSeconds(5)).until(() -> {
                evaluate("document.body.style.background = document.body.style.background ? '' : '#eee'; 1");
                return frames.stream().anyMatch(f -> f.width() == 390 && f.height() == 844);
            });
            browser.captureNow();
            Awaitility.await("a capture at the phone's size").atMost(Duration.ofSeconds(5))
                    .until(() -> !frames.isEmpty() && frames.getLast().width() == 390 && frames.getLast().height() == 844);
            // The blue square at 300..360 x 200..260 CSS pixels, clicked in a 390x844 frame.
            pointer(PointerAction.POINTER_ACTION_DOWN, 330, 230, 390, 844);
            pointer(PointerAction.POINTER_ACTION_UP, 330, 230, 390, 844);
            Awaitility.await("the click on the square").atMost(Duration.ofSeconds(5))
                    .until(() -> evaluate("seen.join('|')").contains("click:right"));
        } finally {
            browser.dispatch(InputEvent.newBuilder().setResize(Resize.newBuilder().setWidth(1280).setHeight(720)).build());
        }
        Awaitility.await("the desktop viewport").atMost(Duration.ofSeconds(5))
                .until(() -> evaluate("innerWidth + 'x' + innerHeight"), "1280x720"::equals);
        assertEquals("1", evaluate("String(devicePixelRatio)"));
        assertTrue(!evaluate("navigator.userAgent").contains("Mobile"), evaluate("navigator.userAgent"));
        assertEquals(1280, browser.viewportWidth());
    }

    @Test
    void aTapRightAfterEachNewPhoneSizeLandsWhereItWasAimed() throws Exception {
        evaluate("addEventListener('mousedown', e => { window.downAt = e.clientX + ',' + e.clientY; }, true); 1");
        try {
            for (int round = 1; round <= 3; round++) {
                evaluate("seen.splice(0); window.downAt = ''; 1");
                browser.dispatch(InputEvent.newBuilder().setResize(Resize.newBuilder().setWidth(390).setHeight(844)
                        .setDeviceScaleFactor(3).setMobile(true)).build());
                Awaitility.await("the phone's viewport").atMost(Duration.ofSeconds(5))
                        .until(() -> evaluate("innerWidth + 'x' + innerHeight").equals("390x844"));
                // At once, as a viewer taps the first frame at its new size: the blue square's middle.
                // (A scaled screenshot of the settled page may be under way: the size and the tap must not
                // land inside it.)
                pointer(PointerAction.POINTER_ACTION_DOWN, 330, 230, 390, 844);
                pointer(PointerAction.POINTER_ACTION_UP, 330, 230, 390, 844);
                int r = round;
                Awaitility.await("round " + r + ": the tap aimed at 330,230").atMost(Duration.ofSeconds(5))
                        .failFast("the tap landed elsewhere", () -> !evaluate("window.downAt").isEmpty()
                                && !evaluate("window.downAt").equals("330,230"))
                        .until(() -> evaluate("seen.join('|')").contains("click:right"));
                browser.dispatch(InputEvent.newBuilder().setResize(Resize.newBuilder().setWidth(1280).setHeight(720)).build());
                Awaitility.await("the desktop viewport").atMost(Duration.ofSeconds(5))
                        .until(() -> evaluate("innerWidth + 'x' + innerHeight"), "1280x720"::equals);
            }
        } catch (org.awaitility.core.ConditionTimeoutException | org.awaitility.core.TerminalFailureException e) {
            throw new AssertionError(e.getMessage() + "; the press landed at " + evaluate("window.downAt"), e);
        } finally {
            browser.dispatch(InputEvent.newBuilder().setResize(Resize.newBuilder().setWidth(1280).setHeight(720)).build());
        }
    }

    @Test
    void aPhoneTapOnAPageLaidOutWiderThanThePhoneLandsOnWhatThePictureShowsThere() throws Exception {
        // A page made for desktops (no viewport tag, or a fixed width) is laid out 980 CSS pixels wide on
        // a phone and shown at ~0.4, as on a real phone.
        evaluate("document.querySelector('meta[name=viewport]').content = 'width=980'; 1");
        try {
            browser.dispatch(InputEvent.newBuilder().setResize(Resize.newBuilder().setWidth(390).setHeight(844)
                    .setDeviceScaleFactor(3).setMobile(true)).build());
            Awaitility.await("the page laid out wide and shown small").atMost(Duration.ofSeconds(5))
                    .until(() -> evaluate("innerWidth + ' ' + visualViewport.scale.toFixed(3)").equals("980 0.398"));
            frames.clear();
            Awaitility.await("frames of the page at its scale").atMost(Duration.ofSeconds(5)).until(() -> {
                evaluate("document.body.style.background = document.body.style.background ? '' : '#eee'; 1");
                return frames.stream().anyMatch(f -> f.width() == 390 && f.height() == 844);
            });
            // The blue square (300..360 x 200..260 CSS pixels) shows at 0.398 of that on the picture.
            double scale = 390.0 / 980;
            evaluate("seen.splice(0); 1");
            pointer(PointerAction.POINTER_ACTION_DOWN, 330 * scale, 230 * scale, 390, 844);
            pointer(PointerAction.POINTER_ACTION_UP, 330 * scale, 230 * scale, 390, 844);
            Awaitility.await("the tap on the square").atMost(Duration.ofSeconds(5))
                    .until(() -> evaluate("seen.join('|')").contains("click:right"));
        } finally {
            evaluate("document.querySelector('meta[name=viewport]').content = 'width=device-width'; 1");
            browser.dispatch(InputEvent.newBuilder().setResize(Resize.newBuilder().setWidth(1280).setHeight(720)).build());
            Awaitility.await("the desktop viewport").atMost(Duration.ofSeconds(5))
                    .until(() -> evaluate("innerWidth + 'x' + innerHeight"), "1280x720"::equals);
        }
    }

    private static void awaitCopied(String text) {
        Awaitility.await("the copy of " + text).atMost(Duration.ofSeconds(5)).until(() -> copied.contains(text));
    }

    private static void click(double x, double y) throws Exception {
        pointer(PointerAction.POINTER_ACTION_DOWN, x, y, 1280, 720);
        pointer(PointerAction.POINTER_ACTION_UP, x, y, 1280, 720);
    }

    private static void pointer(PointerAction action, double x, double y, double frameWidth, double frameHeight) throws Exception {
        browser.dispatch(InputEvent.newBuilder().setPointer(PointerEvent.newBuilder().setAction(action).setX(x).setY(y)
                .setButton(MouseButton.MOUSE_BUTTON_LEFT).setClickCount(1).setFrameWidth(frameWidth).setFrameHeight(frameHeight)).build());
    }

    private static void key(String key, String code, int modifiers) throws Exception {
        browser.dispatch(InputEvent.newBuilder().setKey(KeyEvent.newBuilder().setAction(KeyAction.KEY_ACTION_DOWN)
                .setKey(key).setCode(code).setModifiers(modifiers)).build());
        browser.dispatch(InputEvent.newBuilder().setKey(KeyEvent.newBuilder().setAction(KeyAction.KEY_ACTION_UP)
                .setKey(key).setCode(code).setModifiers(modifiers)).build());
    }

    static String evaluate(String expression) {
        JsonNode answer = client.call(calls.incrementAndGet(), "Runtime.evaluate", params().put("expression", expression)
                .put("returnByValue", true).put("awaitPromise", true), session);
        return answer.path("result").path("result").path("value").asText();
    }
}
