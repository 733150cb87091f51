package dev.mbi.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.proto.v1.SignalAnswer;
import dev.mbi.proto.v1.Welcome;
import dev.onvoid.webrtc.CreateSessionDescriptionObserver;
import dev.onvoid.webrtc.PeerConnectionFactory;
import dev.onvoid.webrtc.PeerConnectionObserver;
import dev.onvoid.webrtc.RTCConfiguration;
import dev.onvoid.webrtc.RTCDataChannel;
import dev.onvoid.webrtc.RTCDataChannelBuffer;
import dev.onvoid.webrtc.RTCDataChannelInit;
import dev.onvoid.webrtc.RTCDataChannelObserver;
import dev.onvoid.webrtc.RTCDataChannelState;
import dev.onvoid.webrtc.RTCIceCandidate;
import dev.onvoid.webrtc.RTCIceGatheringState;
import dev.onvoid.webrtc.RTCOfferOptions;
import dev.onvoid.webrtc.RTCPeerConnection;
import dev.onvoid.webrtc.RTCRtpSynchronizationSource;
import dev.onvoid.webrtc.RTCRtpTransceiver;
import dev.onvoid.webrtc.RTCRtpTransceiverDirection;
import dev.onvoid.webrtc.RTCRtpTransceiverInit;
import dev.onvoid.webrtc.RTCSdpType;
import dev.onvoid.webrtc.RTCSessionDescription;
import dev.onvoid.webrtc.media.audio.HeadlessAudioDeviceModule;
import dev.onvoid.webrtc.media.video.CustomVideoSource;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mbi.relay.UnixMicros;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import javax.imageio.ImageIO;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A session's WebRTC peers are limited: extra offers are refused at once, and peers that never
 * connect give their slot back. A viewer that asks gets each pushed frame's timing, from which its
 * RTP timestamp follows.
 */
class WebRtcPeersTest {
    private static PeerConnectionFactory viewers;

    @BeforeAll
    static void viewerSide() {
        viewers = new PeerConnectionFactory(new HeadlessAudioDeviceModule());
    }

    @AfterAll
    static void noViewerSide() {
        // libwebrtc's factory is left to the JVM's end, as in the runner: disposing it races its threads.
        viewers = null;
    }

    /** A viewer as the web UI is one: a receive-only video and an "input" data channel. */
    private static final class Viewer implements AutoCloseable {
        final RTCPeerConnection pc;
        final CompletableFuture<Void> gathered = new CompletableFuture<>();
        final RTCRtpTransceiver video;
        final RTCDataChannel input;
        final CompletableFuture<Void> inputOpen = new CompletableFuture<>();
        /** What the runner sent on the input channel. */
        final ConcurrentLinkedQueue<String> received = new ConcurrentLinkedQueue<>();

        Viewer() {
            pc = viewers.createPeerConnection(new RTCConfiguration(), new PeerConnectionObserver() {
                @Override
                public void onIceCandidate(RTCIceCandidate candidate) {
                }

                @Override
                public void onIceGatheringChange(RTCIceGatheringState state) {
                    if (state == RTCIceGatheringState.COMPLETE) {
                        gathered.complete(null);
                    }
                }
            });
            RTCRtpTransceiverInit init = new RTCRtpTransceiverInit();
            init.direction = RTCRtpTransceiverDirection.RECV_ONLY;
            video = pc.addTransceiver(viewers.createVideoTrack("unused", new CustomVideoSource()), init);
            input = pc.createDataChannel(InputChannel.LABEL, new RTCDataChannelInit());
            input.registerObserver(new RTCDataChannelObserver() {
                @Override
                public void onBufferedAmountChange(long previousAmount) {
                }

                @Override
                public void onStateChange() {
                    if (input.getState() == RTCDataChannelState.OPEN) {
                        inputOpen.complete(null);
                    }
                }

                @Override
                public void onMessage(RTCDataChannelBuffer buffer) {
                    byte[] bytes = new byte[buffer.data.remaining()];
                    buffer.data.get(bytes);
                    received.add(new String(bytes, StandardCharsets.UTF_8));
                }
            });
        }

        void send(String json) throws Exception {
            input.send(new RTCDataChannelBuffer(ByteBuffer.wrap(json.getBytes(StandardCharsets.UTF_8)), false));
        }

