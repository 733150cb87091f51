package dev.mbi.runner;

import dev.mbi.proto.v1.ActionBlocked;
import dev.mbi.proto.v1.ClipboardText;
import dev.mbi.proto.v1.InputEvent;
import dev.mbi.proto.v1.RunnerMessage;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The session's policy applied to what crosses the boundary as it happens: the page's copies on
 * their way to the viewers, the viewers' clipboard and keyboard on their way to the page. Each
 * refusal becomes a {@code blocked} message naming the rule. Thread-safe.
 */
final class DataGate {
    static final String CLIPBOARD_TO_LOCAL = "clipboard to local";
    static final String CLIPBOARD_TO_REMOTE = "clipboard to remote";
    static final String KEYBOARD = "keyboard";
    /** One copy often shows twice (a page's handler and the copy it triggers): the second is dropped. */
    static final long REPEAT_MS = 200;
    /** A viewer typing under a keyboard ban hears of it once a second, not once a key. */
    static final long KEYBOARD_NOTICE_MS = 1_000;

    private final DataPolicy policy;
    private final LongSupplier clockMillis;
    private String lastCopied;
    private long lastCopiedAt;
    private long lastKeyboardNotice = Long.MIN_VALUE;

    DataGate(DataPolicy policy, LongSupplier clockMillis) {
        this.policy = policy;
        this.clockMillis = clockMillis;
    }

    DataGate(DataPolicy policy) {
        this(policy, System::currentTimeMillis);
    }

    DataPolicy policy() {
        return policy;
    }

    /**
     * The page copied {@code text}: the clipboard message for the viewers, a blocked message, or
     * nothing for the same text again within {@link #REPEAT_MS}.
     */
    synchronized Optional<RunnerMessage> pageCopied(String text) {
        long now = clockMillis.getAsLong();
        if (text.equals(lastCopied) && now - lastCopiedAt < REPEAT_MS) {
            return Optional.empty();
        }
        lastCopied = text;
        lastCopiedAt = now;
        if (!policy.clipboardToLocal()) {
            return Optional.of(blocked(CLIPBOARD_TO_LOCAL, policy.clipboardRule()));
        }
        if (tooLarge(text)) {
            return Optional.of(blocked(CLIPBOARD_TO_LOCAL, sizeRule()));
        }
        return Optional.of(RunnerMessage.newBuilder().setClipboard(ClipboardText.newBuilder().setText(text)).build());
    }

    /** A viewer's clipboard text for the page: empty when it may go, else the blocked message. */
    Optional<RunnerMessage> viewerClipboard(String text) {
        if (!policy.clipboardToRemote()) {
            return Optional.of(blocked(CLIPBOARD_TO_REMOTE, policy.clipboardRule()));
        }
        if (tooLarge(text)) {
            return Optional.of(blocked(CLIPBOARD_TO_REMOTE, sizeRule()));
        }
        return Optional.empty();
    }

    /** Whether a viewer's input event goes on to the page, and what the viewers are told if it does not. */
    record Admission(boolean admitted, Optional<RunnerMessage> notice) {
        static final Admission ADMITTED = new Admission(true, Optional.empty());
    }

    /** The policy on a viewer's keyboard and clipboard text; other input is not the policy's business. */
    Admission admit(InputEvent event) {
        if (isKeyboard(event) && !keyboardAllowed()) {
            return new Admission(false, keyboardRefused());
        }
        if (event.hasClipboard()) {
            Optional<RunnerMessage> refused = viewerClipboard(event.getClipboard().getText());
            return refused.isEmpty() ? Admission.ADMITTED : new Admission(false, refused);
        }
        return Admission.ADMITTED;
    }

    /** Keys and typed text a viewer sends: the keyboard policy applies to them. */
    static boolean isKeyboard(InputEvent event) {
        return event.hasKey() || event.hasText();
    }

    boolean keyboardAllowed() {
        return policy.keyboard();
    }

    /** A keyboard event was dropped: the blocked message, at most once per {@link #KEYBOARD_NOTICE_MS}. */
    synchronized Optional<RunnerMessage> keyboardRefused() {
        long now = clockMillis.getAsLong();
        if (lastKeyboardNotice != Long.MIN_VALUE && now - lastKeyboardNotice < KEYBOARD_NOTICE_MS) {
            return Optional.empty();
        }
        lastKeyboardNotice = now;
        return Optional.of(blocked(KEYBOARD, "policy.keyboard = deny"));
    }

    private boolean tooLarge(String text) {
        // Cheap first: a UTF-8 byte is at least one per char and at most three per char.
        long upper = (long) text.length() * 3;
        return upper > policy.maxTransferBytes() && text.getBytes(StandardCharsets.UTF_8).length > policy.maxTransferBytes();
    }

    private String sizeRule() {
        return "policy.maxTransferBytes = " + policy.maxTransferBytes();
    }

    static RunnerMessage blocked(String action, String rule) {
        return RunnerMessage.newBuilder().setBlocked(ActionBlocked.newBuilder().setAction(action).setRule(rule)).build();
    }
}
