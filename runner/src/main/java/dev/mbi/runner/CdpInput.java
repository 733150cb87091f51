package dev.mbi.runner;

import dev.mbi.proto.v1.InputEvent;
import dev.mbi.proto.v1.KeyAction;
import dev.mbi.proto.v1.KeyEvent;
import dev.mbi.proto.v1.MouseButton;
import dev.mbi.proto.v1.PointerEvent;
import dev.mbi.proto.v1.WheelEvent;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Translates input events into CDP {@code Input.*} commands. Pointer coordinates arrive in the
 * pixel space of the frames the client sees and leave in the page's CSS pixels (under its page scale).
 * Not thread-safe: one instance per session, fed in order.
 */
final class CdpInput {
    /** CDP modifier bits (same as the wire's). */
    static final int ALT = 1;
    static final int CTRL = 2;
    static final int META = 4;

    /** One CDP command: method and params. Params are a mutable map because the CDP client mutates it. */
    record Command(String method, Map<String, Object> params) {
    }

    private int viewportWidth;
    private int viewportHeight;
    private int pressedButtons;
    private double pageScale = 1;

    CdpInput(int viewportWidth, int viewportHeight) {
        this.viewportWidth = viewportWidth;
        this.viewportHeight = viewportHeight;
    }

    /** The page's viewport changed (it follows the viewer's screen): coordinates map into the new one. */
    void resize(int viewportWidth, int viewportHeight) {
        this.viewportWidth = viewportWidth;
        this.viewportHeight = viewportHeight;
    }

    /**
     * The page's scale (its visual viewport's zoom), as its frames report it. A phone-sized page
     * without a viewport tag is laid out 980 CSS pixels wide and shown at ~0.4: CDP takes pointer
     * coordinates in the page's CSS pixels, so a point on the picture is divided by it.
     */
    void pageScale(double scale) {
        this.pageScale = scale > 0 && Double.isFinite(scale) ? scale : 1;
    }

    /**
     * @param frameWidth  width of the last frame sent to clients, used when the event states none
     * @param frameHeight height of that frame
     * @return the commands to send, in order; empty for navigation (handled by the browser session)
     */
    List<Command> translate(InputEvent event, int frameWidth, int frameHeight) {
        return switch (event.getKindCase()) {
            case POINTER -> List.of(pointer(event.getPointer(), frameWidth, frameHeight));
            case WHEEL -> List.of(wheel(event.getWheel(), frameWidth, frameHeight));
            case KEY -> List.of(key(event.getKey()));
            case TEXT -> event.getText().getText().isEmpty()
                    ? List.of()
                    : List.of(new Command("Input.insertText", params("text", event.getText().getText())));
            case NAVIGATE, CLIPBOARD, RESIZE, KIND_NOT_SET -> List.of();
        };
    }

    private Command pointer(PointerEvent p, int frameWidth, int frameHeight) {
        double x = pageX(p.getX(), p.getFrameWidth(), frameWidth);
        double y = pageY(p.getY(), p.getFrameHeight(), frameHeight);
        int bit = buttonBit(p.getButton());
        String type;
        switch (p.getAction()) {
            case POINTER_ACTION_DOWN -> {
                type = "mousePressed";
                pressedButtons |= bit;
            }
            case POINTER_ACTION_UP -> {
                type = "mouseReleased";
                pressedButtons &= ~bit;
            }
            default -> type = "mouseMoved";
        }
        Map<String, Object> params = params("type", type);
        params.put("x", x);
        params.put("y", y);
        params.put("modifiers", p.getModifiers());
        params.put("buttons", pressedButtons);
        if (type.equals("mouseMoved")) {
            params.put("button", pressedButtons == 0 ? "none" : buttonName(firstPressed()));
        } else {
            params.put("button", buttonName(p.getButton() == MouseButton.MOUSE_BUTTON_NONE ? MouseButton.MOUSE_BUTTON_LEFT : p.getButton()));
            params.put("clickCount", Math.max(1, p.getClickCount()));
        }
        return new Command("Input.dispatchMouseEvent", params);
    }

