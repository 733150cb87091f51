package dev.mbi.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StartTimelineTest {
    @Test
    void aColdStartSaysWhenEachStepHappenedSinceTheProcessStarted() {
        StartTimeline timeline = new StartTimeline();
        long now = System.currentTimeMillis();
        assertEquals("", timeline.sinceProcessStart(now), "nothing to say before Chromium and the registration");
        timeline.chromiumUp = now;
        timeline.registered = now;
        String said = timeline.sinceProcessStart(now + 5);
        assertTrue(said.matches("; since its process started: JVM up at \\d+ ms, registered at \\d+ ms, Chromium up at \\d+ ms, page shown at \\d+ ms"), said);
    }

    @Test
    void aPooledRunnersProcessStartSaysNothingOfItsSession() {
        StartTimeline timeline = new StartTimeline();
        timeline.chromiumUp = System.currentTimeMillis();
        timeline.registered = timeline.chromiumUp;
        timeline.pooled = true;
        assertEquals("", timeline.sinceProcessStart(System.currentTimeMillis()));
    }
}
