package dev.mbi.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.mbi.proto.v1.InputEvent;
import dev.mbi.proto.v1.KeyAction;
import dev.mbi.proto.v1.KeyEvent;
import dev.mbi.proto.v1.MouseButton;
import dev.mbi.proto.v1.PointerAction;
import dev.mbi.proto.v1.PointerEvent;
import dev.mbi.proto.v1.TypeText;
import dev.mbi.proto.v1.WheelEvent;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CdpInputTest {
    private final CdpInput input = new CdpInput(1280, 720);

    private static InputEvent pointer(PointerAction action, double x, double y, MouseButton button, double fw, double fh) {
        return InputEvent.newBuilder().setPointer(PointerEvent.newBuilder()
                .setAction(action).setX(x).setY(y).setButton(button).setFrameWidth(fw).setFrameHeight(fh)).build();
    }

    @Test
    void theCentreOfAnyFrameIsTheCentreOfThePage() {
        Map<String, Object> small = input.translate(
                pointer(PointerAction.POINTER_ACTION_MOVE, 320, 180, MouseButton.MOUSE_BUTTON_NONE, 640, 360), 1280, 720)
                .get(0).params();
        assertEquals(640.0, small.get("x"));
        assertEquals(360.0, small.get("y"));
        // Without a stated frame size the size of the last frame sent is used.
        Map<String, Object> implicit = input.translate(
                pointer(PointerAction.POINTER_ACTION_MOVE, 480, 270, MouseButton.MOUSE_BUTTON_NONE, 0, 0), 960, 540)
                .get(0).params();
        assertEquals(640.0, implicit.get("x"));
        assertEquals(360.0, implicit.get("y"));
    }

    @Test
    void aMoveToWherePressOrWheelAimsChangesNothingItself() {
        InputEvent press = pointer(PointerAction.POINTER_ACTION_DOWN, 195, 422, MouseButton.MOUSE_BUTTON_LEFT, 390, 844);
        input.resize(390, 844);
        Map<String, Object> move = input.moveTo(press, 390, 844).params();
        assertEquals(Map.of("type", "mouseMoved", "x", 195.0, "y", 422.0, "buttons", 0, "button", "none"), move);
        // The press itself still presses: the move held no button down.
        Map<String, Object> down = input.translate(press, 390, 844).get(0).params();
        assertEquals("mousePressed", down.get("type"));
        assertEquals(1, down.get("buttons"));
        // A drag's move carries the button held.
        Map<String, Object> drag = input.moveTo(pointer(PointerAction.POINTER_ACTION_MOVE, 39, 84.4, MouseButton.MOUSE_BUTTON_NONE, 39, 84.4), 390, 844).params();
        assertEquals(389.0, drag.get("x"));
        assertEquals(1, drag.get("buttons"));
        assertEquals("left", drag.get("button"));
        InputEvent wheel = InputEvent.newBuilder().setWheel(WheelEvent.newBuilder().setX(100).setY(200).setDeltaY(50)).build();
        assertEquals(100.0, input.moveTo(wheel, 390, 844).params().get("x"));
        assertEquals(null, input.moveTo(InputEvent.newBuilder().setText(TypeText.newBuilder().setText("a")).build(), 390, 844));
    }

    @Test
    void aPageShownAtAScaleTakesPointsInItsOwnCssPixels() {
        // A phone-sized page without a viewport tag: laid out 980 wide, shown at 390/980.
        input.resize(390, 844);
        input.pageScale(390.0 / 980);
        Map<String, Object> tap = input.translate(
                pointer(PointerAction.POINTER_ACTION_DOWN, 195, 422, MouseButton.MOUSE_BUTTON_LEFT, 390, 844), 390, 844).get(0).params();
        assertEquals(490.0, (double) tap.get("x"), 1e-9);
        assertEquals(422 * 980 / 390.0, (double) tap.get("y"), 1e-9);
        InputEvent wheel = InputEvent.newBuilder().setWheel(WheelEvent.newBuilder().setX(390).setY(0).setFrameWidth(390).setFrameHeight(844)).build();
        assertEquals(389 * 980 / 390.0, (double) input.translate(wheel, 390, 844).get(0).params().get("x"), 1e-9);
        // A scale nobody could have (none reported, or nonsense) maps as 1.
        input.pageScale(0);
        assertEquals(195.0, input.moveTo(pointer(PointerAction.POINTER_ACTION_MOVE, 195, 422, MouseButton.MOUSE_BUTTON_NONE, 390, 844), 390, 844).params().get("x"));
        input.pageScale(Double.NaN);
        assertEquals(195.0, input.moveTo(pointer(PointerAction.POINTER_ACTION_MOVE, 195, 422, MouseButton.MOUSE_BUTTON_NONE, 390, 844), 390, 844).params().get("x"));
    }

    @Test
    void coordinatesOutsideTheFrameAreClampedIntoThePage() {
        Map<String, Object> p = input.translate(
                pointer(PointerAction.POINTER_ACTION_MOVE, -50, 5000, MouseButton.MOUSE_BUTTON_NONE, 1280, 720), 1280, 720)
                .get(0).params();
        assertEquals(0.0, p.get("x"));
        assertEquals(719.0, p.get("y"));
    }

    @Test
    void pressAndReleaseCarryTheButtonAndTheButtonsHeld() {
        Map<String, Object> down = input.translate(
                pointer(PointerAction.POINTER_ACTION_DOWN, 10, 10, MouseButton.MOUSE_BUTTON_RIGHT, 1280, 720), 1280, 720)
                .get(0).params();
        assertEquals("mousePressed", down.get("type"));
        assertEquals("right", down.get("button"));
        assertEquals(2, down.get("buttons"));
        assertEquals(1, down.get("clickCount"));
        Map<String, Object> drag = input.translate(
                pointer(PointerAction.POINTER_ACTION_MOVE, 20, 20, MouseButton.MOUSE_BUTTON_NONE, 1280, 720), 1280, 720)
                .get(0).params();
        assertEquals("right", drag.get("button"));
        Map<String, Object> up = input.translate(
                pointer(PointerAction.POINTER_ACTION_UP, 20, 20, MouseButton.MOUSE_BUTTON_RIGHT, 1280, 720), 1280, 720)
                .get(0).params();
        assertEquals("mouseReleased", up.get("type"));
        assertEquals(0, up.get("buttons"));
    }

    @Test
    void enterPressesEnterItDoesNotTypeTheWord() {
        Map<String, Object> p = key(KeyAction.KEY_ACTION_DOWN, "Enter", "Enter", 0);
        assertEquals("keyDown", p.get("type"));
        assertEquals(13, p.get("windowsVirtualKeyCode"));
        assertEquals("\r", p.get("text"));
        assertEquals("Enter", p.get("key"));
    }

    @Test
    void namedKeysWithoutTextAreRawKeyDowns() {
        for (String k : List.of("Backspace", "Tab", "ArrowLeft", "Escape", "Delete")) {
            Map<String, Object> p = key(KeyAction.KEY_ACTION_DOWN, k, k, 0);
            assertEquals("rawKeyDown", p.get("type"), k);
            assertFalse(p.containsKey("text"), k);
        }
        assertEquals(8, key(KeyAction.KEY_ACTION_DOWN, "Backspace", "Backspace", 0).get("windowsVirtualKeyCode"));
    }

    @Test
    void lettersTypeTextUnlessAShortcutModifierIsHeld() {
        Map<String, Object> a = key(KeyAction.KEY_ACTION_DOWN, "a", "KeyA", 0);
        assertEquals("a", a.get("text"));
        assertEquals(65, a.get("windowsVirtualKeyCode"));
        Map<String, Object> ctrlA = key(KeyAction.KEY_ACTION_DOWN, "a", "KeyA", CdpInput.CTRL);
        assertEquals("rawKeyDown", ctrlA.get("type"));
        assertFalse(ctrlA.containsKey("text"));
        assertEquals(CdpInput.CTRL, ctrlA.get("modifiers"));
        Map<String, Object> shiftA = key(KeyAction.KEY_ACTION_DOWN, "A", "KeyA", 8);
        assertEquals("A", shiftA.get("text"));
        assertEquals("keyUp", key(KeyAction.KEY_ACTION_UP, "a", "KeyA", 0).get("type"));
    }

    @Test
    void punctuationGetsItsKeyCodeFromTheCode() {
        assertEquals(190, key(KeyAction.KEY_ACTION_DOWN, ".", "Period", 0).get("windowsVirtualKeyCode"));
        assertEquals(" ", key(KeyAction.KEY_ACTION_DOWN, " ", "Space", 0).get("text"));
    }

    @Test
    void wheelAndTextBecomeTheirCommands() {
        CdpInput.Command wheel = input.translate(InputEvent.newBuilder().setWheel(WheelEvent.newBuilder()
                .setX(100).setY(100).setDeltaY(240)).build(), 1280, 720).get(0);
        assertEquals("mouseWheel", wheel.params().get("type"));
        assertEquals(240.0, wheel.params().get("deltaY"));
        CdpInput.Command text = input.translate(InputEvent.newBuilder().setText(TypeText.newBuilder().setText("hé")).build(),
                1280, 720).get(0);
        assertEquals("Input.insertText", text.method());
        assertEquals("hé", text.params().get("text"));
    }

    private Map<String, Object> key(KeyAction action, String key, String code, int modifiers) {
        return input.translate(InputEvent.newBuilder().setKey(KeyEvent.newBuilder()
                .setAction(action).setKey(key).setCode(code).setModifiers(modifiers)).build(), 1280, 720).get(0).params();
    }
}
