package dev.mbi.runner;

import dev.mbi.input.InputJson;
import dev.mbi.proto.v1.InputEvent;
import dev.onvoid.webrtc.RTCDataChannel;
import dev.onvoid.webrtc.RTCDataChannelBuffer;
import dev.onvoid.webrtc.RTCDataChannelObserver;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A viewer's "input" data channel: each message is the same JSON input as on the WebSocket; a
 * message that is not valid input gets an error reply on the channel.
 */
final class InputChannel implements RTCDataChannelObserver {
    private static final Logger LOG = Logger.getLogger(InputChannel.class.getName());
    /** The label viewers give the channel. */
    static final String LABEL = "input";

    private final RTCDataChannel channel;
    private final Consumer<InputEvent> input;

    private InputChannel(RTCDataChannel channel, Consumer<InputEvent> input) {
        this.channel = channel;
        this.input = input;
    }

    /** Passes the input arriving on {@code channel} to {@code input}, if it is the input channel; null if not. */
    static InputChannel attach(RTCDataChannel channel, Consumer<InputEvent> input) {
        if (!LABEL.equals(channel.getLabel())) {
            return null;
        }
        InputChannel inputChannel = new InputChannel(channel, input);
        channel.registerObserver(inputChannel);
        return inputChannel;
    }

    /** What the page copied, for the viewer: {"type":"clipboard","text":...}. */
    static String clipboardMessage(String text) {
        return "{\"type\":\"clipboard\",\"text\":" + quote(text) + "}";
    }

    /** Sends one JSON message to the viewer. */
    void send(String json) {
        reply(json);
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
        try {
            input.accept(InputJson.parse(new String(bytes, StandardCharsets.UTF_8)));
        } catch (InputJson.InputException e) {
            reply("{\"type\":\"error\",\"error\":" + quote(e.getMessage()) + "}");
        }
    }

    private void reply(String json) {
        try {
            channel.send(new RTCDataChannelBuffer(ByteBuffer.wrap(json.getBytes(StandardCharsets.UTF_8)), false));
        } catch (Exception e) {
            LOG.log(Level.FINE, "data channel reply failed", e);
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
