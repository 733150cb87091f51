package dev.mbi.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.proto.v1.ClipboardPolicy;
import dev.mbi.proto.v1.Permission;
import dev.mbi.proto.v1.SessionPolicy;
import org.junit.jupiter.api.Test;

class DataPolicyTest {
    @Test
    void readsTheWelcomesPolicy() {
        SessionPolicy p = SessionPolicy.newBuilder().setClipboard(ClipboardPolicy.CLIPBOARD_POLICY_TO_LOCAL)
                .setDownloads(Permission.PERMISSION_ALLOW).setUploads(Permission.PERMISSION_DENY)
                .setPrinting(Permission.PERMISSION_ALLOW).setKeyboard(Permission.PERMISSION_DENY).setAudio(Permission.PERMISSION_DENY).setMaxTransferBytes(1_048_576).build();
        DataPolicy d = DataPolicy.from(p);
        assertEquals(new DataPolicy(ClipboardPolicy.CLIPBOARD_POLICY_TO_LOCAL, true, false, true, false, false, 1_048_576), d);
        assertTrue(d.clipboardToLocal());
        assertFalse(d.clipboardToRemote());
        assertEquals("policy.clipboard = to-local", d.clipboardRule());
    }

    @Test
    void anUnsetPolicyAllowsAndDenyAllDeniesEverything() {
        assertTrue(DataPolicy.OPEN.downloads() && DataPolicy.OPEN.clipboardToLocal() && DataPolicy.OPEN.clipboardToRemote());
        assertEquals(Long.MAX_VALUE, DataPolicy.OPEN.maxTransferBytes());
        DataPolicy none = DataPolicy.DENY_ALL;
        assertFalse(none.downloads() || none.uploads() || none.printing() || none.keyboard() || none.clipboardToLocal()
                || none.clipboardToRemote());
    }

    @Test
    void aLimitPastLongsRangeIsNoLimit() {
        assertEquals(Long.MAX_VALUE, DataPolicy.from(SessionPolicy.newBuilder().setMaxTransferBytes(-1L).build()).maxTransferBytes());
    }
}
