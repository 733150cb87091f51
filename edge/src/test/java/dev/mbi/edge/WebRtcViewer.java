package dev.mbi.edge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.onvoid.webrtc.CreateSessionDescriptionObserver;
import dev.onvoid.webrtc.PeerConnectionFactory;
import dev.onvoid.webrtc.PeerConnectionObserver;
import dev.onvoid.webrtc.RTCConfiguration;
import dev.onvoid.webrtc.RTCDataChannel;
import dev.onvoid.webrtc.RTCDataChannelBuffer;
import dev.onvoid.webrtc.RTCDataChannelInit;
import dev.onvoid.webrtc.RTCDataChannelState;
import dev.onvoid.webrtc.RTCIceCandidate;
import dev.onvoid.webrtc.RTCIceConnectionState;
import dev.onvoid.webrtc.RTCIceGatheringState;
import dev.onvoid.webrtc.RTCIceServer;
import dev.onvoid.webrtc.RTCIceTransportPolicy;
import dev.onvoid.webrtc.RTCOfferOptions;
import dev.onvoid.webrtc.RTCPeerConnection;
import dev.onvoid.webrtc.RTCPeerConnectionIceErrorEvent;
import dev.onvoid.webrtc.RTCRtpTransceiver;
import dev.onvoid.webrtc.RTCRtpTransceiverDirection;
import dev.onvoid.webrtc.RTCRtpTransceiverInit;
import dev.onvoid.webrtc.RTCSdpType;
import dev.onvoid.webrtc.RTCSessionDescription;
import dev.onvoid.webrtc.SetSessionDescriptionObserver;
import dev.onvoid.webrtc.media.audio.HeadlessAudioDeviceModule;
import dev.onvoid.webrtc.media.video.CustomVideoSource;
import dev.onvoid.webrtc.media.video.I420Buffer;
import dev.onvoid.webrtc.media.video.VideoFrame;
import dev.onvoid.webrtc.media.video.VideoTrack;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A WebRTC viewer as a browser would be one: asks /ice, offers a receive-only video and an
 * "input" data channel, posts the offer to the edge, and decodes the video it receives.
 */
final class WebRtcViewer implements AutoCloseable {
    /** One factory for the test JVM: libwebrtc's threads are expensive and its disposal fragile. */
    private static PeerConnectionFactory factory;

    final RTCPeerConnection pc;
    final RTCDataChannel input;
    final CompletableFuture<Void> gathered = new CompletableFuture<>();
    final CompletableFuture<Void> iceFailed = new CompletableFuture<>();
    final List<String> iceErrors = new CopyOnWriteArrayList<>();
    volatile RTCIceConnectionState iceState = RTCIceConnectionState.NEW;
    volatile String answerSdp = "";
    /** The newest decoded frame: width, height and the RGB at the probe point. */
    volatile int[] latest;
    volatile long framesReceived;
    /** A pending wait for a probe colour, completed from the decoding thread with the arrival time. */
    private volatile IntPredicate awaited;
    private volatile CompletableFuture<Long> awaitedAt;
    private final int probeX;
    private final int probeY;

    /** The page's sound as received: 16-bit samples seen, and how many of them were not near silence. */
    final java.util.concurrent.atomic.AtomicLong audioSamples = new java.util.concurrent.atomic.AtomicLong();
    final java.util.concurrent.atomic.AtomicLong loudSamples = new java.util.concurrent.atomic.AtomicLong();

    private static HeadlessAudioDeviceModule audioDevices;
    private static boolean playing;

    static synchronized PeerConnectionFactory factory() {
        if (factory == null) {
            audioDevices = new HeadlessAudioDeviceModule();
            factory = new PeerConnectionFactory(audioDevices);
        }
        return factory;
    }

    /** Playout pulls received audio through the pipeline (to nowhere): without it no sink hears a sample. */
    private static synchronized void startPlayout() {
        if (!playing) {
            playing = true;
            audioDevices.initPlayout();
            audioDevices.startPlayout();
        }
    }

