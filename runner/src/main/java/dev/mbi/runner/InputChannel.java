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

    /** Passes the input arriving on {@code channel} to {@code input}, if it is the input channel. */
    static void attach(RTCDataChannel channel, Consumer<InputEvent> input) {
        if (LABEL.equals(channel.getLabel())) {
            channel.registerObserver(new InputChannel(channel, input));
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
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
