package dev.mbi.controlplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.contract.RunnerContract;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** VIEWPORT_MAX_WIDTH/_HEIGHT bound the page a viewer may size a session to. */
class ViewportMaxConfigTest {
    private static ControlPlaneConfig read(Map<String, String> values) {
        return ConfigFixture.read(values);
    }

    @Test
    void defaultsToFullHdOrTheStartSizeIfLarger() {
        assertEquals(new RunnerContract.Viewport(1920, 1080), read(Map.of()).viewportMax());
        assertEquals(new RunnerContract.Viewport(2560, 1440),
                read(Map.of("VIEWPORT_WIDTH", "2560", "VIEWPORT_HEIGHT", "1440")).viewportMax());
        assertEquals(new RunnerContract.Viewport(1024, 768),
                read(Map.of("VIEWPORT_MAX_WIDTH", "1024", "VIEWPORT_MAX_HEIGHT", "768", "VIEWPORT_WIDTH", "800",
                        "VIEWPORT_HEIGHT", "600")).viewportMax());
    }

    @Test
    void aMaximumBelowTheStartSizeOrOutOfRangeStopsTheStartNamingTheSetting() {
        String below = assertThrows(IllegalArgumentException.class,
                () -> read(Map.of("VIEWPORT_MAX_WIDTH", "1024", "VIEWPORT_MAX_HEIGHT", "600"))).getMessage();
        assertTrue(below.contains("VIEWPORT_MAX_WIDTH x VIEWPORT_MAX_HEIGHT (1024x600) is smaller than"), below);
        String huge = assertThrows(IllegalArgumentException.class, () -> read(Map.of("VIEWPORT_MAX_WIDTH", "9999"))).getMessage();
        assertTrue(huge.contains("VIEWPORT_MAX_WIDTH"), huge);
    }
}
