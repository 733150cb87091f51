package dev.mbi.runner;

import dev.mbi.contract.RunnerContract;
import dev.mbi.proto.v1.IceServer;
import dev.mbi.proto.v1.IceTransportPolicy;
import dev.mbi.proto.v1.InputEvent;
import dev.mbi.proto.v1.SignalAnswer;
import dev.mbi.proto.v1.Welcome;
import dev.onvoid.webrtc.PeerConnectionFactory;
import dev.onvoid.webrtc.PeerConnectionObserver;
import dev.onvoid.webrtc.RTCConfiguration;
import dev.onvoid.webrtc.RTCDataChannel;
import dev.onvoid.webrtc.RTCIceCandidate;
import dev.onvoid.webrtc.RTCIceConnectionState;
import dev.onvoid.webrtc.RTCIceGatheringState;
import dev.onvoid.webrtc.RTCIceServer;
import dev.onvoid.webrtc.RTCIceTransportPolicy;
import dev.onvoid.webrtc.RTCPeerConnection;
import dev.onvoid.webrtc.RTCPeerConnectionIceErrorEvent;
import dev.onvoid.webrtc.RTCPeerConnectionState;
import dev.onvoid.webrtc.RTCRtpCodecCapability;
import dev.onvoid.webrtc.RTCRtpSender;
import dev.onvoid.webrtc.RTCRtpTransceiver;
import dev.onvoid.webrtc.RTCRtpTransceiverDirection;
import dev.onvoid.webrtc.RTCSdpType;
import dev.onvoid.webrtc.RTCSessionDescription;
import dev.onvoid.webrtc.RTCStats;
import dev.onvoid.webrtc.RTCStatsType;
import dev.onvoid.webrtc.media.MediaType;
import dev.onvoid.webrtc.media.MediaStreamTrack;
import dev.onvoid.webrtc.media.audio.AudioDeviceModule;
import dev.onvoid.webrtc.media.audio.AudioDeviceModuleBase;
import dev.onvoid.webrtc.media.audio.AudioLayer;
import dev.onvoid.webrtc.media.audio.AudioOptions;
import dev.onvoid.webrtc.media.audio.AudioTrack;
import dev.onvoid.webrtc.media.audio.HeadlessAudioDeviceModule;
import dev.onvoid.webrtc.media.video.VideoTrack;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The runner's WebRTC side: one PeerConnection per viewer, all sending the same VP8 video track
 * (and the page's sound as one Opus track, to viewers whose offer asks for audio, where the session
 * may send it), each with an "input" data channel that carries the same JSON input as the WebSocket
 * (and, to a viewer that asks, each pushed video frame's timing: {@link VideoTimings}).
 * Signalling is non-trickle: the answer carries every candidate gathered within a bounded time.
 * <p>
 * Each peer holds native resources (an ICE agent, sockets, an encoder once connected), so a session
 * serves at most {@code maxPeers} of them: an offer beyond that is answered with an error, and a
 * peer that has not connected within {@link #CONNECT_TIMEOUT} (an offer whose viewer went away, or
 * a flood of offers) is closed and its slot freed.
 */
final class WebRtcPeers implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(WebRtcPeers.class.getName());
    /** Gathering is cut off after this long, so a missing STUN or TURN server cannot hang an offer. */
    private static final long GATHER_TIMEOUT_MS = 2_500;
    /** A peer not connected this long after its offer is closed, freeing its slot. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);

    private final String sessionId;
    private final List<RTCIceServer> iceServers;
    private final boolean relayOnly;
    private final Consumer<InputEvent> input;
    private final Consumer<SignalAnswer> answers;
    /** Closes peers off libwebrtc's callback thread, which must not be held up. */
    private final Executor closer;
    /** Watches each new peer's connect deadline. */
    private final ScheduledExecutorService timer;
    private final int maxPeers;
    private final Duration connectTimeout;
    private final PeerConnectionFactory factory;
    private final ViewportVideo video;
    private final VideoTrack track;
    /** The page's sound, recorded from the session's sound server; null: none is sent. */
    private final AudioTrack audioTrack;
    /** The factory records from the session's sound server (set while the factory is made). */
    private boolean soundDevices;
    /** Every peer holding a slot: connected, or still within its connect deadline. Added to under its own lock. */
    private final Map<String, Peer> peers = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private final AtomicLong refused = new AtomicLong();
    private volatile String lastError = "";
    private Totals lastTotals = new Totals(0, 0, 0, 0, System.nanoTime());

    /**
     * @param video makes the video source; called after libwebrtc is loaded (the sources are native)
     * @param closer runs one-off blocking work: closing a peer that failed or was closed remotely
     * @param timer runs the connect deadlines
     * @param maxPeers peers served at once; further offers are refused
     * @param connectTimeout how long a peer may take to connect before it is closed
     * @param audio the page's sound, to send to viewers that ask for it; empty: none is sent
     */
    WebRtcPeers(String sessionId, Welcome welcome, java.util.function.Supplier<ViewportVideo> video,
                Consumer<InputEvent> input, Consumer<SignalAnswer> answers, Executor closer,
                ScheduledExecutorService timer, int maxPeers, Duration connectTimeout, Optional<PageAudio> audio) {
        if (maxPeers < 1) {
            throw new IllegalArgumentException("maxPeers " + maxPeers);
        }
        this.sessionId = sessionId;
        this.iceServers = toRtc(welcome.getIceServersList());
        this.relayOnly = welcome.getIceTransportPolicy() == IceTransportPolicy.ICE_TRANSPORT_POLICY_RELAY;
        this.input = input;
        this.answers = answers;
        this.closer = closer;
        this.timer = timer;
        this.maxPeers = maxPeers;
        this.connectTimeout = connectTimeout;
        // With the session's sound server, libwebrtc records its default source: the monitor of the
        // sink the page plays into. Without one, no device is opened at all (libwebrtc's default
        // module aborts the JVM where it finds no audio device).
        this.factory = new PeerConnectionFactory(audioDevices(sessionId, audio));
        this.video = video.get();
        try {
            this.track = factory.createVideoTrack("viewport", this.video.source());
        } catch (RuntimeException e) {
            this.video.close();
            throw e;
        }
        this.video.reportPushes(this::framePushed);
        // The page's sound as it is: no echo cancelling, gain control or noise suppression (all for voices).
        AudioOptions asIs = new AudioOptions();
        asIs.echoCancellation = false;
        asIs.autoGainControl = false;
        asIs.noiseSuppression = false;
        asIs.highpassFilter = false;
        this.audioTrack = pageSound(sessionId, asIs);
    }

    /** The session's sound server's devices, or none at all (where it has none, or they cannot be opened). */
    private AudioDeviceModuleBase audioDevices(String sessionId, Optional<PageAudio> audio) {
        if (audio.isPresent()) {
            try {
                soundDevices = true;
                return new AudioDeviceModule(AudioLayer.kLinuxPulseAudio);
            } catch (RuntimeException e) {
                LOG.warning("session " + sessionId + ": no sound for WebRTC viewers: " + e.getMessage());
            }
        }
        soundDevices = false;
        return new HeadlessAudioDeviceModule();
    }

    /** The page's sound as a track; null without it (the video goes on regardless). */
    private AudioTrack pageSound(String sessionId, AudioOptions options) {
        if (!soundDevices) {
            return null;
        }
        try {
            return factory.createAudioTrack("page-audio", factory.createAudioSource(options));
        } catch (RuntimeException e) {
            LOG.warning("session " + sessionId + ": no sound for WebRTC viewers: " + e.getMessage());
            return null;
        }
    }

    private static List<RTCIceServer> toRtc(List<IceServer> servers) {
        List<RTCIceServer> out = new ArrayList<>();
        for (IceServer s : servers) {
            RTCIceServer r = new RTCIceServer();
            r.urls = new ArrayList<>(s.getUrlsList());
            r.username = s.getUsername();
            r.password = s.getCredential();
            out.add(r);
        }
        return out;
    }

    /** Every captured frame; encoded only while a viewer is connected. */
    void onFrame(BrowserSession.CapturedFrame frame) {
        video.onFrame(frame);
    }

    /** A frame went to the encoder: its timing goes to the viewers that asked for timings. */
    private void framePushed(VideoTimings.Frame frame) {
        for (Peer p : peers.values()) {
            InputChannel channel = p.channel;
            if (channel != null && p.connected && channel.wantsVideoTimings()) {
                try {
                    channel.sendTiming(frame);
                } catch (RuntimeException e) {
                    LOG.log(Level.FINE, "frame timing for viewer " + p.viewerId + " not sent", e);
                }
            }
        }
    }

    /** Sends one JSON message on every viewer's input channel (e.g. what the page copied). */
    void broadcast(String json) {
        for (Peer p : peers.values()) {
            InputChannel channel = p.channel;
            if (channel != null && p.connected) {
                channel.send(json);
            }
        }
    }

    int connectedPeers() {
        return (int) peers.values().stream().filter(p -> p.connected).count();
    }

    /** Peers holding a slot: connected or still connecting. */
    int peerCount() {
        return peers.size();
    }

    /**
     * Answers one viewer's offer; the answer (or the reason there is none) goes to the answers sink.
     * Refused at once when {@code maxPeers} peers hold a slot.
     */
    void offer(String viewerId, String sdp) {
        try {
            Peer peer;
            synchronized (peers) {
                if (closed) {
                    refuse(viewerId, "the session is ending");
                    return;
                }
                Peer previous = peers.get(viewerId);
                if (previous != null) {
                    // The same viewer offering again: its new connection replaces the old one.
                    previous.close();
                }
                if (peers.size() >= maxPeers) {
                    refuse(viewerId, "this session already has " + peers.size() + " WebRTC viewers, the most it serves ("
                            + RunnerContract.MAX_PEERS_PER_SESSION + "=" + maxPeers + ")");
                    return;
                }
                peer = new Peer(viewerId);
                peers.put(viewerId, peer);
            }
            peer.watchConnect();
            peer.answer(sdp).whenComplete((answerSdp, failure) -> {
                if (failure == null) {
                    answers.accept(SignalAnswer.newBuilder().setViewerId(viewerId).setSdp(answerSdp).build());
                } else {
                    LOG.warning("session " + sessionId + ": no answer for viewer " + viewerId + ": " + failure.getMessage());
                    peer.close();
                    Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                            ? failure.getCause() : failure;
                    answers.accept(SignalAnswer.newBuilder().setViewerId(viewerId).setError(String.valueOf(cause.getMessage()))
                            .setOfferRefused(cause instanceof SdpCalls.BadOffer).build());
                }
            });
        } catch (RuntimeException e) {
            answers.accept(SignalAnswer.newBuilder().setViewerId(viewerId).setError(e.toString()).build());
        }
    }

    private void refuse(String viewerId, String reason) {
        // A flood of offers must not flood the log: the 1st, 2nd, 4th, 8th... refusal is a warning.
        long n = refused.incrementAndGet();
        LOG.log(Long.bitCount(n) == 1 ? Level.WARNING : Level.FINE, "session " + sessionId + ": offer of viewer "
                + viewerId + " refused: " + reason + " (" + n + " refused so far)");
        answers.accept(SignalAnswer.newBuilder().setViewerId(viewerId).setError(reason).build());
    }

    /** Sums of the senders' statistics, to turn into rates between two reports. */
    private record Totals(long framesSent, long bytesSent, long framesDropped, double rttMs, long atNanos) {
    }

    /** Written and read by the one reporting thread ({@link #stats()}). */
    private volatile long framesSentTotal;
    private volatile long bytesSentTotal;

    /** WebRTC figures for the session metrics: {fps, kbit/s, rtt ms, frames skipped by the 30 fps cap}. */
    double[] stats() {
        long frames = 0;
        long bytes = 0;
        double rttSum = 0;
        int rttCount = 0;
        for (Peer p : peers.values()) {
            CompletableFuture<List<RTCStats>> f = new CompletableFuture<>();
            try {
                p.pc.getStats(report -> f.complete(new ArrayList<>(report.getStats().values())));
                for (RTCStats s : f.get(500, TimeUnit.MILLISECONDS)) {
                    Map<String, Object> a = s.getAttributes();
                    if (s.getType() == RTCStatsType.OUTBOUND_RTP && "video".equals(a.get("kind"))) {
                        frames += number(a.get("framesSent"));
                        bytes += number(a.get("bytesSent"));
                    } else if (s.getType() == RTCStatsType.REMOTE_INBOUND_RTP && a.get("roundTripTime") instanceof Number rtt) {
                        rttSum += rtt.doubleValue() * 1000;
                        rttCount++;
                    }
                }
            } catch (Exception e) {
                LOG.log(Level.FINE, "stats of viewer " + p.viewerId + " not available", e);
            }
        }
        Totals now = new Totals(frames, bytes, video.framesSkipped(), rttCount == 0 ? 0 : rttSum / rttCount, System.nanoTime());
        double seconds = Math.max(0.001, (now.atNanos - lastTotals.atNanos) / 1e9);
        long newFrames = Math.max(0, now.framesSent - lastTotals.framesSent);
        long newBytes = Math.max(0, now.bytesSent - lastTotals.bytesSent);
        double fps = newFrames / seconds;
        double kbps = newBytes * 8 / 1000.0 / seconds;
        // Peers come and go (their totals with them): the session's own totals only grow.
        framesSentTotal += newFrames;
        bytesSentTotal += newBytes;
        lastTotals = now;
        return new double[] {fps, kbps, now.rttMs, now.framesDropped};
    }

    /** Video frames sent to all peers since the session started (as of the last {@link #stats()}). */
    long framesSentTotal() {
        return framesSentTotal;
    }

    /** Video bytes sent to all peers since the session started (as of the last {@link #stats()}). */
    long bytesSentTotal() {
        return bytesSentTotal;
    }

    String lastError() {
        return lastError;
    }

    private static long number(Object o) {
        return o instanceof Number n ? n.longValue() : 0;
    }

    private void updateFeed() {
        video.setActive(connectedPeers() > 0);
    }

    @Override
    public void close() {
        synchronized (peers) {
            closed = true;
        }
        video.close();
        for (Peer p : peers.values()) {
            p.close();
        }
        peers.clear();
        // The process exits next; libwebrtc's own objects go with it (disposing them in the
        // wrong order crashes, and nothing is gained).
    }

    /** One viewer's PeerConnection. */
    private final class Peer implements PeerConnectionObserver {
        final String viewerId;
        final RTCPeerConnection pc;
        final CompletableFuture<Void> gathered = new CompletableFuture<>();
        volatile boolean connected;
        volatile boolean closed;
        /** The viewer's input channel, once it opened it. */
        volatile InputChannel channel;
        private volatile ScheduledFuture<?> connectDeadline;

        Peer(String viewerId) {
            this.viewerId = viewerId;
            RTCConfiguration config = new RTCConfiguration();
            config.iceServers = iceServers;
            config.iceTransportPolicy = relayOnly ? RTCIceTransportPolicy.RELAY : RTCIceTransportPolicy.ALL;
            this.pc = factory.createPeerConnection(config, this);
        }

        /** Closes this peer if it has not connected within the connect timeout. */
        void watchConnect() {
            try {
                connectDeadline = timer.schedule(() -> {
                    if (!connected && !closed) {
                        LOG.info("session " + sessionId + ": WebRTC viewer " + viewerId + " did not connect within "
                                + connectTimeout.toMillis() + " ms; closing it");
                        closeLater();
                    }
                }, connectTimeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // the runner is stopping; its end closes every peer
            }
            if (closed) {
                cancelDeadline();
            }
        }

        private void cancelDeadline() {
            ScheduledFuture<?> deadline = connectDeadline;
            if (deadline != null) {
                deadline.cancel(false);
            }
        }

        CompletableFuture<String> answer(String offerSdp) {
            return SdpCalls.setRemote(pc, new RTCSessionDescription(RTCSdpType.OFFER, offerSdp))
                    .thenCompose(ignored -> {
                        addVideo();
                        addAudio();
                        return SdpCalls.createAnswer(pc);
                    })
                    .thenCompose(description -> SdpCalls.setLocal(pc, description))
                    .thenCompose(ignored -> gathered.completeOnTimeout(null, GATHER_TIMEOUT_MS, TimeUnit.MILLISECONDS))
                    .thenApply(ignored -> pc.getLocalDescription().sdp);
        }

        /** Sends the viewport track on the offer's video m-line, with VP8 as the only codec. */
        private void addVideo() {
            RTCRtpSender sender = pc.addTrack(track, List.of("viewport"));
            for (RTCRtpTransceiver t : pc.getTransceivers()) {
                if (t.getSender() != null && t.getSender().getTrack() != null
                        && track.getId().equals(t.getSender().getTrack().getId())) {
                    t.setDirection(RTCRtpTransceiverDirection.SEND_ONLY);
                    List<RTCRtpCodecCapability> vp8 = new ArrayList<>();
                    for (RTCRtpCodecCapability c : factory.getRtpSenderCapabilities(MediaType.VIDEO).getCodecs()) {
                        if (c.getName().equalsIgnoreCase("VP8")) {
                            vp8.add(c);
                        }
                    }
                    if (!vp8.isEmpty()) {
                        t.setCodecPreferences(vp8);
                    }
                }
            }
            if (sender == null) {
                throw new IllegalStateException("the offer has no video to answer");
            }
        }

        /**
         * Sends the page's sound on the offer's audio m-line, if it has one and the session sends
         * sound; otherwise that m-line is answered inactive.
         */
        private void addAudio() {
            if (audioTrack == null) {
                return;
            }
            for (RTCRtpTransceiver t : pc.getTransceivers()) {
                MediaStreamTrack receiving = t.getReceiver() == null ? null : t.getReceiver().getTrack();
                if (receiving != null && MediaStreamTrack.AUDIO_TRACK_KIND.equals(receiving.getKind())) {
                    t.getSender().replaceTrack(audioTrack);
                    t.getSender().setStreams(List.of("viewport"));
                    t.setDirection(RTCRtpTransceiverDirection.SEND_ONLY);
                    return;
                }
            }
        }

        @Override
        public void onIceCandidate(RTCIceCandidate candidate) {
            // Non-trickle: candidates travel inside the answer.
        }

        @Override
        public void onIceGatheringChange(RTCIceGatheringState state) {
            if (state == RTCIceGatheringState.COMPLETE) {
                gathered.complete(null);
            }
        }

        @Override
        public void onIceCandidateError(RTCPeerConnectionIceErrorEvent event) {
            lastError = "ICE server " + event.getUrl() + " failed: " + event.getErrorCode() + " " + event.getErrorText();
            LOG.warning("session " + sessionId + ": viewer " + viewerId + ": " + lastError);
        }

        @Override
        public void onIceConnectionChange(RTCIceConnectionState state) {
            if (state == RTCIceConnectionState.FAILED) {
                lastError = "ICE failed for viewer " + viewerId + ": no usable network path"
                        + (relayOnly ? " through the TURN server (check TURN_HOST, TURN_PORT and the credentials)" : "");
                LOG.warning("session " + sessionId + ": " + lastError);
            }
        }

        @Override
        public void onConnectionChange(RTCPeerConnectionState state) {
            LOG.fine(() -> "session " + sessionId + ": viewer " + viewerId + " " + state);
            switch (state) {
                case CONNECTED -> {
                    if (closed) {
                        return;
                    }
                    connected = true;
                    cancelDeadline();
                    updateFeed();
                    video.viewerJoined();
                    LOG.info("session " + sessionId + ": WebRTC viewer " + viewerId + " connected ("
                            + connectedPeers() + " connected)");
                }
                case FAILED, CLOSED -> closeLater();
                default -> {
                }
            }
        }

        @Override
        public void onDataChannel(RTCDataChannel channel) {
            InputChannel attached = InputChannel.attach(channel, input);
            if (attached != null) {
                this.channel = attached;
            }
        }

        private void closeLater() {
            try {
                closer.execute(this::close);
            } catch (RejectedExecutionException e) {
                // the runner is stopping; its end closes every peer
            }
        }

        void close() {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
            }
            cancelDeadline();
            boolean wasConnected = connected;
            connected = false;
            peers.remove(viewerId, this);
            updateFeed();
            try {
                pc.close();
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "closing viewer " + viewerId, e);
            }
            if (wasConnected) {
                LOG.info("session " + sessionId + ": WebRTC viewer " + viewerId + " left (" + connectedPeers() + " connected)");
            }
        }
    }
}
