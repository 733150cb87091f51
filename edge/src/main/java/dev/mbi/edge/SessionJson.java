package dev.mbi.edge;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mbi.proto.v1.Session;
import dev.mbi.proto.v1.SessionMetrics;
import dev.mbi.proto.v1.SessionStatus;
import java.time.Instant;

/** The public JSON shapes of sessions, as the API documents them. */
final class SessionJson {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private SessionJson() {
    }

    static String status(SessionStatus status) {
        return switch (status) {
            case SESSION_STATUS_READY -> "ready";
            case SESSION_STATUS_TERMINATED -> "terminated";
            case SESSION_STATUS_ERROR -> "error";
            default -> "pending";
        };
    }

    /** The answer to a create: id, status and creation time. */
    static ObjectNode created(Session s) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("sessionId", s.getSessionId());
        n.put("status", status(s.getStatus()));
        n.put("createdAt", Instant.ofEpochMilli(s.getCreatedAtUnixMs()).toString());
        return n;
    }

    static ObjectNode full(Session s) {
        ObjectNode n = created(s);
        n.put("url", s.getUrl());
        n.put("error", s.getError());
        n.put("currentUrl", s.getCurrentUrl());
        n.put("title", s.getTitle());
        n.put("runnerHost", s.getRunnerHost());
        n.put("viewers", s.getViewerCount());
        n.put("owner", s.getOwner());
        n.put("controller", CreateRequests.holderName(s.getController()));
        n.put("cdpClients", s.getCdpClients());
        if (s.getViewportWidth() > 0) {
            ObjectNode viewport = n.putObject("viewport");
            viewport.put("width", s.getViewportWidth());
            viewport.put("height", s.getViewportHeight());
        } else {
            n.putNull("viewport");
        }
        n.put("userAgent", s.getUserAgent());
        n.put("locale", s.getLocale());
        n.put("timezone", s.getTimezone());
        n.set("policy", policy(s.getPolicy()));
        if (s.getEndedAtUnixMs() > 0) {
            n.put("endedAt", Instant.ofEpochMilli(s.getEndedAtUnixMs()).toString());
        }
        SessionMetrics m = s.getMetrics();
        ObjectNode metrics = n.putObject("metrics");
        metrics.put("uptimeSec", s.getUptimeSec());
        metrics.put("cpuPercent", m.getCpuPercent());
        metrics.put("memMB", m.getMemMb());
        metrics.put("fps", m.getFps());
        metrics.put("framesSent", m.getFramesSent());
        metrics.put("framesDropped", m.getFramesDropped());
        metrics.put("bytesSent", m.getBytesSent());
        metrics.put("transport", m.getTransport().isEmpty() ? "websocket" : m.getTransport());
        ObjectNode webrtc = metrics.putObject("webrtc");
        webrtc.put("peers", m.getWebrtcPeers());
        webrtc.put("fps", m.getWebrtcFps());
        webrtc.put("bitrateKbps", m.getWebrtcBitrateKbps());
        webrtc.put("rttMs", m.getWebrtcRttMs());
        webrtc.put("framesDropped", m.getWebrtcFramesDropped());
        webrtc.put("error", m.getWebrtcError());
        metrics.put("inputDropped", m.getInputDropped());
        // What the egress policy refused: how often, and the last host with the rule that refused it.
        ObjectNode egress = metrics.putObject("egress");
        egress.put("blocked", m.getEgressBlocked());
        if (m.getEgressLastBlockedHost().isEmpty()) {
            egress.putNull("lastBlockedHost");
            egress.putNull("lastBlockedReason");
        } else {
            egress.put("lastBlockedHost", m.getEgressLastBlockedHost());
            egress.put("lastBlockedReason", m.getEgressLastBlockedReason());
        }
        if (m.getInputToFrameMs() > 0) {
            metrics.put("inputToFrameMs", m.getInputToFrameMs());
        } else {
            metrics.putNull("inputToFrameMs");
        }
        return n;
    }

    /** The WebSocket's status message. */
    static String statusMessage(Session s) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("type", "status");
        n.put("sessionId", s.getSessionId());
        n.put("status", status(s.getStatus()));
        n.put("error", s.getError());
        n.put("url", s.getCurrentUrl());
        n.put("title", s.getTitle());
        return n.toString();
    }

    static ObjectNode policy(dev.mbi.proto.v1.SessionPolicy p) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("clipboard", switch (p.getClipboard()) {
            case CLIPBOARD_POLICY_TO_LOCAL -> "to-local";
            case CLIPBOARD_POLICY_TO_REMOTE -> "to-remote";
            case CLIPBOARD_POLICY_NONE -> "none";
            default -> "both";
        });
        n.put("downloads", allow(p.getDownloads()));
        n.put("uploads", allow(p.getUploads()));
        n.put("printing", allow(p.getPrinting()));
        n.put("keyboard", allow(p.getKeyboard()));
        n.put("audio", allow(p.getAudio()));
        n.put("maxTransferBytes", p.getMaxTransferBytes());
        return n;
    }

    private static String allow(dev.mbi.proto.v1.Permission p) {
        return p == dev.mbi.proto.v1.Permission.PERMISSION_DENY ? "deny" : "allow";
    }

    /** The WebSocket's message saying who may act on the page. */
    static String controlMessage(Session s) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("type", "control");
        n.put("holder", CreateRequests.holderName(s.getController()));
        return n.toString();
    }

    static String error(String message) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("error", message);
        return n.toString();
    }
}
