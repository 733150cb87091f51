package dev.mbi.edge;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mbi.edge.auth.Caller;
import dev.mbi.input.InputJson;
import dev.mbi.proto.v1.IceConfig;
import dev.mbi.proto.v1.IceServer;
import dev.mbi.proto.v1.IceTransportPolicy;
import dev.mbi.proto.v1.LimitReason;
import dev.mbi.proto.v1.OfferAnswer;
import dev.mbi.proto.v1.Session;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The public REST API, translated into calls on the control plane. Every failure leaves as
 * {"error": "..."} with its status code; bad input is a 4xx, never a 500 or a stack trace.
 */
final class SessionRoutes implements HttpService {
    private static final Logger LOG = Logger.getLogger(SessionRoutes.class.getName());

    private final ControlPlaneClient controlPlane;
    private final EdgeMetrics metrics;
    private final Access access;
    private final RateLimits limits;
    private final LiveView liveView;
    private final DataRoutes data;

    SessionRoutes(ControlPlaneClient controlPlane, EdgeMetrics metrics, Access access, RateLimits limits, LiveView liveView) {
        this.liveView = liveView;
        this.data = new DataRoutes(controlPlane);
        this.controlPlane = controlPlane;
        this.metrics = metrics;
        this.access = access;
        this.limits = limits;
    }

    @FunctionalInterface
    interface ApiHandler {
        void handle(ServerRequest req, ServerResponse res) throws ApiException;
    }

    @Override
    public void routing(HttpRules rules) {
        // Every route under /api/sessions/{id}, present or later, is first checked here: only the
        // session's owner, an admin, or the holder of the session's own token get through.
        rules.any("/api/sessions/{id}", this::guardSession)
                .any("/api/sessions/{id}/{+rest}", this::guardSession)
                .post("/api/sessions", timed("POST", "/api/sessions", this::create))
                .get("/api/sessions", timed("GET", "/api/sessions", this::list))
                .get("/api/sessions/{id}", timed("GET", "/api/sessions/{id}", this::get))
                .delete("/api/sessions/{id}", timed("DELETE", "/api/sessions/{id}", this::delete))
                .get("/api/sessions/{id}/ice", signalling("ice", timed("GET", "/api/sessions/{id}/ice", this::ice)))
                .post("/api/sessions/{id}/offer", signalling("offer", timed("POST", "/api/sessions/{id}/offer", this::offer)))
                .post("/api/sessions/{id}/fallback", timed("POST", "/api/sessions/{id}/fallback", this::fallback))
                .post("/api/sessions/{id}/control", timed("POST", "/api/sessions/{id}/control", this::control))
                .get("/api/sessions/{id}/cdp/json/version", timed("GET", "/api/sessions/{id}/cdp/json/version", this::cdpVersion))
                .get("/api/sessions/{id}/cdp/json/version/", timed("GET", "/api/sessions/{id}/cdp/json/version", this::cdpVersion))
                // Reached only when the WebSocket upgrade was refused or not asked for.
                .get("/api/sessions/{id}/cdp", timed("GET", "/api/sessions/{id}/cdp", this::notAnUpgrade))
                .get("/api/sessions/{id}/live", timed("GET", "/api/sessions/{id}/live", this::live))
                .get("/api/sessions/{id}/downloads", timed("GET", "/api/sessions/{id}/downloads",
                        (req, res) -> data.list(grant(req).session().getSessionId(), res)))
                .get("/api/sessions/{id}/downloads/{downloadId}", timed("GET", "/api/sessions/{id}/downloads/{downloadId}",
                        this::download))
                .post("/api/sessions/{id}/filechooser/{chooserId}", timed("POST", "/api/sessions/{id}/filechooser/{chooserId}",
                        this::upload))
                // Reached only when the WebSocket upgrade was refused or not asked for.
                .get("/ws/sessions/{id}", timed("GET", "/ws/sessions/{id}", this::notAnUpgrade))
                .get("/healthz", timed("GET", "/healthz", (req, res) -> json(res, 200, "{\"status\":\"ok\"}")))
                .get("/readyz", timed("GET", "/readyz", this::ready));
    }

    private void create(ServerRequest req, ServerResponse res) throws ApiException {
        Caller caller = access.user(req);
        requireJson(req);
        limits.create.take("user:" + caller.name());
        String request = body(req);
        String url = urlFrom(request);
        List<String> denyHosts = egressDenyHostsFrom(request);
        Session created;
        try {
            created = controlPlane.create(CreateRequests.pageOptions(request)
                    .setPolicy(CreateRequests.policy(request))
                    .setUrl(url).setOwner(caller.name()).addAllEgressDenyHosts(denyHosts).build());
        } catch (ApiException e) {
            metrics.sessionCreateResult(e.limit() == LimitReason.LIMIT_REASON_MAX_SESSIONS ? "rejected" : "error");
            throw e;
        }
        metrics.sessionCreateResult("created");
        ObjectNode body = SessionJson.created(created);
        if (!created.getSessionToken().isEmpty()) {
            // The session's own token, told once: it opens this session (and only it) to whoever holds it.
            body.put("sessionToken", created.getSessionToken());
        }
        json(res, 201, body.toString());
    }

