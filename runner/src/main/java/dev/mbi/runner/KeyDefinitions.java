package dev.mbi.runner;

import java.util.HashMap;
import java.util.Map;

/**
 * What Chromium needs to know about a key beyond its DOM name: the Windows virtual key code
 * (without it Enter, Backspace, Tab and arrows do nothing) and the text it types, if any.
 */
final class KeyDefinitions {
    record Key(String key, String code, int keyCode, String text, int location) {
    }

    private static final Map<String, Key> NAMED = new HashMap<>();
    private static final Map<String, Integer> PUNCTUATION_CODES = new HashMap<>();

    static {
        named("Enter", "Enter", 13, "\r");
        named("Tab", "Tab", 9, "");
        named("Backspace", "Backspace", 8, "");
        named("Escape", "Escape", 27, "");
        named("Delete", "Delete", 46, "");
        named("Insert", "Insert", 45, "");
        named("Home", "Home", 36, "");
        named("End", "End", 35, "");
        named("PageUp", "PageUp", 33, "");
        named("PageDown", "PageDown", 34, "");
        named("ArrowLeft", "ArrowLeft", 37, "");
        named("ArrowUp", "ArrowUp", 38, "");
        named("ArrowRight", "ArrowRight", 39, "");
        named("ArrowDown", "ArrowDown", 40, "");
        named("CapsLock", "CapsLock", 20, "");
        named("ContextMenu", "ContextMenu", 93, "");
        for (int i = 1; i <= 12; i++) {
            named("F" + i, "F" + i, 111 + i, "");
        }
        NAMED.put("Shift", new Key("Shift", "ShiftLeft", 16, "", 1));
        NAMED.put("Control", new Key("Control", "ControlLeft", 17, "", 1));
        NAMED.put("Alt", new Key("Alt", "AltLeft", 18, "", 1));
        NAMED.put("Meta", new Key("Meta", "MetaLeft", 91, "", 1));
        NAMED.put(" ", new Key(" ", "Space", 32, " ", 0));

        String[][] punctuation = {
            {"Semicolon", "186"}, {"Equal", "187"}, {"Comma", "188"}, {"Minus", "189"}, {"Period", "190"},
            {"Slash", "191"}, {"Backquote", "192"}, {"BracketLeft", "219"}, {"Backslash", "220"},
            {"BracketRight", "221"}, {"Quote", "222"},
        };
        for (String[] p : punctuation) {
            PUNCTUATION_CODES.put(p[0], Integer.parseInt(p[1]));
        }
    }

    private KeyDefinitions() {
    }

    private static void named(String key, String code, int keyCode, String text) {
        NAMED.put(key, new Key(key, code, keyCode, text, 0));
    }

    /** Looks a key up by its DOM key name, falling back on the DOM code; unknown keys still type their text. */
    static Key lookup(String key, String code) {
        Key named = NAMED.get(key);
        if (named != null) {
            String sideCode = code.isEmpty() ? named.code() : code;
            int location = sideCode.endsWith("Right") && named.location() != 0 ? 2 : named.location();
            return new Key(named.key(), sideCode, named.keyCode(), named.text(), location);
        }
        if (key.codePointCount(0, key.length()) == 1) {
            char c = key.charAt(0);
            int keyCode;
            String guessedCode = code;
            if (Character.isLetter(c) && c < 128) {
                keyCode = Character.toUpperCase(c);
                guessedCode = code.isEmpty() ? "Key" + Character.toUpperCase(c) : code;
            } else if (Character.isDigit(c)) {
                keyCode = c;
                guessedCode = code.isEmpty() ? "Digit" + c : code;
            } else if (code.startsWith("Key") && code.length() == 4) {
                keyCode = code.charAt(3);
            } else if (code.startsWith("Digit") && code.length() == 6) {
                keyCode = code.charAt(5);
            } else {
                keyCode = PUNCTUATION_CODES.getOrDefault(code, 0);
            }
            return new Key(key, guessedCode, keyCode, key, 0);
        }
        // An unnamed key with a code (e.g. "Unidentified"): pass it through without text.
        return new Key(key, code, 0, "", 0);
    }
}
