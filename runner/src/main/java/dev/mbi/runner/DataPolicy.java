package dev.mbi.runner;

import dev.mbi.proto.v1.ClipboardPolicy;
import dev.mbi.proto.v1.Permission;
import dev.mbi.proto.v1.SessionPolicy;

/**
 * What may cross the isolation boundary in this session, as the (claimed) welcome's policy says.
 * The control plane sets every field; one left unset (a welcome from an older control plane)
 * allows, as before there were policies.
 *
 * @param maxTransferBytes the largest clipboard text, download or upload (0 in the policy: no limit)
 */
record DataPolicy(ClipboardPolicy clipboard, boolean downloads, boolean uploads, boolean printing, boolean keyboard,
                  boolean audio, long maxTransferBytes) {

    /** Everything allowed: a session whose welcome has no policy. */
    static final DataPolicy OPEN = from(SessionPolicy.getDefaultInstance());
    /** Nothing crosses: what a browser obeys before its session's welcome is known (a runner in the warm pool). */
    static final DataPolicy DENY_ALL = new DataPolicy(ClipboardPolicy.CLIPBOARD_POLICY_NONE, false, false, false, false, false, 0);

    static DataPolicy from(SessionPolicy policy) {
        long max = policy.getMaxTransferBytes();
        return new DataPolicy(policy.getClipboard(), allows(policy.getDownloads()), allows(policy.getUploads()),
                allows(policy.getPrinting()), allows(policy.getKeyboard()), allows(policy.getAudio()),
                // uint64 on the wire: 0 is "not set", a value past Long.MAX_VALUE is no practical limit.
                max == 0 || max < 0 ? Long.MAX_VALUE : max);
    }

    private static boolean allows(Permission permission) {
        return permission != Permission.PERMISSION_DENY;
    }

    /** The page's copies reach the viewers. */
    boolean clipboardToLocal() {
        return switch (clipboard) {
            case CLIPBOARD_POLICY_TO_REMOTE, CLIPBOARD_POLICY_NONE -> false;
            default -> true;
        };
    }

    /** The viewers' clipboard text reaches the page. */
    boolean clipboardToRemote() {
        return switch (clipboard) {
            case CLIPBOARD_POLICY_TO_LOCAL, CLIPBOARD_POLICY_NONE -> false;
            default -> true;
        };
    }

    /** The clipboard rule as a blocked message names it, e.g. "policy.clipboard = to-remote". */
    String clipboardRule() {
        String name = clipboard == ClipboardPolicy.UNRECOGNIZED ? "unknown"
                : clipboard.name().substring("CLIPBOARD_POLICY_".length()).toLowerCase().replace('_', '-');
        return "policy.clipboard = " + name;
    }
}