    WebRtcViewer(JsonNode iceConfig, boolean relayOnly, int probeX, int probeY) {
        this.probeX = probeX;
        this.probeY = probeY;
        RTCConfiguration config = new RTCConfiguration();
        config.iceServers = new ArrayList<>();
        for (JsonNode s : iceConfig.get("iceServers")) {
            RTCIceServer server = new RTCIceServer();
            server.urls = new ArrayList<>();
            s.get("urls").forEach(u -> server.urls.add(u.asText()));
            server.username = s.path("username").asText("");
            server.password = s.path("credential").asText("");
            config.iceServers.add(server);
        }
        config.iceTransportPolicy = relayOnly ? RTCIceTransportPolicy.RELAY : RTCIceTransportPolicy.ALL;
        pc = factory().createPeerConnection(config, new PeerConnectionObserver() {
            @Override
            public void onIceCandidate(RTCIceCandidate candidate) {
            }

            @Override
            public void onIceGatheringChange(RTCIceGatheringState state) {
                if (state == RTCIceGatheringState.COMPLETE) {
                    gathered.complete(null);
                }
            }

            @Override
            public void onIceConnectionChange(RTCIceConnectionState state) {
                iceState = state;
                if (state == RTCIceConnectionState.FAILED) {
                    iceFailed.complete(null);
                }
            }

            @Override
            public void onIceCandidateError(RTCPeerConnectionIceErrorEvent event) {
                iceErrors.add(event.getErrorCode() + " " + event.getErrorText());
            }

        });
        // A receive-only video m-line; libwebrtc wants a track object even for receiving.
        RTCRtpTransceiverInit init = new RTCRtpTransceiverInit();
        init.direction = RTCRtpTransceiverDirection.RECV_ONLY;
        RTCRtpTransceiver video = pc.addTransceiver(factory().createVideoTrack("unused", new CustomVideoSource()), init);
        ((VideoTrack) video.getReceiver().getTrack()).addSink(this::onFrame);
        RTCDataChannelInit channel = new RTCDataChannelInit();
        channel.ordered = true;
        input = pc.createDataChannel("input", channel);
    }

    /** Asks for the page's sound too (a receive-only audio m-line, as the web UI offers), and listens to it. */
    void receiveAudio() {
        RTCRtpTransceiverInit init = new RTCRtpTransceiverInit();
        init.direction = RTCRtpTransceiverDirection.RECV_ONLY;
        RTCRtpTransceiver audio = pc.addTransceiver(factory().createAudioTrack("unused-audio",
                factory().createAudioSource(new dev.onvoid.webrtc.media.audio.AudioOptions())), init);
        ((dev.onvoid.webrtc.media.audio.AudioTrack) audio.getReceiver().getTrack()).addSink(
                (data, bitsPerSample, sampleRate, channels, frames) -> {
                    if (bitsPerSample != 16) {
                        return;
                    }
                    ByteBuffer samples = ByteBuffer.wrap(data).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                    long loud = 0;
                    int n = Math.min(data.length / 2, frames * channels);
                    for (int i = 0; i < n; i++) {
                        if (Math.abs(samples.getShort(i * 2)) > 1_000) {
                            loud++;
                        }
                    }
                    audioSamples.addAndGet(n);
                    loudSamples.addAndGet(loud);
                });
        startPlayout();
    }

    /** The receiver's audio statistics (inbound-rtp of kind audio), for a failure message. */
    String audioStats() throws Exception {
        CompletableFuture<String> out = new CompletableFuture<>();
        pc.getStats(report -> {
            StringBuilder b = new StringBuilder();
            report.getStats().values().forEach(s -> {
                if ("audio".equals(s.getAttributes().get("kind"))) {
                    b.append(s.getType()).append(' ').append(s.getAttributes()).append('\n');
                }
            });
            out.complete(b.toString());
        });
        return out.get(5, TimeUnit.SECONDS);
    }

    /** Creates the offer and waits (bounded) until its candidates are gathered. */
    String offer() throws Exception {
        CompletableFuture<RTCSessionDescription> created = new CompletableFuture<>();
        pc.createOffer(new RTCOfferOptions(), new CreateSessionDescriptionObserver() {
            @Override
            public void onSuccess(RTCSessionDescription description) {
                created.complete(description);
            }

            @Override
            public void onFailure(String error) {
                created.completeExceptionally(new IllegalStateException(error));
            }
        });
        RTCSessionDescription offer = created.get(5, TimeUnit.SECONDS);
        CompletableFuture<Void> set = new CompletableFuture<>();
        pc.setLocalDescription(offer, observer(set));
        set.get(5, TimeUnit.SECONDS);
        gathered.completeOnTimeout(null, 3, TimeUnit.SECONDS).get();
        return pc.getLocalDescription().sdp;
    }

