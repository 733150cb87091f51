package dev.mbi.runner;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mbi.proto.v1.ControlHolder;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The automation clients (Playwright, Puppeteer, ...) of one session, sharing the runner's one
 * DevTools pipe to Chromium with jvppeteer: Chromium opens no debugging port for them.
 * <p>
 * Each client gets a browser-level DevTools session of its own ({@code Target.attachToBrowserTarget}),
 * which stands in for the connection's root: its calls without a sessionId go there, and what comes
 * back on it loses the sessionId. Every call is given an id from a range jvppeteer never uses
 * ({@value #FIRST_OWN_ID} up) and its answer is given back under the client's own id. Sessions the
 * client attaches (through its browser session or sessions it owns) are its own, and their events go
 * to it alone; everything else Chromium says goes to jvppeteer, so the runner's screencast, input and
 * watchers carry on whoever is attached. What a client may ask is judged by {@link CdpPolicy}.
 * <p>
 * Thread use: {@link #claim} runs on the pipe's read thread; the rest on the caller's (the control
 * plane stream's). One client's calls must come from one thread at a time, in order.
 */
final class CdpClients implements CdpPipe.Tap {
    private static final Logger LOG = Logger.getLogger(CdpClients.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFactory PEEK = new JsonFactory();
    /** jvppeteer counts its ids up from 1; the runner's own start far above. */
    static final int FIRST_OWN_ID = 1_000_000_000;
    /** Calls one client may have waiting for Chromium. */
    static final int MAX_PENDING = 10_000;
    /** Chromium's own answer to a call on a session that is not the caller's. */
    private static final String NO_SESSION = "Session with given id not found.";

    /** Where one client's messages go: the control plane's stream in the runner, a list in tests. */
    interface Client {
        /** One whole DevTools message (UTF-8 JSON), in the order Chromium produced them. */
        void send(byte[] message);

        /** The runner ended this client's connection; nothing more will be sent. */
        void closed(String reason);
    }

    /**
     * A call of the runner's range waiting for Chromium's answer.
     *
     * @param detaching for a detach of a gone client's session: that session, forgotten with the answer
     */
    private record Pending(Kind kind, Connected client, long clientCallId, String method, String detaching) {
        Pending(Kind kind, Connected client, long clientCallId, String method) {
            this(kind, client, clientCallId, method, null);
        }
    }

    private enum Kind {
        /** A client's call: the answer goes back to it under its own id. */
        CALL,
        /** The client's browser session being attached. */
        ATTACH,
        /** Nobody waits: the answer is dropped (detaching a gone client's sessions). */
        DROP
    }

    /** One connected client and what it owns. Its monitor orders its writes to Chromium. */
    private static final class Connected {
        final String id;
        final Client client;
        /** Its browser session, once Chromium said which; guarded by {@link CdpClients#lock}. */
        String browserSession;
        /** Calls that came before the browser session existed, in order; guarded by its own monitor. */
        final List<ObjectNode> waiting = new ArrayList<>();
        /** Sessions it attached, each with the session it was attached through; guarded by the lock. */
        final Map<String, String> sessions = new LinkedHashMap<>();
        /** Its calls waiting for Chromium; guarded by the lock. */
        int pending;
        volatile boolean closed;

        Connected(String id, Client client) {
            this.id = id;
            this.client = client;
        }
    }

    private final String sessionId;
    private final Consumer<String> toChromium;
    private final CdpPolicy policy;
    private final Object lock = new Object();
    private final Map<String, Connected> clients = new HashMap<>();
    /** Every session a client owns (its browser session included), to its owner. */
    private final Map<String, Connected> owners = new HashMap<>();
    /** Sessions of clients that left, until Chromium says they are detached; their messages are dropped. */
    private final Set<String> retired = new HashSet<>();
    private final Map<Integer, Pending> pending = new HashMap<>();
    private int nextId = FIRST_OWN_ID;
    private volatile ControlHolder holder = ControlHolder.CONTROL_HOLDER_SHARED;
    /** Whether anything is the clients': while not, the tap lets every message through unread. */
    private volatile boolean active;
    private volatile String gone;
    private final AtomicLong opened = new AtomicLong();

    /**
     * @param toChromium writes one message on the DevTools pipe
     * @param policy     what clients may ask
     */
    CdpClients(String sessionId, Consumer<String> toChromium, CdpPolicy policy) {
        this.sessionId = sessionId;
        this.toChromium = toChromium;
        this.policy = policy;
    }

    // ---- clients -> Chromium

    /** A client connected: its browser session is attached; its calls wait for it. */
    void open(String clientId, Client client) {
        String why = gone;
        if (why != null) {
            client.closed(why);
            return;
        }
        Connected c = new Connected(clientId, client);
        int attachId;
        synchronized (lock) {
            if (clients.containsKey(clientId)) {
                throw new IllegalArgumentException("a DevTools client " + clientId + " is connected already");
            }
            clients.put(clientId, c);
            attachId = nextId();
            pending.put(attachId, new Pending(Kind.ATTACH, c, 0, "Target.attachToBrowserTarget"));
            active = true;
        }
        opened.incrementAndGet();
        ObjectNode attach = JSON.createObjectNode().put("id", attachId).put("method", "Target.attachToBrowserTarget");
        attach.putObject("params");
        write(attach);
    }

    /** One whole message from a client. */
    void receive(String clientId, byte[] message) {
        Connected c;
        synchronized (lock) {
            c = clients.get(clientId);
        }
        if (c == null) {
            LOG.fine(() -> "session " + sessionId + ": a message for DevTools client " + clientId + ", which is gone");
            return;
        }
        ObjectNode call;
        try {
            call = JSON.readTree(message) instanceof ObjectNode object ? object : null;
        } catch (IOException e) {
            call = null;
        }
        if (call == null) {
            answerError(c, 0, null, -32700, "Message must be a valid JSON");
            return;
        }
        if (!call.path("id").canConvertToLong() || !call.path("id").isIntegralNumber() || !call.path("method").isTextual()) {
            answerError(c, 0, null, -32600, "Message must have integer 'id' and string 'method' properties");
            return;
        }
        synchronized (c) {
            boolean ready;
            synchronized (lock) {
                ready = c.browserSession != null;
            }
            if (!ready) {
                if (c.waiting.size() >= MAX_PENDING) {
                    closeForLimit(c);
                    return;
                }
                c.waiting.add(call);
                return;
            }
            forward(c, call);
        }
    }

    /** Judges one call and passes it on under an id of the runner's; called holding the client's monitor. */
    private void forward(Connected c, ObjectNode call) {
        long callId = call.get("id").asLong();
        String method = call.get("method").asText();
        String onSession = call.path("sessionId").isTextual() ? call.get("sessionId").asText() : null;
        int ownId;
        synchronized (lock) {
            if (c.closed) {
                return;
            }
            if (onSession != null && owners.get(onSession) != c) {
                ownId = -1;
            } else {
                if (c.pending >= MAX_PENDING) {
                    ownId = -2;
                } else {
                    ownId = nextId();
                }
            }
        }
        if (ownId == -1) {
            answerError(c, callId, onSession, -32001, NO_SESSION);
            return;
        }
        if (ownId == -2) {
            closeForLimit(c);
            return;
        }
        Optional<CdpPolicy.Refusal> refusal = policy.judge(method, CdpPolicy.paramsOf(call), holder);
        if (refusal.isPresent()) {
            LOG.fine(() -> "session " + sessionId + ": DevTools client " + c.id + ": " + method + " " + refusal.get().message());
            answerError(c, callId, onSession, -32000, refusal.get().message());
            return;
        }
        synchronized (lock) {
            pending.put(ownId, new Pending(Kind.CALL, c, callId, method));
            c.pending++;
            call.put("id", ownId);
            if (onSession == null) {
                call.put("sessionId", c.browserSession);
            }
        }
        write(call);
    }

    /** The client is gone (its connection closed): its sessions are detached, its calls forgotten. */
    void close(String clientId) {
        Connected c;
        synchronized (lock) {
            c = clients.get(clientId);
        }
        if (c != null) {
            end(c);
        }
    }

    /** Ends every client, telling each why (the session ends, Chromium exited, the stream was lost). */
    void closeAll(String reason) {
        List<Connected> all;
        synchronized (lock) {
            all = new ArrayList<>(clients.values());
        }
        for (Connected c : all) {
            if (end(c)) {
                c.client.closed(reason);
            }
        }
    }

    /** Who may act on the page now; every client hears of a change. */
    void controlChanged(ControlHolder newHolder) {
        if (holder == newHolder) {
            return;
        }
        holder = newHolder;
        ObjectNode event = JSON.createObjectNode().put("method", "Mbi.controlChanged");
        event.putObject("params").put("holder", holderName(newHolder));
        byte[] bytes = event.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        // On the client's root connection, and on each session it attached: libraries hand users
        // sessions (Playwright's newCDPSession, Puppeteer's createCDPSession), not the root.
        Map<Connected, List<String>> all = new java.util.LinkedHashMap<>();
        synchronized (lock) {
            clients.values().forEach(c -> all.put(c, List.copyOf(c.sessions.keySet())));
        }
        all.forEach((c, sessions) -> {
            if (c.closed) {
                return;
            }
            c.client.send(bytes);
            for (String session : sessions) {
                c.client.send(event.deepCopy().put("sessionId", session).toString()
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
        });
    }

    static String holderName(ControlHolder holder) {
        return switch (holder) {
            case CONTROL_HOLDER_AGENT -> "agent";
            case CONTROL_HOLDER_HUMAN -> "human";
            default -> "shared";
        };
    }

    /** Clients connected now. */
    int connected() {
        synchronized (lock) {
            return clients.size();
        }
    }

    /** Whether nothing is the clients' any more (no client, no call waiting, no session left to detach). */
    boolean idle() {
        return !active;
    }

    /** Clients ever connected. */
    long opened() {
        return opened.get();
    }

    /** Forgets a client and detaches its sessions; false when it was gone already. */
    private boolean end(Connected c) {
        List<ObjectNode> detach = new ArrayList<>();
        synchronized (lock) {
            if (c.closed) {
                return false;
            }
            c.closed = true;
            clients.remove(c.id);
            // Sessions attached through others first, the browser session last.
            List<Map.Entry<String, String>> children = new ArrayList<>(c.sessions.entrySet());
            java.util.Collections.reverse(children);
            for (Map.Entry<String, String> child : children) {
                detach.add(detachCall(child.getKey(), child.getValue()));
                // Chromium may say nothing more of a child whose parent goes: its detach answer ends it.
                pending.put(detach.getLast().get("id").asInt(),
                        new Pending(Kind.DROP, null, 0, "Target.detachFromTarget", child.getKey()));
            }
            if (c.browserSession != null) {
                detach.add(detachCall(c.browserSession, null));
                owners.remove(c.browserSession);
                retired.add(c.browserSession);
            }
            for (String s : c.sessions.keySet()) {
                owners.remove(s);
                retired.add(s);
            }
            c.sessions.clear();
            // Its calls still waiting are answered to nobody.
            pending.replaceAll((id, p) -> p.client() == c ? new Pending(Kind.DROP, null, 0, p.method()) : p);
            c.pending = 0;
            active = !clients.isEmpty() || !pending.isEmpty() || !retired.isEmpty();
        }
        synchronized (c) {
            c.waiting.clear();
        }
        if (gone == null) {
            for (ObjectNode call : detach) {
                write(call);
            }
        }
        return true;
    }

    /** Target.detachFromTarget for one session, sent on the session it was attached through (null: the root). */
    private ObjectNode detachCall(String session, String through) {
        int id = nextId();
        pending.put(id, new Pending(Kind.DROP, null, 0, "Target.detachFromTarget"));
        ObjectNode call = JSON.createObjectNode().put("id", id).put("method", "Target.detachFromTarget");
        call.putObject("params").put("sessionId", session);
        if (through != null) {
            call.put("sessionId", through);
        }
        return call;
    }

    private void closeForLimit(Connected c) {
        String reason = "more than " + MAX_PENDING + " DevTools calls were waiting for the browser";
        LOG.warning("session " + sessionId + ": DevTools client " + c.id + " closed: " + reason);
        if (end(c)) {
            c.client.closed(reason);
        }
    }

    // ---- Chromium -> clients

    @Override
    public boolean claim(String message) {
        if (!active) {
            return false;
        }
        Peek peek = Peek.of(message);
        if (peek == null) {
            return false;
        }
        if (peek.id() != null) {
            return peek.id() >= FIRST_OWN_ID && answer(peek.id().intValue(), message);
        }
        if (peek.sessionId() == null) {
            return rootEvent(peek.method(), message);
        }
        Connected owner;
        boolean retiredSession;
        synchronized (lock) {
            owner = owners.get(peek.sessionId());
            retiredSession = owner == null && retired.contains(peek.sessionId());
        }
        if (owner != null) {
            event(owner, peek, message);
            return true;
        }
        if (retiredSession && "Target.detachedFromTarget".equals(peek.method())) {
            // A gone client's session, detached as its parent went: forget the child too.
            ObjectNode event = parse(message);
            synchronized (lock) {
                retired.remove(event.path("params").path("sessionId").asText());
            }
        }
        return retiredSession;
    }

    /** An answer under one of the runner's ids; always the multiplexer's, never jvppeteer's. */
    private boolean answer(int ownId, String message) {
        Pending p;
        synchronized (lock) {
            p = pending.remove(ownId);
            updateActive();
        }

        if (p == null || p.kind() == Kind.DROP) {
            if (p != null && p.detaching() != null) {
                synchronized (lock) {
                    retired.remove(p.detaching());
                    updateActive();
                }
            }
            return true;
        }
        ObjectNode answer = parse(message);
        Connected c = p.client();
        if (p.kind() == Kind.ATTACH) {
            attached(c, answer);
            return true;
        }
        synchronized (lock) {
            if (c.closed) {
                return true;
            }
            c.pending--;
            String session = answer.path("sessionId").asText(null);
            if (session != null && session.equals(c.browserSession)) {
                answer.remove("sessionId");
            }
            // The session an attach call made is the caller's (the event saying so may not reach it).
            if (p.method().equals("Target.attachToTarget") || p.method().equals("Target.attachToBrowserTarget")) {
                String child = answer.path("result").path("sessionId").asText(null);
                if (child != null) {
                    own(c, child, session);
                }
            }
        }
        answer.put("id", p.clientCallId());
        deliver(c, answer);
        return true;
    }

    /** The client's browser session exists: its waiting calls go on, in order. */
    private void attached(Connected c, ObjectNode answer) {
        String session = answer.path("result").path("sessionId").asText(null);
        if (session == null) {
            String reason = "the browser refused a DevTools session: " + answer.path("error").path("message").asText("no reason given");
            LOG.warning("session " + sessionId + ": DevTools client " + c.id + " closed: " + reason);
            if (end(c)) {
                c.client.closed(reason);
            }
            return;
        }
        synchronized (c) {
            synchronized (lock) {
                if (c.closed) {
                    // Gone before its session came: detach it at once.
                    retired.add(session);
                    ObjectNode detach = detachCall(session, null);
                    updateActive();
                    write(detach);
                    return;
                }
                c.browserSession = session;
                owners.put(session, c);
            }
            for (ObjectNode call : c.waiting) {
                forward(c, call);
            }
            c.waiting.clear();
        }
    }

    /** An event on a session a client owns: to that client alone. */
    private void event(Connected c, Peek peek, String message) {
        ObjectNode event = parse(message);
        synchronized (lock) {
            if (c.closed) {
                return;
            }
            String child = event.path("params").path("sessionId").asText(null);
            if ("Target.attachedToTarget".equals(peek.method()) && child != null) {
                own(c, child, peek.sessionId().equals(c.browserSession) ? null : peek.sessionId());
            } else if ("Target.detachedFromTarget".equals(peek.method()) && child != null) {
                c.sessions.remove(child);
                owners.remove(child);
            }
            if (peek.sessionId().equals(c.browserSession)) {
                event.remove("sessionId");
            }
        }
        deliver(c, event);
    }

    /**
     * An event on the root session: jvppeteer's, except the news of the clients' own browser
     * sessions coming and going (jvppeteer never attaches to the browser target itself).
     */
    private boolean rootEvent(String method, String message) {
        boolean attached = "Target.attachedToTarget".equals(method);
        if (!attached && !"Target.detachedFromTarget".equals(method)) {
            return false;
        }
        ObjectNode event = parse(message);
        JsonNode params = event.path("params");
        if (attached) {
            return "browser".equals(params.path("targetInfo").path("type").asText());
        }
        String session = params.path("sessionId").asText();
        synchronized (lock) {
            boolean ours = retired.remove(session) || owners.containsKey(session);
            updateActive();
            return ours;
        }
    }

    /** Marks a session as the client's; called holding the lock. */
    private void own(Connected c, String session, String through) {
        if (!session.equals(c.browserSession)) {
            c.sessions.putIfAbsent(session, through == null ? c.browserSession : through);
        }
        owners.put(session, c);
    }

    private void deliver(Connected c, ObjectNode message) {
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(message);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "a DevTools message could not be written", e);
            return;
        }
        if (bytes.length > CdpPieces.MAX_MESSAGE_BYTES) {
            String reason = "the browser sent a DevTools message larger than " + (CdpPieces.MAX_MESSAGE_BYTES >> 20) + " MiB";
            LOG.warning("session " + sessionId + ": DevTools client " + c.id + " closed: " + reason);
            if (end(c)) {
                c.client.closed(reason);
            }
            return;
        }
        c.client.send(bytes);
    }

    @Override
    public void chromiumGone() {
        gone = "the browser exited";
        closeAll(gone);
    }

    private void answerError(Connected c, long callId, String onSession, int code, String text) {
        ObjectNode error = JSON.createObjectNode().put("id", callId);
        error.putObject("error").put("code", code).put("message", text);
        if (onSession != null) {
            error.put("sessionId", onSession);
        }
        deliver(c, error);
    }

    private void write(ObjectNode call) {
        try {
            toChromium.accept(call.toString());
        } catch (RuntimeException e) {
            // The pipe is closed: Chromium is gone, and chromiumGone() ends every client.
            LOG.log(Level.FINE, "session " + sessionId + ": writing to the DevTools pipe failed", e);
        }
    }

    /** Called holding the lock. */
    private int nextId() {
        if (nextId == Integer.MAX_VALUE) {
            nextId = FIRST_OWN_ID;
        }
        return nextId++;
    }

    /** Called holding the lock. */
    private void updateActive() {
        active = !clients.isEmpty() || !pending.isEmpty() || !retired.isEmpty();
    }

    private static ObjectNode parse(String message) {
        try {
            return (ObjectNode) JSON.readTree(message);
        } catch (IOException e) {
            throw new IllegalStateException("Chromium sent a message that is not JSON", e);
        }
    }

    /** The top-level fields that say whose a message is, read without building the message. */
    private record Peek(Long id, String sessionId, String method) {
        static Peek of(String message) {
            try (JsonParser parser = PEEK.createParser(message)) {
                if (parser.nextToken() != JsonToken.START_OBJECT) {
                    return null;
                }
                Long id = null;
                String session = null;
                String method = null;
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String field = parser.currentName();
                    JsonToken value = parser.nextToken();
                    switch (field) {
                        case "id" -> id = value == JsonToken.VALUE_NUMBER_INT ? parser.getLongValue() : null;
                        case "sessionId" -> session = value == JsonToken.VALUE_STRING ? parser.getText() : null;
                        case "method" -> method = value == JsonToken.VALUE_STRING ? parser.getText() : null;
                        default -> parser.skipChildren();
                    }
                }
                return new Peek(id, session, method);
            } catch (IOException e) {
                return null;
            }
        }
    }
}
