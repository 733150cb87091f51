package dev.mbi.runner;

import dev.mbi.proto.v1.ClipboardPolicy;
import dev.mbi.proto.v1.Permission;
import dev.mbi.proto.v1.SessionPolicy;

/**
 * What may cross the isolation boundary in this session, as the (claimed) welcome says. Anything
 * the welcome leaves unset is denied: a runner never widens what the control plane decided.
 *
 * @param maxTransferBytes the largest clipboard text, download or upload; 0 lets nothing through
 */
record DataPolicy(boolean downloads, boolean uploads, boolean printing, boolean keyboard,
                  boolean clipboardToLocal, boolean clipboardToRemote, long maxTransferBytes) {

    /** Nothing crosses: what a browser obeys before its session's welcome is known. */
    static final DataPolicy DENY_ALL = new DataPolicy(false, false, false, false, false, false, 0);

    static DataPolicy of(SessionPolicy p) {
        ClipboardPolicy c = p.getClipboard();
        return new DataPolicy(
                p.getDownloads() == Permission.PERMISSION_ALLOW,
                p.getUploads() == Permission.PERMISSION_ALLOW,
                p.getPrinting() == Permission.PERMISSION_ALLOW,
                p.getKeyboard() == Permission.PERMISSION_ALLOW,
                c == ClipboardPolicy.CLIPBOARD_POLICY_BOTH || c == ClipboardPolicy.CLIPBOARD_POLICY_TO_LOCAL,
                c == ClipboardPolicy.CLIPBOARD_POLICY_BOTH || c == ClipboardPolicy.CLIPBOARD_POLICY_TO_REMOTE,
                // uint64 on the wire: a value past Long.MAX_VALUE is "no practical limit", not negative.
                p.getMaxTransferBytes() < 0 ? Long.MAX_VALUE : p.getMaxTransferBytes());
    }
}
