package dev.mbi.runner;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mbi.input.InputJson.InputException;
import java.util.Iterator;

/**
 * When each video frame the runner pushes to the encoder was captured and pushed, for a WebRTC
 * viewer that asks for it on its "input" channel (the bench does, to time the video path hop by
 * hop); other viewers get nothing extra.
 * <p>
 * A viewer matches a frame it shows to its timing through the frame's RTP timestamp
 * ({@code requestVideoFrameCallback}'s {@code rtpTimestamp}): libwebrtc makes it from the capture
 * time in NTP milliseconds that the video source stamps each pushed frame with (webrtc-java's
 * source stamps the current time of libwebrtc's real-time clock, whatever the frame's own
 * timestamp says): rtp = 90 × ntpMs + a random offset per stream, mod 2^32. So
 * (rtp − 90 × ntpMs) mod 2^32 is the same for every frame of a stream.
 */
final class VideoTimings {
    /** The viewer's request: {"type":"videoTimings","enabled":true} (or false, to stop them). */
    static final String REQUEST_TYPE = "videoTimings";
    /** A request is one short object; anything longer is not one. */
    static final int MAX_REQUEST_BYTES = 128;

    private VideoTimings() {
    }

    /**
     * One pushed frame.
     *
     * @param ntpMs        libwebrtc's capture time of the frame (NTP, ms), from which its RTP timestamp is made
     * @param capturedAtMs when Chromium captured the picture (epoch ms, the screencast frame's own timestamp)
     * @param pushedAtMs   when the runner pushed it to the encoder (epoch ms)
     */
    record Frame(long ntpMs, long capturedAtMs, long pushedAtMs) {
        /** The message to the viewer: {"type":"videoTiming","ntpMs":…,"capturedAt":…,"pushedAt":…}. */
        String message() {
            return "{\"type\":\"videoTiming\",\"ntpMs\":" + ntpMs + ",\"capturedAt\":" + capturedAtMs
                    + ",\"pushedAt\":" + pushedAtMs + "}";
        }
    }

    /**
     * Whether a viewer's request turns the timings on or off.
     *
     * @param request the message, a JSON object whose type is {@link #REQUEST_TYPE}
     * @param bytes   the message's size as it arrived
     * @throws InputException the request is too long, or not exactly {"type":"videoTimings","enabled":true|false}
     */
    static boolean enabled(JsonNode request, int bytes) throws InputException {
        if (bytes > MAX_REQUEST_BYTES) {
            throw new InputException(REQUEST_TYPE + " must be at most " + MAX_REQUEST_BYTES + " bytes");
        }
        JsonNode enabled = request.get("enabled");
        if (enabled == null || !enabled.isBoolean()) {
            throw new InputException(REQUEST_TYPE + " needs enabled true or false, e.g. {\"type\":\"" + REQUEST_TYPE
                    + "\",\"enabled\":true}");
        }
        for (Iterator<String> names = request.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("type") && !name.equals("enabled")) {
                throw new InputException(REQUEST_TYPE + " takes only type and enabled");
            }
        }
        return enabled.booleanValue();
    }
}
