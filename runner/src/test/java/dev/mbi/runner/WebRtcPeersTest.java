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
import dev.onvoid.webrtc.RTCDataChannelInit;
import dev.onvoid.webrtc.RTCIceCandidate;
import dev.onvoid.webrtc.RTCIceGatheringState;
import dev.onvoid.webrtc.RTCOfferOptions;
import dev.onvoid.webrtc.RTCPeerConnection;
import dev.onvoid.webrtc.RTCRtpTransceiverDirection;
import dev.onvoid.webrtc.RTCRtpTransceiverInit;
import dev.onvoid.webrtc.RTCSdpType;
import dev.onvoid.webrtc.RTCSessionDescription;
import dev.onvoid.webrtc.media.audio.HeadlessAudioDeviceModule;
import dev.onvoid.webrtc.media.video.CustomVideoSource;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A session's WebRTC peers are limited: extra offers are refused at once, and peers that never connect give their slot back. */
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
            pc.addTransceiver(viewers.createVideoTrack("unused", new CustomVideoSource()), init);
            pc.createDataChannel(InputChannel.LABEL, new RTCDataChannelInit());
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
}
