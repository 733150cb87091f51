package dev.mbi.runner;

import dev.mbi.proto.v1.ClipboardPolicy;
import dev.mbi.proto.v1.Permission;
import dev.mbi.proto.v1.SessionPolicy;

/**
 * What may cross the isolation boundary in this session, as the welcome's policy says. A value
 * the control plane left unset (an older control plane) allows, as before there were policies.
 *
 * @param maxTransferBytes the largest clipboard text, download or upload; 0 in the policy: no limit
 */
record DataPolicy(ClipboardPolicy clipboard, boolean downloads, boolean uploads, boolean printing, boolean keyboard,
                  long maxTransferBytes) {

    /** Everything allowed: a session whose welcome has no policy. */
    static final DataPolicy OPEN = from(SessionPolicy.getDefaultInstance());

    static DataPolicy from(SessionPolicy policy) {
        return new DataPolicy(policy.getClipboard(), allows(policy.getDownloads()), allows(policy.getUploads()),
                allows(policy.getPrinting()), allows(policy.getKeyboard()),
                policy.getMaxTransferBytes() == 0 ? Long.MAX_VALUE : policy.getMaxTransferBytes());
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

    /** The clipboard rule as a blocked message names it, e.g. "policy.clipboard = to_remote". */
    String clipboardRule() {
        String name = clipboard == ClipboardPolicy.UNRECOGNIZED ? "unknown"
                : clipboard.name().substring("CLIPBOARD_POLICY_".length()).toLowerCase();
        return "policy.clipboard = " + name;
    }
}