    /** Lets a per-session request through to its route (with the session, in the request's context), or refuses it. */
    private void guardSession(ServerRequest req, ServerResponse res) {
        long start = System.nanoTime();
        try {
            // The live view (an iframe), the DevTools endpoint and its discovery cannot always send a header: ?token= too.
            String path = req.path().path();
            boolean tokenInAddress = req.prologue().method().text().equals("GET")
                    && (path.endsWith("/live") || path.endsWith("/cdp") || path.contains("/cdp/json/") || path.contains("/downloads/"));
            req.context().register(tokenInAddress
                    ? access.session(Access.bearerOrQueryToken(req.headers(), req.query()), id(req))
                    : access.session(req, id(req)));
        } catch (ApiException e) {
            e.headers().forEach(res::header);
            json(res, e.status(), SessionJson.error(e.getMessage()));
            metrics.httpRequest(req.prologue().method().text(), "/api/sessions/{id}/*", e.status(), System.nanoTime() - start);
            return;
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, req.prologue().method().text() + " " + req.path().path() + " failed", e);
            json(res, 500, SessionJson.error("internal error; the edge's log has the details"));
            return;
        }
        res.next();
    }

    /** The session of a per-session route, as {@link #guardSession} admitted it. */
    private static Access.Grant grant(ServerRequest req) {
        return req.context().get(Access.Grant.class)
                .orElseThrow(() -> new IllegalStateException("per-session route reached without its access check"));
    }

    /** Routes that read a JSON body take nothing else (415): a form or text/plain post never gets this far. */
    static void requireJson(ServerRequest req) throws ApiException {
        boolean json = req.headers().contentType()
                .map(t -> t.mediaType().text().equalsIgnoreCase("application/json"))
                .orElse(false);
        if (!json) {
            throw new ApiException(415, "Content-Type must be application/json");
        }
    }

    /**
     * The optional {"egress":{"denyHosts":[...]}} of a create: hosts the session never reaches, on
     * top of the operator's policy (the control plane checks each pattern).
     */
    static List<String> egressDenyHostsFrom(String body) throws ApiException {
        JsonNode egress;
        try {
            egress = SessionJson.MAPPER.readTree(body).get("egress");
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("request body must be JSON like {\"url\":\"https://example.com\"}");
        }
        if (egress == null || egress.isNull()) {
            return List.of();
        }
        JsonNode deny = egress.isObject() ? egress.get("denyHosts") : null;
        if (!egress.isObject() || (deny != null && !deny.isArray())) {
            throw ApiException.badRequest("egress must be like {\"denyHosts\":[\"ads.example.com\",\"*.tracker.example\"]}");
        }
        List<String> hosts = new java.util.ArrayList<>();
        if (deny != null) {
            for (JsonNode h : deny) {
                if (!h.isTextual()) {
                    throw ApiException.badRequest("egress.denyHosts must be a list of host names");
                }
                hosts.add(h.asText());
            }
        }
        return hosts;
    }

    /** The page a session starts at: "url", or its alias "startUrl" (either may be about:blank). */
    static String urlFrom(String body) throws ApiException {
        JsonNode n;
        try {
            n = SessionJson.MAPPER.readTree(body == null ? "" : body);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("request body must be JSON like {\"url\":\"https://example.com\"}");
        }
        if (n == null || !n.isObject()) {
            throw ApiException.badRequest("request body must be JSON like {\"url\":\"https://example.com\"}");
        }
        JsonNode url = n.get("url");
        JsonNode startUrl = n.get("startUrl");
        if (url != null && startUrl != null && !url.equals(startUrl)) {
            throw ApiException.badRequest("give url or startUrl, not both");
        }
        if (url == null) {
            url = startUrl;
        }
        if (url == null || !url.isTextual() || url.asText().isBlank()) {
            throw ApiException.badRequest("url is required");
        }
        String text = url.asText().trim();
        if (!text.equals(BLANK_PAGE) && !InputJson.isWebUrl(text)) {
            throw ApiException.badRequest("url must be an http or https URL with a host, or about:blank");
        }
        return text;
    }

    static final String BLANK_PAGE = "about:blank";

    private void download(ServerRequest req, ServerResponse res) throws ApiException {
        Access.Grant grant = grant(req);
        limits.transfer.take(grant.rateKey());
        try {
            data.read(grant.session().getSessionId(), req.path().pathParameters().get("downloadId"), res);
        } catch (DataRoutes.ReadFailed e) {
            throw e.failure;
        }
    }

    private void upload(ServerRequest req, ServerResponse res) throws ApiException {
        Access.Grant grant = grant(req);
        limits.transfer.take(grant.rateKey());
        data.upload(grant.session().getSessionId(), req.path().pathParameters().get("chooserId"), req, res);
    }

    /** Hands control of the page to "agent", "human" or "shared"; answers with the session. */
    private void control(ServerRequest req, ServerResponse res) throws ApiException {
        Access.Grant grant = grant(req);
        requireJson(req);
        limits.control.take(grant.rateKey());
        dev.mbi.proto.v1.ControlHolder holder = CreateRequests.holderFrom(body(req));
        json(res, 200, SessionJson.full(controlPlane.control(grant.session().getSessionId(), holder)).toString());
    }

    /** Chromium's discovery answer for the session's DevTools endpoint (what /json/version gives on a browser). */
    private void cdpVersion(ServerRequest req, ServerResponse res) throws ApiException {
        Access.Grant grant = grant(req);
        String id = grant.session().getSessionId();
        boolean secure = req.isSecure() || req.headers().first(io.helidon.http.HeaderNames.X_FORWARDED_PROTO)
                .map("https"::equalsIgnoreCase).orElse(false);
        String host = req.headers().first(io.helidon.http.HeaderNames.HOST).orElse("localhost");
        // A token given in the address goes into the WebSocket's address (clients that cannot set headers need it).
        String token = req.query().first("token").asOptional().map(t -> "?token=" + java.net.URLEncoder.encode(t,
                java.nio.charset.StandardCharsets.UTF_8)).orElse("");
        ObjectNode body = SessionJson.MAPPER.createObjectNode();
        body.put("Browser", "Chromium (mbi session " + id + ")");
        body.put("Protocol-Version", "1.3");
        body.put("webSocketDebuggerUrl", (secure ? "wss://" : "ws://") + host + "/api/sessions/" + id + "/cdp" + token);
        json(res, 200, body.toString());
    }

    /** The UI's session view alone, for an iframe (framing is governed by ALLOWED_FRAME_ANCESTORS). */
    private void live(ServerRequest req, ServerResponse res) throws ApiException {
        grant(req);
        res.header(HeaderValues.create(io.helidon.http.HeaderNames.CONTENT_TYPE, "text/html; charset=utf-8"))
                .send(liveView.page());
    }

    private void get(ServerRequest req, ServerResponse res) throws ApiException {
        json(res, 200, SessionJson.full(grant(req).session()).toString());
    }

    /** An admin's list has every session; anyone else's only their own. */
    private void list(ServerRequest req, ServerResponse res) throws ApiException {
        Caller caller = access.user(req);
        ObjectNode body = SessionJson.MAPPER.createObjectNode();
        ArrayNode sessions = body.putArray("sessions");
        for (Session s : caller.admin() ? controlPlane.list() : controlPlane.list(caller.name())) {
            if (caller.admin() || s.getOwner().equals(caller.name())) {
                sessions.add(SessionJson.full(s));
            }
        }
        json(res, 200, body.toString());
    }

    private void delete(ServerRequest req, ServerResponse res) throws ApiException {
        controlPlane.delete(grant(req).session().getSessionId());
        res.status(Status.NO_CONTENT_204).send();
    }

    private void ice(ServerRequest req, ServerResponse res) throws ApiException {
        IceConfig config = controlPlane.iceConfig(grant(req).session().getSessionId());
        ObjectNode body = SessionJson.MAPPER.createObjectNode();
        ArrayNode servers = body.putArray("iceServers");
        for (IceServer s : config.getIceServersList()) {
            ObjectNode server = servers.addObject();
            ArrayNode urls = server.putArray("urls");
            s.getUrlsList().forEach(urls::add);
            if (!s.getUsername().isEmpty()) {
                server.put("username", s.getUsername());
                server.put("credential", s.getCredential());
            }
        }
        body.put("iceTransportPolicy",
                config.getIceTransportPolicy() == IceTransportPolicy.ICE_TRANSPORT_POLICY_RELAY ? "relay" : "all");
        body.put("webrtcTimeoutSec", config.getWebrtcTimeoutSec());
        json(res, 200, body.toString());
    }

    private void offer(ServerRequest req, ServerResponse res) throws ApiException {
        Access.Grant grant = grant(req);
        requireJson(req);
        limits.offer.take(grant.rateKey());
        String sdp = offerSdpFrom(body(req));
        boolean audioDenied = grant.session().getPolicy().getAudio() == dev.mbi.proto.v1.Permission.PERMISSION_DENY;
        if (audioDenied && ViewerPolicy.mediaSections(sdp, "audio") > 0) {
            // The runner answers the audio m-line inactive; the viewer's policy popover says why.
            metrics.policyBlocked("audio");
        }
        OfferAnswer answer = controlPlane.offer(grant.session().getSessionId(), sdp);
        if (audioDenied && ViewerPolicy.sendsAudio(answer.getSdp())) {
            LOG.warning("session " + grant.session().getSessionId() + ": the runner answered with sound the policy denies; answer withheld");
            throw new ApiException(403, ViewerPolicy.blockedText("audio", "policy.audio = deny"));
        }
        ObjectNode body = SessionJson.MAPPER.createObjectNode();
        body.put("type", "answer");
        body.put("sdp", answer.getSdp());
        json(res, 200, body.toString());
    }

    static String offerSdpFrom(String body) throws ApiException {
        JsonNode n;
        try {
            n = SessionJson.MAPPER.readTree(body == null ? "" : body);
        } catch (JsonProcessingException e) {
            n = null;
        }
        if (n == null || !n.isObject() || !"offer".equals(n.path("type").asText())
                || !n.path("sdp").isTextual() || !n.path("sdp").asText().startsWith("v=0")) {
            throw ApiException.badRequest("request body must be an SDP offer: {\"type\":\"offer\",\"sdp\":\"v=0...\"}");
        }
        return n.get("sdp").asText();
    }

    /** A client that gave up on WebRTC and uses the WebSocket stream says so here. */
    private void fallback(ServerRequest req, ServerResponse res) throws ApiException {
        grant(req);
        requireJson(req);
        metrics.webrtcFallback();
        res.status(Status.NO_CONTENT_204).send();
    }

    /** Counts signalling requests by endpoint and status (never by session). */
    private io.helidon.webserver.http.Handler signalling(String endpoint, io.helidon.webserver.http.Handler handler) {
        return (req, res) -> {
            try {
                handler.handle(req, res);
            } finally {
                metrics.signalingRequest(endpoint, res.status().code());
            }
        };
    }

    /** Says why the upgrade was refused (the WebSocket listener checks the same, in the same order). */
    private void notAnUpgrade(ServerRequest req, ServerResponse res) throws ApiException {
        if (!access.originAllowed(req.headers())) {
            throw new ApiException(403, "WebSocket from a foreign origin refused: list it in ALLOWED_ORIGINS");
        }
        access.session(Access.bearerOrQueryToken(req.headers(), req.query()), id(req)); // 401, or 404 for an unknown session
        throw ApiException.badRequest("this is a WebSocket endpoint: connect with a WebSocket client");
    }

    private void ready(ServerRequest req, ServerResponse res) throws ApiException {
        controlPlane.ready();
        json(res, 200, "{\"status\":\"ready\"}");
    }

    /** The request's body as text; an empty one has no entity at all (Helidon refuses to read that), so "". */
    private static String body(ServerRequest req) throws ApiException {
        if (!req.content().hasEntity()) {
            return "";
        }
        // The server takes large bodies for uploads; a JSON body stays small.
        try (java.io.InputStream in = req.content().inputStream()) {
            byte[] bytes = in.readNBytes(MAX_JSON_BODY + 1);
            if (bytes.length > MAX_JSON_BODY) {
                throw new ApiException(413, "the request body is larger than " + MAX_JSON_BODY / 1024 + " KiB");
            }
            return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw ApiException.badRequest("the request body could not be read: " + e.getMessage());
        }
    }

    static final int MAX_JSON_BODY = 64 * 1024;

    private static String id(ServerRequest req) {
        return req.path().pathParameters().get("id");
    }

    private io.helidon.webserver.http.Handler timed(String method, String route, ApiHandler handler) {
        return timed(metrics, method, route, handler);
    }

    /** Every API route: failures become the one JSON error shape, and each request is timed. */
    static io.helidon.webserver.http.Handler timed(EdgeMetrics metrics, String method, String route, ApiHandler handler) {
        return (req, res) -> {
            long start = System.nanoTime();
            try {
                handler.handle(req, res);
            } catch (ApiException e) {
                e.headers().forEach(res::header);
                json(res, e.status(), SessionJson.error(e.getMessage()));
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, method + " " + route + " failed", e);
                json(res, 500, SessionJson.error("internal error; the edge's log has the details"));
            } finally {
                metrics.httpRequest(method, route, res.status().code(), System.nanoTime() - start);
            }
        };
    }

    static void json(ServerResponse res, int status, String body) {
        res.status(Status.create(status)).header(HeaderValues.CONTENT_TYPE_JSON).send(body);
    }
}
