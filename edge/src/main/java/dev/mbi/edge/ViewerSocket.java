package dev.mbi.edge;

import dev.mbi.input.InputJson;
import dev.mbi.proto.v1.AttachRequest;
import dev.mbi.proto.v1.Heartbeat;
import dev.mbi.proto.v1.ViewerMessage;
import dev.mbi.proto.v1.ViewerUpdate;
import dev.mbi.relay.NewestFrameSender;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.helidon.common.buffers.BufferData;
import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.websocket.WsCloseCodes;
import io.helidon.websocket.WsListener;
import io.helidon.websocket.WsSession;
import io.helidon.websocket.WsUpgradeException;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * One client's WebSocket on /ws/sessions/{id}, relayed to the control plane's Attach stream:
 * frames and status out (a slow client skips frames), input events in. Opened only from an
 * allowed Origin and with a credential for the session ({@link Access}). Messages other than
 * frames (status, errors, pings) wait in a bounded queue: a client that lets it fill has stopped
 * reading, and its socket is closed with 1008 (policy violation). When the control plane goes
 * away (a restart, a network failure) the socket stays open: the client is told
 * {@code {"type":"status","status":"reconnecting"}} and the stream is attached again, with backoff,
 * for up to {@link #REATTACH_WINDOW}; the control plane's first status then says the session is back.
 */
final class ViewerSocket implements WsListener {
    private static final Logger LOG = Logger.getLogger(ViewerSocket.class.getName());
    static final String PATH_PREFIX = "/ws/sessions/";
    /** Status, error and ping messages that may wait for one client; frames never queue (only the newest waits). */
    static final int QUEUE_CAPACITY = 256;
    /** How long a viewer's socket keeps attaching again to a control plane that went away. */
    static final java.time.Duration REATTACH_WINDOW = java.time.Duration.ofSeconds(60);
    private static final long FIRST_REATTACH_MS = 200;
    private static final long MOST_REATTACH_MS = 2_000;
    /** How long a closing socket may take to deliver its close frame before the connection is cut. */
    private static final long CLOSE_GRACE_SECONDS = 10;

    /** What goes out on the socket; pings share the single writer with text. */
    private sealed interface Outgoing permits Text, Binary, Ping {
    }

    private record Text(String json) implements Outgoing {
    }

    /** A frame in the binary mode: see {@link FrameMessages#binary}. */
    private record Binary(byte[] bytes) implements Outgoing {
    }

    private record Ping() implements Outgoing {
    }

    private final ControlPlaneClient controlPlane;
    private final ViewerSockets registry;
    private final Access access;
    private final EdgeMetrics metrics;
    private final java.util.concurrent.atomic.AtomicBoolean overflowed = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean closed;
    private volatile String sessionId;
    /** Asked for with ?frames=binary: frames go as binary messages (a JSON header, then the JPEG), not base64 in JSON. */
    private volatile boolean binaryFrames;
    private volatile WsSession socket;
    private volatile NewestFrameSender<Outgoing> out;
    private StreamObserver<ViewerMessage> upstream;
    /** The stream attached now; updates and failures of an older one are ignored. */
    private volatile Downstream current;
    /** When attaching again gives up (System.nanoTime), or 0 while attached. */
    private volatile long reattachDeadline;
    private volatile long reattachDelayMs = FIRST_REATTACH_MS;
    private long lastPingNanos = System.nanoTime();
    /** The session's data policy, from its latest status (allow-all until the first: the runner enforces it too). */
    private volatile dev.mbi.proto.v1.SessionPolicy policy = dev.mbi.proto.v1.SessionPolicy.getDefaultInstance();
    /** Refusals told to the client: one a second is enough to say it. */
    private final io.github.bucket4j.Bucket blockNotices = io.github.bucket4j.Bucket.builder()
            .addLimit(io.github.bucket4j.Bandwidth.builder().capacity(1).refillGreedy(1, java.time.Duration.ofSeconds(1)).build())
            .build();
    /** Who may act on the page, as last told to the client (null: not yet). */
    private volatile dev.mbi.proto.v1.ControlHolder lastHolder;
    /** Input larger than this (pasted text) is not queued while the control plane's stream is not ready. */
    static final int BUSY_MAX_CHARS = 1024;
    /** This viewer's input messages a second (INPUT_MESSAGES_PER_SECOND): beyond it, input is dropped. */
    private final io.github.bucket4j.Bucket inputRate;
    private final int inputMessagesPerSecond;
    /** Input dropped for the rate told to the client: one notice a second is enough to say it. */
    private final io.github.bucket4j.Bucket rateNotices = io.github.bucket4j.Bucket.builder()
            .addLimit(io.github.bucket4j.Bandwidth.builder().capacity(1).refillGreedy(1, java.time.Duration.ofSeconds(1)).build())
            .build();

    /** @param inputMessagesPerSecond input messages one viewer may send a second (a second's worth may come at once) */
    ViewerSocket(ControlPlaneClient controlPlane, ViewerSockets registry, Access access, EdgeMetrics metrics,
                 int inputMessagesPerSecond) {
        this.controlPlane = controlPlane;
        this.registry = registry;
        this.access = access;
        this.metrics = metrics;
        this.inputMessagesPerSecond = inputMessagesPerSecond;
        this.inputRate = io.github.bucket4j.Bucket.builder().addLimit(io.github.bucket4j.Bandwidth.builder()
                .capacity(inputMessagesPerSecond).refillGreedy(inputMessagesPerSecond, java.time.Duration.ofSeconds(1)).build())
                .build();
    }

    /** The session this socket watches, once its upgrade was accepted (else null). */
    String sessionId() {
        return sessionId;
    }

    @Override
    public Optional<Headers> onHttpUpgrade(HttpPrologue prologue, Headers headers) throws WsUpgradeException {
        String path = prologue.uriPath().path();
        String id = path.startsWith(PATH_PREFIX) ? path.substring(PATH_PREFIX.length()) : "";
        // Refusing here hands the request to the HTTP route, which runs the same checks and answers
        // 403 (origin), 401 (no credential) or 404 (unknown session, or not the caller's) as JSON.
        if (!access.originAllowed(headers)) {
            throw new WsUpgradeException("session " + id + ": origin " + headers.first(io.helidon.http.HeaderNames.ORIGIN).orElse("")
                    + " not allowed");
        }
        try {
            access.session(Access.bearerOrQueryToken(headers, prologue.query()), id);
        } catch (ApiException e) {
            throw new WsUpgradeException("session " + id + ": " + e.getMessage());
        }
        sessionId = id;
        binaryFrames = prologue.query().first("frames").asOptional().map("binary"::equals).orElse(false);
        return Optional.of(SecurityHeaders.upgradeHeaders(access.config()));
    }

    @Override
    public void onOpen(WsSession session) {
        socket = session;
        out = new NewestFrameSender<>("ws-sender", QUEUE_CAPACITY, new NewestFrameSender.Sink<>() {
            @Override
            public void send(Outgoing message) {
                switch (message) {
                    case Text t -> session.send(t.json(), true);
                    case Binary b -> session.send(BufferData.create(b.bytes()), true);
                    case Ping p -> session.ping(BufferData.empty());
                }
            }

            @Override
            public void finish(Throwable failure) {
                try {
                    session.close(failure == null ? WsCloseCodes.NORMAL_CLOSE : WsCloseCodes.UNEXPECTED_CONDITION,
                            failure == null ? "session ended" : failure.getMessage());
                } finally {
                    closed = true;
                }
            }

            @Override
            public void broken(Exception cause) {
                if (cause instanceof NewestFrameSender.Overflow) {
                    overflow();
                    // This is the socket's one writer, and the write that was stuck has gone through: say why.
                    try {
                        session.close(WsCloseCodes.VIOLATED_POLICY, "viewer stopped reading");
                    } finally {
                        closed = true;
                    }
                    return;
                }
                LOG.fine(() -> "session " + sessionId + ": client socket broke: " + cause.getMessage());
                closed = true;
                closeUpstream();
            }
        });
        attach();
        registry.add(this);
    }

    private synchronized void attach() {
        Downstream down = new Downstream();
        current = down;
        upstream = controlPlane.attach(down);
        sendUpstream(ViewerMessage.newBuilder().setAttach(AttachRequest.newBuilder().setSessionId(sessionId)).build());
    }

    /** Updates from one Attach stream to the client. */
    private final class Downstream implements StreamObserver<ViewerUpdate> {
        private volatile boolean heard;

        @Override
        public void onNext(ViewerUpdate update) {
            if (current != this) {
                return;
            }
            heard = true;
            if (reattachDeadline != 0) {
                reattachDeadline = 0;
                reattachDelayMs = FIRST_REATTACH_MS;
                LOG.info("session " + sessionId + ": a viewer's stream is attached again");
            }
            switch (update.getKindCase()) {
                case FRAME -> out.frame(binaryFrames
                        ? new Binary(registry.binaryFrameMessage(sessionId, update.getFrame()))
                        : new Text(registry.frameMessage(sessionId, update.getFrame())));
                case CLIPBOARD -> {
                    String text = update.getClipboard().getText();
                    ViewerPolicy.Verdict v = ViewerPolicy.toLocal(policy, text);
                    if (!v.allowed()) {
                        metrics.policyBlocked(v.action());
                    }
                    control(new Text(v.allowed() ? ViewerPolicy.clipboardMessage(text) : v.blockedMessage()));
                }
                case DOWNLOAD -> control(new Text(DataRoutes.downloadJson(update.getDownload()).put("type", "download").toString()));
                case FILE_CHOOSER -> control(new Text(ViewerPolicy.fileChooserMessage(update.getFileChooser())));
                case BLOCKED -> control(new Text(ViewerPolicy.blockedMessage(update.getBlocked().getAction(),
                        update.getBlocked().getRule())));
                case STATUS -> {
                    policy = update.getStatus().getPolicy();
                    control(new Text(SessionJson.statusMessage(update.getStatus())));
                    // Who drives, at attach and whenever it changes.
                    if (lastHolder != update.getStatus().getController()) {
                        lastHolder = update.getStatus().getController();
                        control(new Text(SessionJson.controlMessage(update.getStatus())));
                    }
                }
                // The control plane dropped an input (a navigation it will not open): reported like bad input.
                case INPUT_REFUSED -> control(new Text("{\"type\":\"error\",\"error\":"
                        + SessionJson.MAPPER.valueToTree(update.getInputRefused().getReason()) + "}"));
                case HEARTBEAT, KIND_NOT_SET -> {
                }
            }
        }

        @Override
        public void onError(Throwable t) {
            if (current != this || closed) {
                return;
            }
            Status s = Status.fromThrowable(t);
            // A control plane that went away (UNAVAILABLE), or one that restarted and has not taken the
            // session back from its runner yet (NOT_FOUND while attaching again), may be back soon.
            boolean mayComeBack = s.getCode() == Status.Code.UNAVAILABLE
                    || (s.getCode() == Status.Code.NOT_FOUND && reattachDeadline != 0);
            if (mayComeBack && (heard || reattachDeadline != 0)) {
                reattachLater(s);
                return;
            }
            control(new Text(SessionJson.error("lost the session stream: " + s.getCode())));
            out.finish(new IllegalStateException("session stream ended: " + s.getCode()));
            registry.remove(ViewerSocket.this);
        }

        @Override
        public void onCompleted() {
            if (current != this) {
                return;
            }
            out.finish(null);
            registry.remove(ViewerSocket.this);
        }
    }

    private void reattachLater(Status why) {
        synchronized (this) {
            upstream = null;
        }
        long now = System.nanoTime();
        if (reattachDeadline == 0) {
            reattachDeadline = now + REATTACH_WINDOW.toNanos();
            LOG.info("session " + sessionId + ": lost the control plane (" + why.getCode() + "); attaching the viewer again");
            control(new Text("{\"type\":\"status\",\"sessionId\":" + SessionJson.MAPPER.valueToTree(sessionId)
                    + ",\"status\":\"reconnecting\"}"));
        } else if (now - reattachDeadline > 0) {
            control(new Text(SessionJson.error("the control plane did not come back within "
                    + REATTACH_WINDOW.toSeconds() + " s")));
            out.finish(new IllegalStateException("control plane gone"));
            registry.remove(this);
            return;
        }
        long delay = reattachDelayMs;
        reattachDelayMs = Math.min(delay * 2, MOST_REATTACH_MS);
        registry.laterMillis(delay, () -> {
            if (!closed) {
                controlPlane.reconnectNow();
                attach();
            }
        });
    }

    @Override
    public void onMessage(WsSession session, String text, boolean last) {
        if (!inputRate.tryConsume(1)) {
            // Nothing a person does sends this much: dropped here, so no hop behind holds a flood.
            metrics.viewerInputDropped();
            if (rateNotices.tryConsume(1)) {
                control(new Text("{\"type\":\"error\",\"error\":\"input dropped: more than " + inputMessagesPerSecond
                        + " messages a second from one viewer (INPUT_MESSAGES_PER_SECOND)\"}"));
            }
            return;
        }
        try {
            dev.mbi.proto.v1.InputEvent input = InputJson.parse(text);
            // The session's policy, again at the edge: what it refuses never leaves this process.
            ViewerPolicy.Verdict v = ViewerPolicy.fromViewer(policy, input);
            if (!v.allowed()) {
                metrics.policyBlocked(v.action());
                if (v.tell() && blockNotices.tryConsume(1)) {
                    control(new Text(v.blockedMessage()));
                }
                return;
            }
            boolean move = input.hasPointer() && input.getPointer().getAction() == dev.mbi.proto.v1.PointerAction.POINTER_ACTION_MOVE;
            if ((move || text.length() > BUSY_MAX_CHARS) && !upstreamReady()) {
                // The control plane is behind: what would wait here is dropped, so nothing piles up in this
                // process. A pointer move is stale by the time it would land (the next one says where); a
                // large message (pasted text) is refused, and the viewer told.
                metrics.viewerInputDropped();
                if (!move && rateNotices.tryConsume(1)) {
                    control(new Text("{\"type\":\"error\",\"error\":\"input dropped: the session is busy; try again\"}"));
                }
                return;
            }
            sendUpstream(ViewerMessage.newBuilder().setInput(input).build());
        } catch (InputJson.InputException e) {
            // Bad input costs the client one error message, not the session.
            control(new Text("{\"type\":\"error\",\"error\":" + SessionJson.MAPPER.valueToTree(e.getMessage()) + "}"));
        }
    }

    @Override
    public void onClose(WsSession session, int status, String reason) {
        closeUpstream();
    }

    @Override
    public void onError(WsSession session, Throwable t) {
        closeUpstream();
    }

    /** Called by the heartbeat timer: a heartbeat to the control plane, and a ping to the client when due. */
    void tick(long pingIntervalNanos) {
        sendUpstream(ViewerMessage.newBuilder()
                .setHeartbeat(Heartbeat.newBuilder().setSentAtUnixMs(System.currentTimeMillis())).build());
        long now = System.nanoTime();
        if (now - lastPingNanos >= pingIntervalNanos && out != null) {
            lastPingNanos = now;
            control(new Ping());
        }
    }

    /**
     * Queues a message that is not a frame. When the queue is full the client has stopped reading:
     * it is given up on at once (counted, detached from the session, its socket closing with 1008),
     * not when its stuck write returns, which may be never.
     */
    private void control(Outgoing message) {
        NewestFrameSender<Outgoing> o = out;
        if (o == null || overflowed.get()) {
            return;
        }
        boolean full = o.queued() >= QUEUE_CAPACITY;
        o.message(message); // at capacity this gives up on the receiver: the queue is dropped
        if (full) {
            overflow();
        }
    }

    private void overflow() {
        if (!overflowed.compareAndSet(false, true)) {
            return;
        }
        metrics.viewerOverflow();
        LOG.warning("session " + sessionId + ": a viewer let " + QUEUE_CAPACITY
                + " messages pile up (it stopped reading): closing its WebSocket (1008)");
        closeUpstream();
        // The writer closes the socket with 1008 once its stuck write goes through; a client that
        // never reads again has its connection cut instead.
        registry.later(CLOSE_GRACE_SECONDS, () -> {
            if (!closed && socket instanceof io.helidon.webserver.spi.ServerConnection connection) {
                LOG.fine(() -> "session " + sessionId + ": cutting the connection of a viewer that does not read");
                connection.close(true);
            }
        });
    }

    /** Whether the stream to the control plane takes messages without buffering them here. */
    private synchronized boolean upstreamReady() {
        return !(upstream instanceof io.grpc.stub.ClientCallStreamObserver<?> call) || call.isReady();
    }

    private synchronized void sendUpstream(ViewerMessage message) {
        if (upstream == null) {
            return;
        }
        try {
            upstream.onNext(message);
        } catch (RuntimeException e) {
            upstream = null;
        }
    }

    private synchronized void closeUpstream() {
        registry.remove(this);
        if (upstream != null) {
            try {
                upstream.onCompleted();
            } catch (RuntimeException ignored) {
                // already gone
            }
            upstream = null;
        }
        NewestFrameSender<Outgoing> o = out;
        if (o != null) {
            o.finish(null);
        }
    }
}
