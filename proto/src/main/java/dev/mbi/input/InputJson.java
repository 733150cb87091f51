package dev.mbi.input;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mbi.proto.v1.InputEvent;
import dev.mbi.proto.v1.KeyAction;
import dev.mbi.proto.v1.KeyEvent;
import dev.mbi.proto.v1.MouseButton;
import dev.mbi.proto.v1.Navigate;
import dev.mbi.proto.v1.NavigateAction;
import dev.mbi.proto.v1.PointerAction;
import dev.mbi.proto.v1.PointerEvent;
import dev.mbi.proto.v1.TypeText;
import dev.mbi.proto.v1.WheelEvent;
import java.net.URI;
import java.util.Locale;

/**
 * Client input messages (JSON, over the WebSocket or the WebRTC data channel) into wire events. Coordinates are in the pixel
 * space of the frames the client receives; "width"/"height" may state that space explicitly.
 */
public final class InputJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    public static final int ALT = 1;
    public static final int CTRL = 2;
    public static final int META = 4;
    public static final int SHIFT = 8;
    private static final int MAX_TEXT = 10_000;
    /** Clipboard text a viewer may send at all; the session's policy (maxTransferBytes) may allow less. */
    public static final int MAX_CLIPBOARD_CHARS = 1 << 20;
    /** A viewer's screen as it may state it; the runner bounds the page to VIEWPORT_MAX_WIDTH/_HEIGHT. */
    private static final int MAX_SCREEN = 10_000;

    private InputJson() {
    }

    public static InputEvent parse(String text) throws InputException {
        return parse(readObject(text));
    }

    /** A message as a JSON object, for a caller that looks at its type before taking it as input. */
    public static JsonNode readObject(String text) throws InputException {
        JsonNode n;
        try {
            n = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new InputException("input must be a JSON object");
        }
        if (n == null || !n.isObject()) {
            throw new InputException("input must be a JSON object");
        }
        return n;
    }

    /** @param n a JSON object, as {@link #readObject} gives */
    public static InputEvent parse(JsonNode n) throws InputException {
        if (n == null || !n.isObject()) {
            throw new InputException("input must be a JSON object");
        }
        String type = n.path("type").asText("");
        InputEvent.Builder event = InputEvent.newBuilder().setReceivedAtUnixMs(System.currentTimeMillis());
        switch (type) {
            case "mousemove" -> event.setPointer(pointer(n, PointerAction.POINTER_ACTION_MOVE));
            case "mousedown" -> event.setPointer(pointer(n, PointerAction.POINTER_ACTION_DOWN));
            case "mouseup" -> event.setPointer(pointer(n, PointerAction.POINTER_ACTION_UP));
            case "scroll", "wheel" -> event.setWheel(WheelEvent.newBuilder()
                    .setX(number(n, "x", 0))
                    .setY(number(n, "y", 0))
                    .setDeltaX(number(n, "deltaX", 0))
                    .setDeltaY(number(n, "deltaY", 0))
                    .setModifiers(modifiers(n.get("modifiers")))
                    .setFrameWidth(number(n, "width", 0))
                    .setFrameHeight(number(n, "height", 0)));
            case "keydown", "keyup" -> {
                String key = n.path("key").asText("");
                if (key.isEmpty()) {
                    throw new InputException(type + " needs a key, e.g. {\"type\":\"" + type + "\",\"key\":\"Enter\"}");
                }
                event.setKey(KeyEvent.newBuilder()
                        .setAction(type.equals("keydown") ? KeyAction.KEY_ACTION_DOWN : KeyAction.KEY_ACTION_UP)
                        .setKey(key)
                        .setCode(n.path("code").asText(""))
                        .setModifiers(modifiers(n.get("modifiers"))));
            }
            case "type" -> {
                String value = n.path("text").asText("");
                if (value.isEmpty() || value.length() > MAX_TEXT) {
                    throw new InputException("type needs text of 1 to " + MAX_TEXT + " characters");
                }
                event.setText(TypeText.newBuilder().setText(value));
            }
            case "navigate" -> event.setNavigate(navigate(n));
            case "back" -> event.setNavigate(Navigate.newBuilder().setAction(NavigateAction.NAVIGATE_ACTION_BACK));
            case "forward" -> event.setNavigate(Navigate.newBuilder().setAction(NavigateAction.NAVIGATE_ACTION_FORWARD));
            case "reload" -> event.setNavigate(Navigate.newBuilder().setAction(NavigateAction.NAVIGATE_ACTION_RELOAD));
            case "clipboard" -> {
                JsonNode value = n.get("text");
                if (value == null || !value.isTextual() || value.asText().length() > MAX_CLIPBOARD_CHARS) {
                    throw new InputException("clipboard needs text of at most " + MAX_CLIPBOARD_CHARS + " characters");
                }
                event.setClipboard(dev.mbi.proto.v1.ClipboardText.newBuilder().setText(value.asText()));
            }
            case "resize" -> event.setResize(resize(n));
            default -> throw new InputException("unknown input type '" + type + "': use mousemove, mousedown, "
                    + "mouseup, scroll, keydown, keyup, type, navigate, back, forward, reload, clipboard or resize");
        }
        return event.build();
    }

    private static dev.mbi.proto.v1.Resize resize(JsonNode n) throws InputException {
        JsonNode w = n.get("width");
        JsonNode h = n.get("height");
        if (w == null || h == null || !w.isIntegralNumber() || !h.isIntegralNumber()
                || w.asInt() < 1 || h.asInt() < 1 || w.asInt() > MAX_SCREEN || h.asInt() > MAX_SCREEN) {
            throw new InputException("resize needs whole-number width and height of 1 to " + MAX_SCREEN);
        }
        double scale = number(n, "deviceScaleFactor", 1);
        if (!(scale > 0 && scale <= 4)) {
            throw new InputException("resize's deviceScaleFactor must be above 0 and at most 4");
        }
        JsonNode mobile = n.get("mobile");
        if (mobile != null && !mobile.isBoolean()) {
            throw new InputException("resize's mobile must be true or false");
        }
        return dev.mbi.proto.v1.Resize.newBuilder().setWidth(w.asInt()).setHeight(h.asInt()).setDeviceScaleFactor(scale)
                .setMobile(mobile != null && mobile.asBoolean()).build();
    }

    private static PointerEvent pointer(JsonNode n, PointerAction action) throws InputException {
        if (!n.path("x").isNumber() || !n.path("y").isNumber()) {
            throw new InputException(n.path("type").asText() + " needs numeric x and y");
        }
        PointerEvent.Builder p = PointerEvent.newBuilder()
                .setAction(action)
                .setX(n.get("x").asDouble())
                .setY(n.get("y").asDouble())
                .setModifiers(modifiers(n.get("modifiers")))
                .setClickCount((int) number(n, "clickCount", n.path("detail").asInt(1)))
                .setFrameWidth(number(n, "width", 0))
                .setFrameHeight(number(n, "height", 0));
        if (action != PointerAction.POINTER_ACTION_MOVE) {
            p.setButton(button(n.get("button")));
        }
        return p.build();
    }

    private static Navigate navigate(JsonNode n) throws InputException {
        String action = n.path("action").asText("url");
        return switch (action) {
            case "back" -> Navigate.newBuilder().setAction(NavigateAction.NAVIGATE_ACTION_BACK).build();
            case "forward" -> Navigate.newBuilder().setAction(NavigateAction.NAVIGATE_ACTION_FORWARD).build();
            case "reload" -> Navigate.newBuilder().setAction(NavigateAction.NAVIGATE_ACTION_RELOAD).build();
            default -> {
                String url = n.path("url").asText("");
                if (!isWebUrl(url)) {
                    throw new InputException("navigate needs an http or https url");
                }
                yield Navigate.newBuilder().setAction(NavigateAction.NAVIGATE_ACTION_URL).setUrl(url).build();
            }
        };
    }

    public static boolean isWebUrl(String url) {
        try {
            URI uri = new URI(url);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            return (scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null;
        } catch (Exception e) {
            return false;
        }
    }

    /** "left" / "middle" / "right", or the DOM's 0 / 1 / 2. */
    static MouseButton button(JsonNode b) throws InputException {
        if (b == null || b.isNull()) {
            return MouseButton.MOUSE_BUTTON_LEFT;
        }
        String name = b.isNumber() ? switch (b.asInt()) {
            case 0 -> "left";
            case 1 -> "middle";
            case 2 -> "right";
            default -> "?";
        } : b.asText().toLowerCase(Locale.ROOT);
        return switch (name) {
            case "left" -> MouseButton.MOUSE_BUTTON_LEFT;
            case "middle" -> MouseButton.MOUSE_BUTTON_MIDDLE;
            case "right" -> MouseButton.MOUSE_BUTTON_RIGHT;
            default -> throw new InputException("button must be left, middle, right, 0, 1 or 2");
        };
    }

    /** A bit mask (Alt 1, Ctrl 2, Meta 4, Shift 8), {"ctrl":true,...}, or ["ctrl","shift"]. */
    static int modifiers(JsonNode m) {
        if (m == null || m.isNull()) {
            return 0;
        }
        if (m.isInt()) {
            return m.asInt() & 15;
        }
        int mask = 0;
        if (m.isObject()) {
            mask |= bit(m, "alt", "altKey", ALT) | bit(m, "ctrl", "ctrlKey", CTRL)
                    | bit(m, "meta", "metaKey", META) | bit(m, "shift", "shiftKey", SHIFT);
        } else if (m.isArray()) {
            for (JsonNode name : m) {
                mask |= switch (name.asText().toLowerCase(Locale.ROOT)) {
                    case "alt" -> ALT;
                    case "ctrl", "control" -> CTRL;
                    case "meta", "cmd", "command" -> META;
                    case "shift" -> SHIFT;
                    default -> 0;
                };
            }
        }
        return mask;
    }

    private static int bit(JsonNode m, String name, String domName, int bit) {
        return m.path(name).asBoolean(false) || m.path(domName).asBoolean(false) ? bit : 0;
    }

    private static double number(JsonNode n, String field, double defaultValue) {
        JsonNode v = n.get(field);
        return v != null && v.isNumber() ? v.asDouble() : defaultValue;
    }

    /** A message that is not valid input; the text says what would be. */
    public static final class InputException extends Exception {
        public InputException(String message) {
            super(message, null, false, false);
        }
    }
}
