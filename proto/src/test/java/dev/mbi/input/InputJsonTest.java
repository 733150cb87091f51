package dev.mbi.input;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.proto.v1.InputEvent;
import org.junit.jupiter.api.Test;

class InputJsonTest {
    private static String refusal(String json) {
        return assertThrows(InputJson.InputException.class, () -> InputJson.parse(json)).getMessage();
    }

    @Test
    void clipboardTextIsTakenUpToItsLimit() throws Exception {
        InputEvent e = InputJson.parse("{\"type\":\"clipboard\",\"text\":\"copied ✓\"}");
        assertEquals("copied ✓", e.getClipboard().getText());
        assertEquals("", InputJson.parse("{\"type\":\"clipboard\",\"text\":\"\"}").getClipboard().getText());
        assertTrue(refusal("{\"type\":\"clipboard\"}").startsWith("clipboard needs text"));
        assertTrue(refusal("{\"type\":\"clipboard\",\"text\":5}").startsWith("clipboard needs text"));
        assertTrue(refusal("{\"type\":\"clipboard\",\"text\":\"" + "x".repeat(InputJson.MAX_CLIPBOARD_CHARS + 1) + "\"}")
                .startsWith("clipboard needs text"));
    }

    @Test
    void aResizeStatesTheViewersScreen() throws Exception {
        InputEvent e = InputJson.parse("{\"type\":\"resize\",\"width\":390,\"height\":844,\"deviceScaleFactor\":3,\"mobile\":true}");
        assertEquals(390, e.getResize().getWidth());
        assertEquals(844, e.getResize().getHeight());
        assertEquals(3.0, e.getResize().getDeviceScaleFactor());
        assertTrue(e.getResize().getMobile());
        assertEquals(1.0, InputJson.parse("{\"type\":\"resize\",\"width\":1280,\"height\":720}").getResize().getDeviceScaleFactor());
        assertTrue(refusal("{\"type\":\"resize\",\"width\":0,\"height\":720}").startsWith("resize needs"));
        assertTrue(refusal("{\"type\":\"resize\",\"width\":12.5,\"height\":720}").startsWith("resize needs"));
        assertTrue(refusal("{\"type\":\"resize\",\"width\":99999,\"height\":720}").startsWith("resize needs"));
        assertTrue(refusal("{\"type\":\"resize\",\"width\":390,\"height\":844,\"deviceScaleFactor\":40}").contains("deviceScaleFactor"));
        assertTrue(refusal("{\"type\":\"resize\",\"width\":390,\"height\":844,\"mobile\":\"yes\"}").contains("mobile"));
    }

    @Test
    void unknownTypesNameTheKnownOnes() {
        assertTrue(refusal("{\"type\":\"teleport\"}").contains("clipboard or resize"));
        assertEquals("input must be a JSON object", refusal("[]"));
    }
}