    /**
     * A mouse move to where a pointer or wheel event aims, with the buttons already held, or null
     * for other events. It changes nothing here: the event itself is still to be translated.
     */
    Command moveTo(InputEvent event, int frameWidth, int frameHeight) {
        double x;
        double y;
        switch (event.getKindCase()) {
            case POINTER -> {
                PointerEvent p = event.getPointer();
                x = pageX(p.getX(), p.getFrameWidth(), frameWidth);
                y = pageY(p.getY(), p.getFrameHeight(), frameHeight);
            }
            case WHEEL -> {
                WheelEvent w = event.getWheel();
                x = pageX(w.getX(), w.getFrameWidth(), frameWidth);
                y = pageY(w.getY(), w.getFrameHeight(), frameHeight);
            }
            default -> {
                return null;
            }
        }
        Map<String, Object> params = params("type", "mouseMoved");
        params.put("x", x);
        params.put("y", y);
        params.put("buttons", pressedButtons);
        params.put("button", pressedButtons == 0 ? "none" : buttonName(firstPressed()));
        return new Command("Input.dispatchMouseEvent", params);
    }

    private Command wheel(WheelEvent w, int frameWidth, int frameHeight) {
        Map<String, Object> params = params("type", "mouseWheel");
        params.put("x", pageX(w.getX(), w.getFrameWidth(), frameWidth));
        params.put("y", pageY(w.getY(), w.getFrameHeight(), frameHeight));
        params.put("deltaX", w.getDeltaX());
        params.put("deltaY", w.getDeltaY());
        params.put("modifiers", w.getModifiers());
        return new Command("Input.dispatchMouseEvent", params);
    }

    private static Command key(KeyEvent k) {
        KeyDefinitions.Key def = KeyDefinitions.lookup(k.getKey(), k.getCode());
        boolean down = k.getAction() != KeyAction.KEY_ACTION_UP;
        // With Ctrl, Alt or Meta held a key is a shortcut (Ctrl+A selects all), so it must not type text.
        boolean shortcut = (k.getModifiers() & (CTRL | ALT | META)) != 0;
        String text = shortcut ? "" : def.text();
        Map<String, Object> params = params("type", down ? (text.isEmpty() ? "rawKeyDown" : "keyDown") : "keyUp");
        params.put("key", def.key());
        params.put("code", def.code());
        params.put("windowsVirtualKeyCode", def.keyCode());
        params.put("nativeVirtualKeyCode", def.keyCode());
        params.put("modifiers", k.getModifiers());
        if (def.location() != 0) {
            params.put("location", def.location());
        }
        if (down && !text.isEmpty()) {
            params.put("text", text);
            params.put("unmodifiedText", text);
        }
        if (down && shortcut) {
            EditingShortcuts.command(def.key(), def.code(), k.getModifiers()).ifPresent(command -> params.put("commands", List.of(command)));
        }
        return new Command("Input.dispatchKeyEvent", params);
    }

    private double pageX(double x, double statedFrameWidth, int lastFrameWidth) {
        return scale(x, statedFrameWidth > 0 ? statedFrameWidth : lastFrameWidth, viewportWidth) / pageScale;
    }

    private double pageY(double y, double statedFrameHeight, int lastFrameHeight) {
        return scale(y, statedFrameHeight > 0 ? statedFrameHeight : lastFrameHeight, viewportHeight) / pageScale;
    }

    /** Maps a coordinate from frame pixels to CSS pixels of the viewport, clamped inside it. */
    static double scale(double value, double frameSize, int viewportSize) {
        double css = frameSize > 0 ? value * viewportSize / frameSize : value;
        return Math.max(0, Math.min(viewportSize - 1, css));
    }

    private int firstPressed() {
        return (pressedButtons & 1) != 0 ? 1 : (pressedButtons & 4) != 0 ? 4 : 2;
    }

    private static int buttonBit(MouseButton b) {
        return switch (b) {
            case MOUSE_BUTTON_RIGHT -> 2;
            case MOUSE_BUTTON_MIDDLE -> 4;
            default -> 1;
        };
    }

    private static String buttonName(MouseButton b) {
        return switch (b) {
            case MOUSE_BUTTON_RIGHT -> "right";
            case MOUSE_BUTTON_MIDDLE -> "middle";
            case MOUSE_BUTTON_LEFT -> "left";
            default -> "none";
        };
    }

    private static String buttonName(int bit) {
        return bit == 2 ? "right" : bit == 4 ? "middle" : "left";
    }

    private static Map<String, Object> params(String key, Object value) {
        Map<String, Object> m = new HashMap<>();
        m.put(key, value);
        return m;
    }
}
