package dev.mbi.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.proto.v1.InputEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The input channel's messages: input passes on, a viewer may ask for the video's frame timings, and anything else is answered with an error. */
class InputChannelTest {
    private final List<String> sent = new ArrayList<>();
    private final List<InputEvent> input = new ArrayList<>();
    private final AtomicLong buffered = new AtomicLong();
    private final InputChannel channel = new InputChannel(sent::add, buffered::get, input::add);
    private final VideoTimings.Frame frame = new VideoTimings.Frame(3_973_000_000_123L, 1_764_400_000_100L, 1_764_400_000_112L);

    private void receive(String message) {
        channel.receive(message.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aViewerGetsFrameTimingsOnlyOnceItAsksAndUntilItStops() {
        channel.sendTiming(frame);
        assertEquals(List.of(), sent, "a viewer that did not ask gets no timings");

        receive("{\"type\":\"videoTimings\",\"enabled\":true}");
        assertTrue(channel.wantsVideoTimings());
        channel.sendTiming(frame);
        assertEquals(List.of("{\"type\":\"videoTiming\",\"ntpMs\":3973000000123,\"capturedAt\":1764400000100,\"pushedAt\":1764400000112}"), sent);
        assertEquals(List.of(), input, "the request is not input for the page");

        receive("{\"type\":\"videoTimings\",\"enabled\":false}");
        assertFalse(channel.wantsVideoTimings());
        channel.sendTiming(frame);
        assertEquals(1, sent.size());
    }

    @Test
    void timingsAreSkippedWhileTheChannelIsBackedUp() {
        receive("{\"type\":\"videoTimings\",\"enabled\":true}");
        buffered.set(InputChannel.MAX_BUFFERED_FOR_TIMINGS + 1);
        channel.sendTiming(frame);
        assertEquals(List.of(), sent);
        buffered.set(0);
        channel.sendTiming(frame);
        assertEquals(1, sent.size());
    }

    @Test
    void aBadTimingsRequestIsAnsweredWithAnErrorAndChangesNothing() {
        String padded = "{\"type\":\"videoTimings\",\"enabled\":true" + " ".repeat(VideoTimings.MAX_REQUEST_BYTES) + "}";
        List<String> bad = List.of(
                "{\"type\":\"videoTimings\"}",
                "{\"type\":\"videoTimings\",\"enabled\":\"yes\"}",
                "{\"type\":\"videoTimings\",\"enabled\":1}",
                "{\"type\":\"videoTimings\",\"enabled\":null}",
                "{\"type\":\"videoTimings\",\"enabled\":true,\"everyFrame\":true}",
                padded,
                "[\"videoTimings\",true]",
                "{\"type\":\"videoTimings\",\"enabled\":tru");
        for (String message : bad) {
            sent.clear();
            receive(message);
            assertFalse(channel.wantsVideoTimings(), message);
            assertEquals(1, sent.size(), message);
            assertTrue(sent.get(0).startsWith("{\"type\":\"error\",\"error\":"), sent.get(0));
        }
        assertTrue(sent.get(0).contains("JSON object"), sent.get(0));
        sent.clear();
        receive(padded);
        assertEquals("{\"type\":\"error\",\"error\":\"videoTimings must be at most 128 bytes\"}", sent.get(0));
        assertEquals(List.of(), input);

        // A bad request does not turn off what a good one turned on.
        receive("{\"type\":\"videoTimings\",\"enabled\":true}");
        receive("{\"type\":\"videoTimings\",\"enabled\":\"no\"}");
        assertTrue(channel.wantsVideoTimings());
    }

    @Test
    void inputStillPassesOnAndBadInputIsStillAnswered() {
        receive("{\"type\":\"mousedown\",\"x\":10,\"y\":20,\"button\":0}");
        assertEquals(1, input.size());
        assertEquals(10, input.get(0).getPointer().getX());
        assertEquals(List.of(), sent);

        receive("{\"type\":\"teleport\"}");
        assertEquals(1, input.size());
        assertTrue(sent.get(0).contains("unknown input type 'teleport'"), sent.get(0));
    }
}