    void accept(String sdp) throws Exception {
        answerSdp = sdp;
        CompletableFuture<Void> set = new CompletableFuture<>();
        pc.setRemoteDescription(new RTCSessionDescription(RTCSdpType.ANSWER, sdp), observer(set));
        set.get(5, TimeUnit.SECONDS);
    }

    private static SetSessionDescriptionObserver observer(CompletableFuture<Void> done) {
        return new SetSessionDescriptionObserver() {
            @Override
            public void onSuccess() {
                done.complete(null);
            }

            @Override
            public void onFailure(String error) {
                done.completeExceptionally(new IllegalStateException(error));
            }
        };
    }

    private void onFrame(VideoFrame frame) {
        I420Buffer i420 = frame.buffer.toI420();
        try {
            int w = i420.getWidth();
            int h = i420.getHeight();
            int x = Math.min(probeX, w - 1);
            int y = Math.min(probeY, h - 1);
            int luma = i420.getDataY().get(y * i420.getStrideY() + x) & 0xFF;
            int u = (i420.getDataU().get((y / 2) * i420.getStrideU() + x / 2) & 0xFF) - 128;
            int v = (i420.getDataV().get((y / 2) * i420.getStrideV() + x / 2) & 0xFF) - 128;
            int r = clamp(luma + 1.402 * v);
            int g = clamp(luma - 0.344 * u - 0.714 * v);
            int b = clamp(luma + 1.772 * u);
            int rgb = (r << 16) | (g << 8) | b;
            latest = new int[] {w, h, rgb};
            framesReceived++;
            IntPredicate wanted = awaited;
            if (wanted != null && wanted.test(rgb)) {
                awaited = null;
                awaitedAt.complete(System.nanoTime());
            }
        } finally {
            i420.release();
        }
    }

    private static int clamp(double v) {
        return (int) Math.max(0, Math.min(255, Math.round(v)));
    }

    /** Waits for a decoded frame whose probe pixel passes the test; returns {width, height, rgb}. */
    int[] awaitPixel(IntPredicate rgb, long timeoutMs) {
        try {
            return TestStack.await("a matching video frame", Duration.ofMillis(timeoutMs)).pollInterval(Duration.ofMillis(20))
                    .until(() -> latest, f -> f != null && rgb.test(f[2]));
        } catch (ConditionTimeoutException e) {
            int[] f = latest;
            throw new AssertionError("no matching video frame within " + timeoutMs + " ms (ICE " + iceState + ", "
                    + framesReceived + " frames, last probe " + (f == null ? "none" : Integer.toHexString(f[2])) + ")", e);
        }
    }

    /** Arms a wait for the first frame whose probe pixel passes the test; the future gets its arrival time. */
    CompletableFuture<Long> expect(IntPredicate rgb) {
        awaitedAt = new CompletableFuture<>();
        awaited = rgb;
        return awaitedAt;
    }

    void send(String json) throws Exception {
        try {
            TestStack.await("the input data channel open", Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                    .until(() -> input.getState() == RTCDataChannelState.OPEN);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("the input data channel did not open (ICE " + iceState + ")", e);
        }
        input.send(new RTCDataChannelBuffer(ByteBuffer.wrap(json.getBytes(StandardCharsets.UTF_8)), false));
    }

    /** A left click at (x, y) in the frame's pixels, over the data channel. */
    void click(int x, int y) throws Exception {
        send("{\"type\":\"mousedown\",\"x\":" + x + ",\"y\":" + y + ",\"button\":\"left\"}");
        send("{\"type\":\"mouseup\",\"x\":" + x + ",\"y\":" + y + ",\"button\":\"left\"}");
    }

    /** The codec the answer put first on its video line, e.g. "VP8". */
    String negotiatedVideoCodec() {
        String firstPayload = null;
        for (String line : answerSdp.split("\r?\n")) {
            if (line.startsWith("m=video")) {
                firstPayload = line.split(" ")[3];
            } else if (firstPayload != null && line.startsWith("a=rtpmap:" + firstPayload + " ")) {
                return line.substring(line.indexOf(' ') + 1).split("/")[0];
            }
        }
        return "";
    }

    @Override
    public void close() {
        pc.close();
    }
}
