package dev.mbi.runner;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mbi.input.InputJson;
import dev.mbi.proto.v1.InputEvent;
import dev.onvoid.webrtc.RTCDataChannel;
import dev.onvoid.webrtc.RTCDataChannelBuffer;
import dev.onvoid.webrtc.RTCDataChannelObserver;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A viewer's "input" data channel: each message is the same JSON input as on the WebSocket, or a
 * request for the video's frame timings ({@link VideoTimings}); a message that is neither gets an
 * error reply on the channel.
 */
final class InputChannel implements RTCDataChannelObserver {
    private static final Logger LOG = Logger.getLogger(InputChannel.class.getName());
    /** The label viewers give the channel. */
    static final String LABEL = "input";
    /**
     * Frame timings are skipped while this much is still unsent on the channel: they are a
     * measurement, and must never fill the channel that carries the viewer's own messages.
     */
    static final long MAX_BUFFERED_FOR_TIMINGS = 64 * 1024;

    private final Consumer<String> out;
    private final LongSupplier buffered;
    private final Consumer<InputEvent> input;
    /** The viewer asked for the video's frame timings. */
    private volatile boolean videoTimings;

    /**
     * @param out      sends one JSON message to the viewer
     * @param buffered bytes queued on the channel and not yet sent
     * @param input    where the viewer's input goes
     */
    InputChannel(Consumer<String> out, LongSupplier buffered, Consumer<InputEvent> input) {
        this.out = out;
        this.buffered = buffered;
        this.input = input;
    }

    /** Passes the input arriving on {@code channel} to {@code input}, if it is the input channel; null if not. */
    static InputChannel attach(RTCDataChannel channel, Consumer<InputEvent> input) {
        if (!LABEL.equals(channel.getLabel())) {
            return null;
        }
        InputChannel inputChannel = new InputChannel(json -> send(channel, json), channel::getBufferedAmount, input);
        channel.registerObserver(inputChannel);
        return inputChannel;
    }

    /** What the page copied, for the viewer: {"type":"clipboard","text":...}. */
    static String clipboardMessage(String text) {
        return "{\"type\":\"clipboard\",\"text\":" + quote(text) + "}";
    }

    /** Sends one JSON message to the viewer. */
    void send(String json) {
        out.accept(json);
    }

    /** Whether the viewer asked for the video's frame timings. */
    boolean wantsVideoTimings() {
        return videoTimings;
    }

    /** Sends a pushed frame's timing, if the viewer asked for them and the channel is not backed up. */
    void sendTiming(VideoTimings.Frame frame) {
        if (videoTimings && buffered.getAsLong() <= MAX_BUFFERED_FOR_TIMINGS) {
            out.accept(frame.message());
        }
    }

    @Override
    public void onBufferedAmountChange(long previousAmount) {
    }

    @Override
    public void onStateChange() {
    }

    @Override
    public void onMessage(RTCDataChannelBuffer buffer) {
        ByteBuffer data = buffer.data;
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        receive(bytes);
    }

    /** One message from the viewer. */
    void receive(byte[] bytes) {
        try {
            JsonNode message = InputJson.readObject(new String(bytes, StandardCharsets.UTF_8));
            if (VideoTimings.REQUEST_TYPE.equals(message.path("type").asText())) {
                videoTimings = VideoTimings.enabled(message, bytes.length);
            } else {
                input.accept(InputJson.parse(message));
            }
        } catch (InputJson.InputException e) {
            out.accept("{\"type\":\"error\",\"error\":" + quote(e.getMessage()) + "}");
        }
    }

    private static void send(RTCDataChannel channel, String json) {
        try {
            channel.send(new RTCDataChannelBuffer(ByteBuffer.wrap(json.getBytes(StandardCharsets.UTF_8)), false));
        } catch (Exception e) {
            LOG.log(Level.FINE, "data channel send failed", e);
        }
    }

    private static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
}
