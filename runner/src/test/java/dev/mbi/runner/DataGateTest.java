package dev.mbi.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.proto.v1.ClipboardPolicy;
import dev.mbi.proto.v1.Permission;
import dev.mbi.proto.v1.Resize;
import dev.mbi.proto.v1.SessionPolicy;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class DataGateTest {

    @Test
    void anUnsetPolicyAllowsEverythingWithoutLimit() {
        DataPolicy open = DataPolicy.OPEN;
        assertTrue(open.clipboardToLocal() && open.clipboardToRemote() && open.keyboard() && open.downloads()
                && open.uploads() && open.printing());
        assertEquals(Long.MAX_VALUE, open.maxTransferBytes());
    }

    @Test
    void thePolicysDirectionsAndPermissions() {
        DataPolicy p = DataPolicy.from(SessionPolicy.newBuilder().setClipboard(ClipboardPolicy.CLIPBOARD_POLICY_TO_LOCAL)
                .setKeyboard(Permission.PERMISSION_DENY).setDownloads(Permission.PERMISSION_ALLOW).setMaxTransferBytes(10).build());
        assertTrue(p.clipboardToLocal());
        assertFalse(p.clipboardToRemote());
        assertFalse(p.keyboard());
        assertTrue(p.downloads());
        assertEquals(10, p.maxTransferBytes());
        assertEquals("policy.clipboard = to-local", p.clipboardRule());
    }

    @Test
    void theSameCopyWithin200MsGoesOnce() {
        AtomicLong now = new AtomicLong(1_000);
        DataGate gate = new DataGate(DataPolicy.OPEN, now::get);
        assertTrue(gate.pageCopied("a").orElseThrow().hasClipboard());
        now.addAndGet(150);
        assertEquals(Optional.empty(), gate.pageCopied("a"));
        assertTrue(gate.pageCopied("b").isPresent());
        now.addAndGet(DataGate.REPEAT_MS);
        assertTrue(gate.pageCopied("b").isPresent());
    }

    @Test
    void keyboardNoticesAtMostOncePerSecond() {
        AtomicLong now = new AtomicLong(1_000);
        DataGate gate = new DataGate(DataPolicy.from(SessionPolicy.newBuilder().setKeyboard(Permission.PERMISSION_DENY).build()), now::get);
        assertTrue(gate.keyboardRefused().isPresent());
        now.addAndGet(999);
        assertTrue(gate.keyboardRefused().isEmpty());
        now.addAndGet(1);
        assertTrue(gate.keyboardRefused().isPresent());
    }

    @Test
    void editingShortcutsByLetterWithCtrlOrMeta() {
        assertEquals(Optional.of("copy"), EditingShortcuts.command("c", "KeyC", CdpInput.CTRL));
        assertEquals(Optional.of("paste"), EditingShortcuts.command("v", "KeyV", CdpInput.META));
        assertEquals(Optional.of("cut"), EditingShortcuts.command("x", "KeyB", CdpInput.CTRL), "the letter, not the place");
        assertEquals(Optional.of("redo"), EditingShortcuts.command("Z", "KeyZ", CdpInput.CTRL | EditingShortcuts.SHIFT));
        assertEquals(Optional.empty(), EditingShortcuts.command("c", "KeyC", 0));
        assertEquals(Optional.empty(), EditingShortcuts.command("c", "KeyC", CdpInput.CTRL | CdpInput.ALT));
        assertEquals(Optional.empty(), EditingShortcuts.command("q", "KeyQ", CdpInput.CTRL));
    }

    @Test
    void aViewersScreenIsBounded() {
        assertEquals(new CdpViewport.Size(1920, 1080, 1, false),
                CdpViewport.bound(Resize.newBuilder().setWidth(5000).setHeight(4000).build(), 0, 0));
        assertEquals(new CdpViewport.Size(320, 240, 4, true),
                CdpViewport.bound(Resize.newBuilder().setWidth(10).setHeight(10).setDeviceScaleFactor(9).setMobile(true).build(), 0, 0));
        // The operator's VIEWPORT_MAX_WIDTH x VIEWPORT_MAX_HEIGHT, as the welcome carries it.
        assertEquals(new CdpViewport.Size(1024, 768, 1, false),
                CdpViewport.bound(Resize.newBuilder().setWidth(1920).setHeight(1080).build(), 1024, 768));
        assertEquals(new CdpViewport.Size(2560, 1440, 2, false),
                CdpViewport.bound(Resize.newBuilder().setWidth(2560).setHeight(1440).setDeviceScaleFactor(2).build(), 3840, 2160));
        assertTrue(CdpViewport.mobileUserAgent("Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/131.0.6778.85 Safari/537.36")
                .contains("Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari"));
    }
}
