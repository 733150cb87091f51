package dev.mbi.runner;

import java.util.Map;
import java.util.Optional;

/**
 * The editing shortcuts a viewer presses (Ctrl on Linux and Windows, Meta on a Mac: the viewer's
 * habit, whatever the runner's platform) as the editor command Chromium runs for them. Named
 * explicitly on the key event: Chromium on Linux knows no Meta shortcuts, and copy, cut and paste
 * then go through the browser's clipboard exactly as a local shortcut would.
 */
final class EditingShortcuts {
    private static final Map<String, String> BY_CODE = Map.of(
            "KeyC", "copy",
            "KeyX", "cut",
            "KeyV", "paste",
            "KeyA", "selectAll",
            "KeyZ", "undo",
            "KeyY", "redo");

    private EditingShortcuts() {
    }

    /**
     * The command for a key with these modifiers; empty when it is no editing shortcut. The key's
     * letter decides where there is one (Ctrl+C on any layout), else its physical code.
     */
    static Optional<String> command(String key, String code, int modifiers) {
        boolean ctrlOrMeta = (modifiers & (CdpInput.CTRL | CdpInput.META)) != 0;
        boolean alt = (modifiers & CdpInput.ALT) != 0;
        if (!ctrlOrMeta || alt) {
            return Optional.empty();
        }
        boolean shift = (modifiers & SHIFT) != 0;
        boolean letter = key.length() == 1 && Character.isLetter(key.charAt(0)) && key.charAt(0) < 128;
        String command = BY_CODE.get(letter ? "Key" + Character.toUpperCase(key.charAt(0)) : code);
        if (command == null) {
            return Optional.empty();
        }
        if (shift) {
            // Ctrl+Shift+Z is redo; Ctrl+Shift+V is paste as plain text, which is what a viewer's text is anyway.
            return switch (command) {
                case "undo" -> Optional.of("redo");
                case "paste" -> Optional.of("pasteAndMatchStyle");
                default -> Optional.empty();
            };
        }
        return Optional.of(command);
    }

    static final int SHIFT = 8;
}