        /** The RTP timestamp of the newest video frame this viewer received, or -1 before the first. */
        long lastRtpTimestamp() {
            for (RTCRtpSynchronizationSource source : video.getReceiver().getSynchronizationSources()) {
                return source.rtpTimestamp & 0xFFFF_FFFFL;
            }
            return -1;
        }

        /** The frame timings the runner sent. */
        List<JsonNode> timings() throws Exception {
            List<JsonNode> timings = new ArrayList<>();
            for (String message : received) {
                JsonNode n = JSON.readTree(message);
                if ("videoTiming".equals(n.path("type").asText())) {
                    timings.add(n);
                }
            }
            return timings;
        }

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
            SdpCalls.setLocal(pc, created.get(5, TimeUnit.SECONDS)).get(5, TimeUnit.SECONDS);
            gathered.completeOnTimeout(null, 3, TimeUnit.SECONDS).get();
            return pc.getLocalDescription().sdp;
        }

        void accept(String answer) throws Exception {
            SdpCalls.setRemote(pc, new RTCSessionDescription(RTCSdpType.ANSWER, answer)).get(5, TimeUnit.SECONDS);
        }

        @Override
        public void close() {
            pc.close();
        }
    }

    @Test
    void anOfferFloodGetsOnlyTheAllowedPeersAndAnUnconnectedPeerIsReclaimed() throws Exception {
        Map<String, SignalAnswer> answers = new ConcurrentHashMap<>();
        Duration connectTimeout = Duration.ofSeconds(3);
        Welcome welcome = Welcome.newBuilder().setViewportWidth(640).setViewportHeight(360).build();
        try (RunnerExecutors executors = RunnerExecutors.create();
             Viewer watching = new Viewer();
             Viewer flooding = new Viewer()) {
            WebRtcPeers peers = new WebRtcPeers("limits", welcome, () -> new ScreencastVideo(executors), event -> { },
                    answer -> answers.put(answer.getViewerId(), answer), executors.tasks(), executors.timer(), 2, connectTimeout,
                    java.util.Optional.empty());
            try {
                // One viewer connects and keeps its slot.
                peers.offer("watching", watching.offer());
                Awaitility.await("an answer").atMost(Duration.ofSeconds(10)).until(() -> answers.containsKey("watching"));
                assertEquals("", answers.get("watching").getError());
                watching.accept(answers.get("watching").getSdp());
                Awaitility.await("the viewer connects").atMost(Duration.ofSeconds(10)).until(() -> peers.connectedPeers() == 1);

                // A flood of offers: one more peer fits, every other offer is refused at once with the reason.
                String flood = flooding.offer();
                long t0 = System.nanoTime();
                for (int i = 0; i < 20; i++) {
                    peers.offer("flood-" + i, flood);
                }
                for (int i = 1; i < 20; i++) {
                    SignalAnswer a = answers.get("flood-" + i);
                    assertTrue(a != null && a.getSdp().isEmpty(), "flood-" + i + " is answered with an error at once: " + a);
                    assertEquals("this session already has 2 WebRTC viewers, the most it serves (MAX_PEERS_PER_SESSION=2)", a.getError());
                }
                assertTrue((System.nanoTime() - t0) / 1_000_000 < 2_000, "refusals do not wait for anything");
                assertEquals(2, peers.peerCount());
                Awaitility.await("an answer for the one that fit").atMost(Duration.ofSeconds(10))
                        .until(() -> answers.containsKey("flood-0"));
                assertFalse(answers.get("flood-0").getSdp().isEmpty(), answers.get("flood-0").getError());

                // flood-0 never connects: after the timeout its slot is free again; the connected viewer stays.
                Awaitility.await("the unconnected peer is reclaimed").atMost(connectTimeout.plusSeconds(5))
                        .until(() -> peers.peerCount() == 1);
                assertEquals(1, peers.connectedPeers());
                peers.offer("after", flood);
                Awaitility.await("a new offer is answered").atMost(Duration.ofSeconds(10)).until(() -> answers.containsKey("after"));
                assertEquals("", answers.get("after").getError());
                assertFalse(answers.get("after").getSdp().isEmpty());
            } finally {
                peers.close();
            }
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A screencast picture of one colour, as the runner gets them from Chromium. */
    private static byte[] jpeg(Color color) throws Exception {
        BufferedImage image = new BufferedImage(320, 180, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = image.createGraphics();
        g.setColor(color);
        g.fillRect(0, 0, 320, 180);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "jpeg", out);
        return out.toByteArray();
    }

    private static void connect(WebRtcPeers peers, String viewerId, Viewer viewer, Map<String, SignalAnswer> answers) throws Exception {
        peers.offer(viewerId, viewer.offer());
        Awaitility.await("an answer").atMost(Duration.ofSeconds(10)).until(() -> answers.containsKey(viewerId));
        assertEquals("", answers.get(viewerId).getError());
        viewer.accept(answers.get(viewerId).getSdp());
        viewer.inputOpen.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aViewerThatAsksGetsEachPushedFramesTimingWhichGivesTheFramesRtpTimestamp() throws Exception {
        Map<String, SignalAnswer> answers = new ConcurrentHashMap<>();
        Welcome welcome = Welcome.newBuilder().setViewportWidth(320).setViewportHeight(180).build();
        byte[][] pictures = {jpeg(Color.BLACK), jpeg(Color.WHITE)};
        try (RunnerExecutors executors = RunnerExecutors.create();
             Viewer asking = new Viewer();
             Viewer quiet = new Viewer()) {
            WebRtcPeers peers = new WebRtcPeers("timings", welcome, () -> new ScreencastVideo(executors), event -> { },
                    answer -> answers.put(answer.getViewerId(), answer), executors.tasks(), executors.timer(), 2,
                    Duration.ofSeconds(30), Optional.empty());
            try {
                connect(peers, "asking", asking, answers);
                connect(peers, "quiet", quiet, answers);
                asking.send("{\"type\":\"videoTimings\",\"enabled\":true}");
                Awaitility.await("the request arrived").atMost(Duration.ofSeconds(5)).until(() -> {
                    peers.onFrame(new BrowserSession.CapturedFrame(pictures[0], 320, 180, UnixMicros.now()));
                    return !asking.timings().isEmpty();
                });

                // A page that changes every 50 ms; the receiver's newest RTP timestamp is read meanwhile.
                Set<Long> shown = new HashSet<>();
                long capturedUs = 0;
                for (int i = 0; i < 60; i++) {
                    capturedUs = UnixMicros.now();
                    peers.onFrame(new BrowserSession.CapturedFrame(pictures[i % 2], 320, 180, capturedUs));
                    for (int poll = 0; poll < 10; poll++) {
                        long rtp = asking.lastRtpTimestamp();
                        if (rtp >= 0) {
                            shown.add(rtp);
                        }
                        Thread.sleep(5);
                    }
                }
                long lastCapturedMs = capturedUs / 1000;
                Awaitility.await("the last picture's timing").atMost(Duration.ofSeconds(2))
                        .until(() -> asking.timings().getLast().get("capturedAt").asLong() == lastCapturedMs);
                List<JsonNode> timings = asking.timings();
                assertTrue(timings.size() >= 30, "a timing per pushed frame: " + timings.size());
                JsonNode last = timings.getLast();
                long pushedAt = last.get("pushedAt").asLong();
                assertTrue(pushedAt >= lastCapturedMs && pushedAt <= System.currentTimeMillis(), last.toString());
                assertEquals(List.of(), quiet.timings(), "a viewer that did not ask gets none");

                // (rtp − 90 × ntpMs) mod 2^32 is one value for the stream: the most frequent one over
                // all pairs matches nearly every frame received to the timing of the frame pushed.
                Map<Long, Integer> votes = new HashMap<>();
                for (long rtp : shown) {
                    for (JsonNode t : timings) {
                        votes.merge(offset(rtp, t.get("ntpMs").asLong()), 1, Integer::sum);
                    }
                }
                long k = votes.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
                long matched = shown.stream()
                        .filter(rtp -> timings.stream().anyMatch(t -> offset(rtp, t.get("ntpMs").asLong()) == k)).count();
                assertTrue(shown.size() >= 10, "frames received: " + shown.size());
                assertTrue(matched >= 0.8 * shown.size(), matched + " of " + shown.size() + " received frames matched a timing");

                // Turned off, they stop.
                asking.send("{\"type\":\"videoTimings\",\"enabled\":false}");
                Thread.sleep(500);
                int before = asking.timings().size();
                for (int i = 0; i < 10; i++) {
                    peers.onFrame(new BrowserSession.CapturedFrame(pictures[i % 2], 320, 180, UnixMicros.now()));
                    Thread.sleep(50);
                }
                assertEquals(before, asking.timings().size());
            } finally {
                peers.close();
            }
        }
    }

    private static long offset(long rtp, long ntpMs) {
        return (rtp - 90 * ntpMs) & 0xFFFF_FFFFL;
    }
}
