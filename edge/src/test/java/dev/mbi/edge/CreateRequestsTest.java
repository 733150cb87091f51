package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.proto.v1.ControlHolder;
import dev.mbi.proto.v1.CreateSessionRequest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CreateRequestsTest {
    private static String refusal(ThrowingCall call) {
        ApiException e = assertThrows(ApiException.class, call::run);
        assertEquals(400, e.status());
        return e.getMessage();
    }

    @FunctionalInterface
    private interface ThrowingCall {
        void run() throws ApiException;
    }

    @Test
    void pageOptionsAreReadWhenGivenAndEmptyWhenNot() throws Exception {
        CreateSessionRequest r = CreateRequests.pageOptions("{\"url\":\"about:blank\",\"viewport\":{\"width\":390,\"height\":844},"
                + "\"userAgent\":\"agent/1.0\",\"locale\":\"de-DE\",\"timezone\":\"Europe/Berlin\"}").build();
        assertEquals(390, r.getViewportWidth());
        assertEquals(844, r.getViewportHeight());
        assertEquals("agent/1.0", r.getUserAgent());
        assertEquals("de-DE", r.getLocale());
        assertEquals("Europe/Berlin", r.getTimezone());
        assertEquals(CreateSessionRequest.newBuilder().build(), CreateRequests.pageOptions("{\"url\":\"https://a.example\"}").build());
    }

    @Test
    void badPageOptionsAreNamed() {
        assertTrue(refusal(() -> CreateRequests.pageOptions("{\"viewport\":\"big\"}")).startsWith("viewport must be like"));
        assertTrue(refusal(() -> CreateRequests.pageOptions("{\"viewport\":{\"width\":1.5,\"height\":2}}")).startsWith("viewport"));
        assertTrue(refusal(() -> CreateRequests.pageOptions("{\"viewport\":{\"width\":-1,\"height\":2}}")).startsWith("viewport"));
        assertTrue(refusal(() -> CreateRequests.pageOptions("{\"locale\":7}")).equals("locale must be a string"));
        assertTrue(refusal(() -> CreateRequests.pageOptions("[1]")).contains("JSON object"));
    }

    @Test
    void theStartPageMayBeGivenAsStartUrlOrAboutBlank() throws Exception {
        assertEquals("about:blank", SessionRoutes.urlFrom("{\"startUrl\":\"about:blank\"}"));
        assertEquals("https://a.example/", SessionRoutes.urlFrom("{\"startUrl\":\"https://a.example/\"}"));
        assertEquals("https://a.example/", SessionRoutes.urlFrom("{\"url\":\"https://a.example/\",\"startUrl\":\"https://a.example/\"}"));
        assertEquals("give url or startUrl, not both",
                refusal(() -> SessionRoutes.urlFrom("{\"url\":\"https://a.example/\",\"startUrl\":\"about:blank\"}")));
        assertTrue(refusal(() -> SessionRoutes.urlFrom("{\"url\":\"about:config\"}")).contains("or about:blank"));
    }

    @Test
    void holdersAreTheThreeNamesOnly() throws Exception {
        assertEquals(ControlHolder.CONTROL_HOLDER_AGENT, CreateRequests.holderFrom("{\"holder\":\"agent\"}"));
        assertEquals(ControlHolder.CONTROL_HOLDER_HUMAN, CreateRequests.holderFrom("{\"holder\":\"human\"}"));
        assertEquals(ControlHolder.CONTROL_HOLDER_SHARED, CreateRequests.holderFrom("{\"holder\":\"shared\"}"));
        for (String bad : new String[] {"{\"holder\":\"Agent\"}", "{}", "{\"holder\":1}", "not json"}) {
            refusal(() -> CreateRequests.holderFrom(bad));
        }
        assertEquals("human", CreateRequests.holderName(ControlHolder.CONTROL_HOLDER_HUMAN));
    }

    @Test
    void theEndpointsPathNamesItsSessionAndCloseReasonsFitAFrame() {
        assertEquals("abc", CdpSocket.sessionOf("/api/sessions/abc/cdp"));
        assertEquals("", CdpSocket.sessionOf("/api/sessions/abc/def/cdp"));
        assertEquals("", CdpSocket.sessionOf("/ws/sessions/abc"));
        String longReason = "é".repeat(200);
        String cut = CdpSocket.closeReason(longReason);
        assertTrue(cut.getBytes(StandardCharsets.UTF_8).length <= 123, cut);
        assertTrue(cut.endsWith("..."));
        assertEquals("short", CdpSocket.closeReason("short"));
    }
}
