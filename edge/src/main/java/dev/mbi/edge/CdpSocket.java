package dev.mbi.edge;

import com.google.protobuf.ByteString;
import dev.mbi.proto.v1.CdpAttach;
import dev.mbi.proto.v1.CdpClientMessage;
import dev.mbi.proto.v1.CdpData;
import dev.mbi.proto.v1.CdpServerMessage;
import dev.mbi.proto.v1.Heartbeat;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.websocket.WsCloseCodes;
import io.helidon.websocket.WsListener;
import io.helidon.websocket.WsSession;
import io.helidon.websocket.WsUpgradeException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * One automation client's WebSocket on /api/sessions/{id}/cdp: Chromium's browser endpoint as
 * Playwright's connectOverCDP and Puppeteer's connect expect it, relayed in order over the control
 * plane's Cdp stream to the session's runner (which multiplexes it onto its own Chromium). Each
 * DevTools message travels in pieces of {@value #PIECE_BYTES} bytes; whole messages may be up to
 * {@value #MAX_MESSAGE_BYTES} bytes both ways. A client that sends faster than its rate is cut off
 * with 1008; one the control plane refuses (not ready, CDP_MAX_CLIENTS) is closed with the reason.
 */
final class CdpSocket implements WsListener {
    private static final Logger LOG = Logger.getLogger(CdpSocket.class.getName());
    static final String PATH_PREFIX = "/api/sessions/";
    static final String PATH_SUFFIX = "/cdp";
    static final int PIECE_BYTES = 256 * 1024;
    static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
    /** How long a message from the client may wait for the control plane to take more before the client is cut off. */
    private static final Duration SEND_PATIENCE = Duration.ofSeconds(30);
    /** A WebSocket close reason is at most 123 bytes. */
    private static final int MAX_CLOSE_REASON_BYTES = 120;

    private final ControlPlaneClient controlPlane;
    private final Access access;
    private final RateLimits limits;
    private final EdgeMetrics metrics;
    private final ScheduledExecutorService timer;
    private final Duration heartbeatInterval;
    private final Bucket messageRate;
    private final int messagesPerSecond;
    private volatile String sessionId = "";
    private volatile String who = "";
    private volatile WsSession socket;
    private volatile ClientCallStreamObserver<CdpClientMessage> upstream;
    private volatile ScheduledFuture<?> heartbeats;
    private volatile boolean closed;
    /** Pieces of the client's message being received (WebSocket fragments). */
    private final ByteArrayOutputStream incoming = new ByteArrayOutputStream();
    /** Pieces of the runner's message being assembled. */
    private final ByteArrayOutputStream outgoing = new ByteArrayOutputStream();
    private final Object upstreamReady = new Object();

    CdpSocket(ControlPlaneClient controlPlane, Access access, RateLimits limits, EdgeMetrics metrics,
              ScheduledExecutorService timer, Duration heartbeatInterval, int messagesPerSecond) {
        this.controlPlane = controlPlane;
        this.access = access;
        this.limits = limits;
        this.metrics = metrics;
        this.timer = timer;
        this.heartbeatInterval = heartbeatInterval;
        this.messagesPerSecond = messagesPerSecond;
        this.messageRate = Bucket.builder().addLimit(Bandwidth.builder().capacity(messagesPerSecond)
                .refillGreedy(messagesPerSecond, Duration.ofSeconds(1)).build()).build();
    }

    /** The session of a path /api/sessions/{id}/cdp, or empty. */
    static String sessionOf(String path) {
        if (!path.startsWith(PATH_PREFIX) || !path.endsWith(PATH_SUFFIX)) {
            return "";
        }
        String id = path.substring(PATH_PREFIX.length(), path.length() - PATH_SUFFIX.length());
        return id.contains("/") ? "" : id;
    }

    @Override
    public Optional<Headers> onHttpUpgrade(HttpPrologue prologue, Headers headers) throws WsUpgradeException {
        String id = sessionOf(prologue.uriPath().path());
        // Refusing here hands the request to the HTTP route, which answers 403, 401, 404 or 429 as JSON.
        if (!access.originAllowed(headers)) {
            throw new WsUpgradeException("session " + id + ": DevTools client from a foreign origin refused");
        }
        try {
            Access.Grant grant = access.session(Access.bearerOrQueryToken(headers, prologue.query()), id);
            limits.cdp.take(grant.rateKey());
            who = grant.caller().map(c -> c.name()).orElse("session token");
        } catch (ApiException e) {
            metrics.cdpConnection("refused");
            throw new WsUpgradeException("session " + id + ": " + e.getMessage());
        }
        sessionId = id;
        return Optional.of(SecurityHeaders.upgradeHeaders(access.config()));
    }

    @Override
    public void onOpen(WsSession session) {
        socket = session;
        ClientCallStreamObserver<CdpClientMessage> up = (ClientCallStreamObserver<CdpClientMessage>) controlPlane.cdp(
                new ClientResponseObserver<CdpClientMessage, CdpServerMessage>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<CdpClientMessage> requests) {
                        requests.setOnReadyHandler(() -> {
                            synchronized (upstreamReady) {
                                upstreamReady.notifyAll();
                            }
                        });
                    }

                    @Override
                    public void onNext(CdpServerMessage message) {
                        fromControlPlane(message);
                    }

                    @Override
                    public void onError(Throwable t) {
                        Status s = Status.fromThrowable(t);
                        String reason = s.getDescription() == null ? s.getCode().toString() : s.getDescription();
                        boolean refusal = s.getCode() == Status.Code.RESOURCE_EXHAUSTED
                                || s.getCode() == Status.Code.FAILED_PRECONDITION || s.getCode() == Status.Code.NOT_FOUND;
                        if (refusal) {
                            metrics.cdpConnection("refused");
                        }
                        close(refusal ? WsCloseCodes.TRY_AGAIN_LATER : WsCloseCodes.UNEXPECTED_CONDITION, reason);
                    }

                    @Override
                    public void onCompleted() {
                        close(WsCloseCodes.NORMAL_CLOSE, "the session's DevTools connection ended");
                    }
                });
        upstream = up;
        send(CdpClientMessage.newBuilder().setAttach(CdpAttach.newBuilder().setSessionId(sessionId).setClient(who)).build());
        metrics.cdpConnection("opened");
        metrics.cdpClientsChanged(1);
        LOG.info("session " + sessionId + ": DevTools client connected (" + who + ")");
        long ms = Math.max(100, heartbeatInterval.toMillis());
        heartbeats = timer.scheduleAtFixedRate(() -> send(CdpClientMessage.newBuilder()
                .setHeartbeat(Heartbeat.newBuilder().setSentAtUnixMs(System.currentTimeMillis())).build()),
                ms, ms, TimeUnit.MILLISECONDS);
    }

    @Override
    public void onMessage(WsSession session, String text, boolean last) {
        onMessage(session, io.helidon.common.buffers.BufferData.create(text.getBytes(StandardCharsets.UTF_8)), last);
    }

    /** DevTools clients speak text; a binary message is taken as UTF-8 text too (Chromium does the same). */
    @Override
    public void onMessage(WsSession session, io.helidon.common.buffers.BufferData buffer, boolean last) {
        if (closed) {
            return;
        }
        byte[] bytes = buffer.readBytes();
        if (incoming.size() + bytes.length > MAX_MESSAGE_BYTES) {
            close(WsCloseCodes.TOO_BIG, "a DevTools message is larger than " + (MAX_MESSAGE_BYTES >> 20) + " MiB");
            return;
        }
        incoming.writeBytes(bytes);
        if (!last) {
            return;
        }
        if (!messageRate.tryConsume(1)) {
            metrics.rateLimited("cdp messages");
            close(WsCloseCodes.VIOLATED_POLICY, "more than " + messagesPerSecond
                    + " DevTools messages a second (CDP_MESSAGES_PER_SECOND)");
            return;
        }
        byte[] message = incoming.toByteArray();
        incoming.reset();
        for (int offset = 0; offset < message.length || offset == 0; offset += PIECE_BYTES) {
            int end = Math.min(message.length, offset + PIECE_BYTES);
            if (!awaitUpstreamReady()) {
                close(WsCloseCodes.TRY_AGAIN_LATER, "the session did not take DevTools messages for "
                        + SEND_PATIENCE.toSeconds() + " s");
                return;
            }
            send(CdpClientMessage.newBuilder().setData(CdpData.newBuilder()
                    .setData(ByteString.copyFrom(message, offset, end - offset)).setLast(end == message.length)).build());
            if (end == message.length) {
                break;
            }
        }
    }

    /** Holds the client's reader (and so the client, through TCP) while the control plane cannot take more. */
    private boolean awaitUpstreamReady() {
        ClientCallStreamObserver<CdpClientMessage> up = upstream;
        long deadline = System.nanoTime() + SEND_PATIENCE.toNanos();
        synchronized (upstreamReady) {
            while (up != null && !up.isReady() && !closed) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    upstreamReady.wait(Math.max(1, Math.min(100, left / 1_000_000)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return true;
    }

    private void fromControlPlane(CdpServerMessage message) {
        switch (message.getKindCase()) {
            case DATA -> {
                ByteString piece = message.getData().getData();
                if (outgoing.size() + piece.size() > MAX_MESSAGE_BYTES) {
                    close(WsCloseCodes.TOO_BIG, "a DevTools message from the browser is larger than "
                            + (MAX_MESSAGE_BYTES >> 20) + " MiB");
                    return;
                }
                outgoing.writeBytes(piece.toByteArray());
                if (message.getData().getLast()) {
                    String text = outgoing.toString(StandardCharsets.UTF_8);
                    outgoing.reset();
                    WsSession s = socket;
                    if (s != null && !closed) {
                        // Blocks while the client reads slowly: gRPC then holds the runner's pieces back.
                        s.send(text, true);
                    }
                }
            }
            case CLOSE -> close(WsCloseCodes.NORMAL_CLOSE, message.getClose().getReason());
            case HEARTBEAT, KIND_NOT_SET -> {
            }
        }
    }

    private void send(CdpClientMessage message) {
        ClientCallStreamObserver<CdpClientMessage> up = upstream;
        if (up == null || closed) {
            return;
        }
        synchronized (this) {
            try {
                up.onNext(message);
            } catch (RuntimeException e) {
                LOG.fine(() -> "session " + sessionId + ": DevTools stream already closed: " + e.getMessage());
            }
        }
    }

    /** Ends the client's connection and the stream to the control plane, once. */
    private void close(int code, String reason) {
        if (closed) {
            return;
        }
        closed = true;
        finish();
        LOG.info("session " + sessionId + ": DevTools client disconnected (" + reason + ")");
        WsSession s = socket;
        if (s != null) {
            try {
                s.close(code, closeReason(reason));
            } catch (RuntimeException e) {
                LOG.fine(() -> "session " + sessionId + ": DevTools socket already closed");
            }
        }
    }

    private void finish() {
        ScheduledFuture<?> h = heartbeats;
        if (h != null) {
            h.cancel(false);
        }
        ClientCallStreamObserver<CdpClientMessage> up = upstream;
        if (up != null) {
            synchronized (this) {
                try {
                    up.onCompleted();
                } catch (RuntimeException e) {
                    // already ended by the control plane
                }
            }
            upstream = null;
            metrics.cdpClientsChanged(-1);
        }
        synchronized (upstreamReady) {
            upstreamReady.notifyAll();
        }
    }

    static String closeReason(String reason) {
        String r = reason == null ? "" : reason;
        byte[] bytes = r.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= MAX_CLOSE_REASON_BYTES) {
            return r;
        }
        int end = MAX_CLOSE_REASON_BYTES - 3;
        while (end > 0 && (bytes[end] & 0xC0) == 0x80) {
            end--;
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8) + "...";
    }

    @Override
    public void onClose(WsSession session, int status, String reason) {
        if (!closed) {
            closed = true;
            LOG.info("session " + sessionId + ": DevTools client disconnected (" + status + ")");
            finish();
        }
    }

    @Override
    public void onError(WsSession session, Throwable t) {
        onClose(session, WsCloseCodes.UNEXPECTED_CONDITION, t.getMessage());
    }
}
