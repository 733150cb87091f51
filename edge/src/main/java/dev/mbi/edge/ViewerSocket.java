package dev.mbi.edge;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mbi.input.InputJson;
import dev.mbi.proto.v1.AttachRequest;
import dev.mbi.proto.v1.Frame;
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
import java.util.Base64;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * One client's WebSocket on /ws/sessions/{id}, relayed to the control plane's Attach stream:
 * frames and status out (a slow client skips frames), input events in.
 */
final class ViewerSocket implements WsListener {
    private static final Logger LOG = Logger.getLogger(ViewerSocket.class.getName());
    static final String PATH_PREFIX = "/ws/sessions/";

    /** What goes out on the socket; pings share the single writer with text. */
    private sealed interface Outgoing permits Text, Ping {
    }

    private record Text(String json) implements Outgoing {
    }

    private record Ping() implements Outgoing {
    }

    private final ControlPlaneClient controlPlane;
    private final ViewerSockets registry;
    private String sessionId;
    private volatile WsSession socket;
    private volatile NewestFrameSender<Outgoing> out;
    private StreamObserver<ViewerMessage> upstream;
    private long lastPingNanos = System.nanoTime();

    ViewerSocket(ControlPlaneClient controlPlane, ViewerSockets registry) {
        this.controlPlane = controlPlane;
        this.registry = registry;
    }

    @Override
    public Optional<Headers> onHttpUpgrade(HttpPrologue prologue, Headers headers) throws WsUpgradeException {
        String path = prologue.uriPath().path();
        String id = path.startsWith(PATH_PREFIX) ? path.substring(PATH_PREFIX.length()) : "";
        try {
            controlPlane.get(id);
        } catch (ApiException e) {
            // Refusing here hands the request to the HTTP route, which answers 404 (or 503) as JSON.
            throw new WsUpgradeException("session " + id + ": " + e.getMessage());
        }
        sessionId = id;
        return Optional.empty();
    }

    @Override
    public void onOpen(WsSession session) {
        socket = session;
        out = new NewestFrameSender<>("ws-sender", new NewestFrameSender.Sink<>() {
            @Override
            public void send(Outgoing message) {
                switch (message) {
                    case Text t -> session.send(t.json(), true);
                    case Ping p -> session.ping(BufferData.empty());
                }
            }

            @Override
            public void finish(Throwable failure) {
                session.close(failure == null ? WsCloseCodes.NORMAL_CLOSE : WsCloseCodes.UNEXPECTED_CONDITION,
                        failure == null ? "session ended" : failure.getMessage());
            }

            @Override
            public void broken(Exception cause) {
                LOG.fine(() -> "session " + sessionId + ": client socket broke: " + cause.getMessage());
                closeUpstream();
            }
        });
        upstream = controlPlane.attach(new StreamObserver<>() {
            @Override
            public void onNext(ViewerUpdate update) {
                switch (update.getKindCase()) {
                    case FRAME -> out.frame(new Text(frameMessage(update.getFrame())));
                    case STATUS -> out.message(new Text(SessionJson.statusMessage(update.getStatus())));
                    // The control plane dropped an input (a navigation it will not open): reported like bad input.
                    case INPUT_REFUSED -> out.message(new Text("{\"type\":\"error\",\"error\":"
                            + SessionJson.MAPPER.valueToTree(update.getInputRefused().getReason()) + "}"));
                    case HEARTBEAT, KIND_NOT_SET -> {
                    }
                }
            }

            @Override
            public void onError(Throwable t) {
                Status s = Status.fromThrowable(t);
                out.message(new Text(SessionJson.error("lost the session stream: " + s.getCode())));
                out.finish(new IllegalStateException("session stream ended: " + s.getCode()));
                registry.remove(ViewerSocket.this);
            }

            @Override
            public void onCompleted() {
                out.finish(null);
                registry.remove(ViewerSocket.this);
            }
        });
        sendUpstream(ViewerMessage.newBuilder().setAttach(AttachRequest.newBuilder().setSessionId(sessionId)).build());
        registry.add(this);
    }

    @Override
    public void onMessage(WsSession session, String text, boolean last) {
        try {
            sendUpstream(ViewerMessage.newBuilder().setInput(InputJson.parse(text)).build());
        } catch (InputJson.InputException e) {
            // Bad input costs the client one error message, not the session.
            out.message(new Text("{\"type\":\"error\",\"error\":" + SessionJson.MAPPER.valueToTree(e.getMessage()) + "}"));
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
            out.message(new Ping());
        }
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

    static String frameMessage(Frame f) {
        ObjectNode n = SessionJson.MAPPER.createObjectNode();
        n.put("type", "frame");
        n.put("format", "jpeg");
        n.put("data", Base64.getEncoder().encodeToString(f.getData().toByteArray()));
        n.put("width", f.getWidth());
        n.put("height", f.getHeight());
        n.put("seq", f.getSeq());
        n.put("capturedAt", f.getCaptureTimeUnixUs() / 1000);
        return n.toString();
    }
}
