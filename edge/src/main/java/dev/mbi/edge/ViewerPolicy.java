package dev.mbi.edge;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mbi.proto.v1.ClipboardPolicy;
import dev.mbi.proto.v1.FileChooserOpened;
import dev.mbi.proto.v1.InputEvent;
import dev.mbi.proto.v1.Permission;
import dev.mbi.proto.v1.SessionPolicy;
import java.nio.charset.StandardCharsets;

/**
 * The session's data policy as the edge applies it to one viewer's messages, on top of the
 * runner's own enforcement: the clipboard in each direction, and the keyboard. An unset policy (no
 * status yet) allows everything here; the runner still decides.
 */
final class ViewerPolicy {
    /** Whether a message may pass, and if not, the rule that refused it (tell: say so to the viewer). */
    record Verdict(boolean allowed, String action, String rule, boolean tell) {
        static final Verdict ALLOWED = new Verdict(true, "", "", false);

        String blockedMessage() {
            return ViewerPolicy.blockedMessage(action, rule);
        }
    }

    private ViewerPolicy() {
    }

    static Verdict toLocal(SessionPolicy policy, String text) {
        ClipboardPolicy c = policy.getClipboard();
        if (c == ClipboardPolicy.CLIPBOARD_POLICY_NONE || c == ClipboardPolicy.CLIPBOARD_POLICY_TO_REMOTE) {
            return new Verdict(false, "clipboard to local", "policy.clipboard = " + name(c), true);
        }
        return withinLimit(policy, text, "clipboard to local");
    }

    static Verdict fromViewer(SessionPolicy policy, InputEvent input) {
        if (input.hasClipboard()) {
            ClipboardPolicy c = policy.getClipboard();
            if (c == ClipboardPolicy.CLIPBOARD_POLICY_NONE || c == ClipboardPolicy.CLIPBOARD_POLICY_TO_LOCAL) {
                return new Verdict(false, "clipboard to remote", "policy.clipboard = " + name(c), true);
            }
            return withinLimit(policy, input.getClipboard().getText(), "clipboard to remote");
        }
        if ((input.hasKey() || input.hasText()) && policy.getKeyboard() == Permission.PERMISSION_DENY) {
            return new Verdict(false, "keyboard", "policy.keyboard = deny", true);
        }
        return Verdict.ALLOWED;
    }

    private static Verdict withinLimit(SessionPolicy policy, String text, String action) {
        long max = policy.getMaxTransferBytes();
        if (max > 0 && text.getBytes(StandardCharsets.UTF_8).length > max) {
            return new Verdict(false, action, "policy.maxTransferBytes = " + max, true);
        }
        return Verdict.ALLOWED;
    }

    private static String name(ClipboardPolicy c) {
        return switch (c) {
            case CLIPBOARD_POLICY_TO_LOCAL -> "to-local";
            case CLIPBOARD_POLICY_TO_REMOTE -> "to-remote";
            case CLIPBOARD_POLICY_NONE -> "none";
            default -> "both";
        };
    }

    static String clipboardMessage(String text) {
        ObjectNode n = SessionJson.MAPPER.createObjectNode();
        n.put("type", "clipboard");
        n.put("text", text);
        return n.toString();
    }

    static String fileChooserMessage(FileChooserOpened chooser) {
        ObjectNode n = SessionJson.MAPPER.createObjectNode();
        n.put("type", "filechooser");
        n.put("id", chooser.getId());
        n.put("multiple", chooser.getMultiple());
        chooser.getAcceptList().forEach(n.putArray("accept")::add);
        if (chooser.getAcceptCount() == 0) {
            n.putArray("accept");
        }
        return n.toString();
    }

    static String blockedMessage(String action, String rule) {
        ObjectNode n = SessionJson.MAPPER.createObjectNode();
        n.put("type", "blocked");
        n.put("action", action);
        n.put("rule", rule);
        n.put("message", blockedText(action, rule));
        return n.toString();
    }

    static String blockedText(String action, String rule) {
        return action + " blocked by the session's policy (" + rule + ")";
    }

    /** How many m-lines of this kind ("audio", "video") an SDP has. */
    static int mediaSections(String sdp, String kind) {
        int n = 0;
        for (String line : sdp.split("\r?\n")) {
            if (line.startsWith("m=" + kind + " ")) {
                n++;
            }
        }
        return n;
    }

    /**
     * Whether an answer sends audio: an audio m-line that is not rejected (port 0) and whose
     * direction (sendrecv when unstated) includes sending.
     */
    static boolean sendsAudio(String sdp) {
        boolean inAudio = false;
        boolean rejected = false;
        String direction = "sendrecv";
        boolean sends = false;
        for (String line : (sdp + "\nm=end 0").split("\r?\n")) {
            if (line.startsWith("m=")) {
                if (inAudio && !rejected && (direction.equals("sendrecv") || direction.equals("sendonly"))) {
                    sends = true;
                }
                String[] parts = line.substring(2).split(" ");
                inAudio = parts[0].equals("audio");
                rejected = parts.length > 1 && parts[1].equals("0");
                direction = "sendrecv";
            } else if (line.equals("a=sendrecv") || line.equals("a=sendonly") || line.equals("a=recvonly") || line.equals("a=inactive")) {
                direction = line.substring(2);
            }
        }
        return sends;
    }
}
