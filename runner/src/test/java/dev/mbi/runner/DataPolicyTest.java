package dev.mbi.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mbi.proto.v1.ClipboardPolicy;
import dev.mbi.proto.v1.Permission;
import dev.mbi.proto.v1.SessionPolicy;
import org.junit.jupiter.api.Test;

class DataPolicyTest {
    @Test
    void readsTheWelcomesPolicy() {
        SessionPolicy p = SessionPolicy.newBuilder().setClipboard(ClipboardPolicy.CLIPBOARD_POLICY_TO_LOCAL)
                .setDownloads(Permission.PERMISSION_ALLOW).setUploads(Permission.PERMISSION_DENY)
                .setPrinting(Permission.PERMISSION_ALLOW).setKeyboard(Permission.PERMISSION_DENY)
                .setMaxTransferBytes(1_048_576).build();
        assertEquals(new DataPolicy(true, false, true, false, true, false, 1_048_576), DataPolicy.of(p));
    }

    @Test
    void whatIsNotSetIsDenied() {
        assertEquals(DataPolicy.DENY_ALL, DataPolicy.of(SessionPolicy.getDefaultInstance()));
        assertEquals(new DataPolicy(false, false, false, false, true, true, 0),
                DataPolicy.of(SessionPolicy.newBuilder().setClipboard(ClipboardPolicy.CLIPBOARD_POLICY_BOTH).build()));
    }

    @Test
    void aLimitPastLongsRangeIsNoLimit() {
        assertEquals(Long.MAX_VALUE, DataPolicy.of(SessionPolicy.newBuilder().setMaxTransferBytes(-1L).build()).maxTransferBytes());
    }
}
