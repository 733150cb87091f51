package dev.mbi.controlplane.core;

import dev.mbi.controlplane.launch.RunnerLauncher.RunnerHandle;
import dev.mbi.proto.v1.Capability;
import dev.mbi.proto.v1.Frame;
import dev.mbi.proto.v1.SessionMetrics;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One session and its own transitions: pending → ready → terminated | error. Every method holds
 * the session's lock only for its own fields; the {@link RunnerLink} calls made under it only
 * queue (so the runner gets stream controls in the order of the viewers' changes), and whatever
 * else has to happen after a change (telling viewers, stopping the runner) is returned to the
 * caller to do outside the lock.
 */
final class Session {
    final String id;
    final String url;
    final Instant createdAt;
    final long createdNanos;
    final String owner;
    private final String joinToken;
    /** Hosts this session's browser never reaches, on top of the operator's egress policy. */
    final List<String> egressDenyHosts;
    /** SHA-256 (hex) of the session's own bearer token; the token itself is not kept. */
    private final String sessionTokenSha256;
    /** How the page presents itself, as created. */
    final PageOptions page;
    /** What may cross the boundary. */
    final DataPolicy policy;
    /** Downloads and prints, oldest first, by id (at most {@value #MAX_DOWNLOADS}). */
    private final java.util.LinkedHashMap<String, dev.mbi.proto.v1.DownloadUpdate> downloads = new java.util.LinkedHashMap<>();
    static final int MAX_DOWNLOADS = 1000;
    private ControlHolder controller = ControlHolder.SHARED;
    /** Automation clients of the DevTools endpoint, by the id the runner knows them by. */
    private final java.util.Map<String, CdpClient> cdpClients = new java.util.LinkedHashMap<>();

    private SessionStatus status = SessionStatus.PENDING;
    private String error = "";
    private Instant endedAt;
    private boolean tokenUsed;
    private RunnerHandle runnerHandle;
    private String runnerHost = "";
    private RunnerLink runner;
    private Set<Capability> capabilities = Set.of();
    /** The registered runner as it described itself, for operators; null before it registers. */
    private RunnerSnapshot.Identity runnerIdentity;
    /** When the runner was last heard from (any message), epoch ms; read without the lock. */
    private volatile long lastHeardMillis;
    private String currentUrl;
    private String title = "";
    private SessionMetrics metrics = SessionMetrics.getDefaultInstance();
    /** Egress rules a runner may report counts for; more are dropped. */
    private static final int MAX_EGRESS_RULES = 32;
    /** What an egress rule's name looks like ("loopback", "private address", "not on allow-list"). */
    private static final Pattern EGRESS_RULE = Pattern.compile("[a-z][a-z -]{0,39}");
    private Frame lastFrame;
    /** Last time a viewer attached, detached or sent input; the idle reaper measures from here. */
    private long lastActivityNanos;
    /** Replaced, never changed in place: the frame fan-out reads it without copying. */
    private List<Viewer> viewers = List.of();

    Session(String id, String url, String owner, String joinToken, String sessionTokenSha256, List<String> egressDenyHosts,
            PageOptions page, DataPolicy policy, Instant createdAt, long nowNanos) {
        this.egressDenyHosts = List.copyOf(egressDenyHosts);
        this.page = page;
        this.policy = policy;
        this.id = id;
        this.url = url;
        this.owner = owner;
        this.joinToken = joinToken;
        this.sessionTokenSha256 = sessionTokenSha256;
        this.createdAt = createdAt;
        this.createdNanos = nowNanos;
        this.currentUrl = url;
        this.lastActivityNanos = nowNanos;
    }

    String joinToken() {
        return joinToken;
    }

    /**
     * A session this control plane did not know, taken back from the runner that kept it going
     * (the control plane restarted): as the runner's resume token describes it. It has no join
     * token (its runner registered long ago) and no launcher handle (another process launched it).
     */
    static Session rebuilt(ResumeTokens.Claims c, String runnerHost, dev.mbi.proto.v1.RunnerState state, DataPolicy defaults,
                           Instant now, long nowNanos) {
        long ageNanos = Math.max(0, java.time.Duration.between(c.createdAt(), now).toNanos());
        // The session's own policy, under today's defaults: a restart never widens it.
        DataPolicy policy = c.policy().map(own -> own.intersect(defaults)).orElse(defaults);
        Session s = new Session(c.sessionId(), c.url(), c.owner(), "", c.sessionTokenSha256(), c.egressDenyHosts(),
                c.page(), policy, c.createdAt(), nowNanos - ageNanos);
        s.controller = switch (state.getController()) {
            case CONTROL_HOLDER_AGENT -> ControlHolder.AGENT;
            case CONTROL_HOLDER_HUMAN -> ControlHolder.HUMAN;
            default -> ControlHolder.SHARED;
        };
        s.lastActivityNanos = nowNanos;
        s.tokenUsed = true;
        s.runnerHost = runnerHost;
        if (!state.getUrl().isEmpty()) {
            s.navigated(state.getUrl(), state.getTitle());
        }
        // Ready from the start when the runner's page is: nobody ever sees it pending again.
        if (state.getReady()) {
            s.status = SessionStatus.READY;
        }
        return s;
    }

    /** What a resume token binds: the session as a restarted control plane must know it. */
    ResumeTokens.Claims claims() {
        return new ResumeTokens.Claims(id, owner, createdAt, url, sessionTokenSha256, egressDenyHosts,
                java.util.Optional.of(policy), page);
    }

    synchronized SessionSnapshot snapshot() {
        return new SessionSnapshot(id, status, createdAt, url, error, metrics, runnerHost, currentUrl, title,
                endedAt, viewers.size(), owner, sessionTokenSha256, controller, cdpClients.size(), page, policy);
    }

    // ---- runner

    /** The launched runner, or false when the session ended while it was being started. */
    synchronized boolean launched(RunnerHandle handle) {
        runnerHandle = handle;
        runnerHost = handle.host();
        return !status.ended();
    }

    /**
     * Accepts the runner's one registration: its stream becomes the session's link to it, and it
     * is welcomed and told whether anyone watches, in that order.
     */
    synchronized void register(String token, RunnerLink link, Set<Capability> offered, RunnerWelcome welcome)
            throws SessionException {
        if (tokenUsed || !MessageDigest.isEqual(joinToken.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8))) {
            throw new SessionException(SessionException.Reason.REJECTED,
                    "join token for session " + id + " is wrong or already used");
        }
        if (status.ended()) {
            throw new SessionException(SessionException.Reason.NOT_READY, "session " + id + " has ended");
        }
        tokenUsed = true;
        runner = link;
        capabilities = Set.copyOf(offered);
        link.welcome(welcome);
        link.framesEnabled(!viewers.isEmpty());
    }

    /**
     * The session's runner dialed again (with a valid resume token): its new stream becomes the
     * link, is welcomed and told whether anyone watches. Returns the stream it replaced when that
     * was another one (the caller tells it to stop), else null.
     */
    /**
     * Takes a runner back on a new stream. A stream it replaces is told to stop first, under this
     * lock: by the time the new stream is welcomed (and its runner may speak), nothing the old one
     * says counts any more.
     */
    synchronized void resume(RunnerLink link, Set<Capability> offered, RunnerWelcome welcome) throws SessionException {
        if (status.ended()) {
            throw new SessionException(SessionException.Reason.NOT_READY, "session " + id + " has ended");
        }
        if (runner != null && runner != link) {
            runner.shutdown("another runner took this session over");
        }
        tokenUsed = true;
        runner = link;
        capabilities = Set.copyOf(offered);
        link.welcome(welcome);
        link.framesEnabled(!viewers.isEmpty());
    }

    synchronized boolean registered() {
        return tokenUsed;
    }

    /** Who registered (recorded once, after a successful {@link #register}). */
    synchronized void identified(RunnerSnapshot.Identity identity) {
        runnerIdentity = identity;
        lastHeardMillis = identity.registeredAt().toEpochMilli();
    }

    void heard(long epochMillis) {
        lastHeardMillis = epochMillis;
    }

    /** The session's runner for operators, or null when none is registered or the session has ended. */
    synchronized RunnerSnapshot runnerSnapshot() {
        if (runnerIdentity == null || status.ended()) {
            return null;
        }
        return new RunnerSnapshot(id, runnerHost, runnerIdentity, java.time.Instant.ofEpochMilli(lastHeardMillis), false);
    }

    synchronized boolean isLinkedTo(RunnerLink link) {
        return runner == link;
    }

    /** pending → ready; false when the session was not pending. */
    synchronized boolean markReady(long nowNanos) {
        if (status != SessionStatus.PENDING) {
            return false;
        }
        status = SessionStatus.READY;
        // Idle time counts from the moment there was something to watch.
        lastActivityNanos = nowNanos;
        return true;
    }

    /** Keeps the newest frame for viewers who arrive later; returns who watches now. */
    synchronized List<Viewer> frame(Frame frame) {
        if (status.ended()) {
            return List.of();
        }
        lastFrame = frame;
        return viewers;
    }

    /**
     * True when the address or title changed while the session is live. Both are kept cut to
     * {@link Limits#MAX_CURRENT_URL_BYTES} and {@link Limits#MAX_TITLE_BYTES}: the page decides how long they are.
     */
    synchronized boolean navigated(String reportedUrl, String reportedTitle) {
        String newUrl = Limits.truncate(reportedUrl, Limits.MAX_CURRENT_URL_BYTES);
        String newTitle = Limits.truncate(reportedTitle, Limits.MAX_TITLE_BYTES);
        if (newUrl.equals(currentUrl) && newTitle.equals(title)) {
            return false;
        }
        currentUrl = newUrl;
        title = newTitle;
        return !status.ended();
    }

    /**
     * Takes the runner's latest report and returns what it adds to the previous one (counts never
     * go backwards). Egress rule names are a small fixed set on the runner's side; anything that
     * does not look like one is ignored, so a runner cannot flood metric labels.
     */
    synchronized RunnerFigures metrics(SessionMetrics newMetrics) {
        if (Limits.utf8Length(newMetrics.getWebrtcError()) > Limits.MAX_REASON_BYTES
                || Limits.utf8Length(newMetrics.getTransport()) > Limits.MAX_REASON_BYTES
                || Limits.utf8Length(newMetrics.getEgressLastBlockedHost()) > Limits.MAX_REASON_BYTES
                || Limits.utf8Length(newMetrics.getEgressLastBlockedReason()) > Limits.MAX_REASON_BYTES
                || newMetrics.getEgressBlockedByReasonCount() > MAX_EGRESS_RULES) {
            Map<String, Long> byRule = new TreeMap<>(newMetrics.getEgressBlockedByReasonMap());
            newMetrics = newMetrics.toBuilder()
                    .setWebrtcError(Limits.truncate(newMetrics.getWebrtcError(), Limits.MAX_REASON_BYTES))
                    .setTransport(Limits.truncate(newMetrics.getTransport(), Limits.MAX_REASON_BYTES))
                    .setEgressLastBlockedHost(Limits.truncate(newMetrics.getEgressLastBlockedHost(), Limits.MAX_REASON_BYTES))
                    .setEgressLastBlockedReason(Limits.truncate(newMetrics.getEgressLastBlockedReason(), Limits.MAX_REASON_BYTES))
                    .clearEgressBlockedByReason()
                    .putAllEgressBlockedByReason(byRule.entrySet().stream().limit(MAX_EGRESS_RULES)
                            .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)))
                    .build();
        }
        Map<String, Long> fresh = new TreeMap<>();
        SessionMetrics previous = metrics;
        Map<String, Long> before = previous.getEgressBlockedByReasonMap();
        newMetrics.getEgressBlockedByReasonMap().forEach((rule, count) -> {
            long added = count - before.getOrDefault(rule, 0L);
            if (added > 0 && EGRESS_RULE.matcher(rule).matches()) {
                fresh.put(rule, added);
            }
        });
        metrics = newMetrics;
        double inputToFrame = newMetrics.getInputToFrameMs() > 0
                && newMetrics.getInputToFrameMs() != previous.getInputToFrameMs() ? newMetrics.getInputToFrameMs() : 0;
        return new RunnerFigures(fresh,
                Math.max(0, newMetrics.getFramesSent() - previous.getFramesSent()),
                Math.max(0, newMetrics.getBytesSent() - previous.getBytesSent()),
                Math.max(0, newMetrics.getWebrtcFramesSent() - previous.getWebrtcFramesSent()),
                Math.max(0, newMetrics.getWebrtcBytesSent() - previous.getWebrtcBytesSent()),
                inputToFrame, newMetrics.getTransport());
    }

    /** The runner a WebRTC offer goes to: the session must be ready and its runner offer WebRTC. */
    synchronized RunnerLink offerTarget() throws SessionException {
        if (status != SessionStatus.READY) {
            throw new SessionException(SessionException.Reason.NOT_READY, "session not ready: " + status.name().toLowerCase());
        }
        if (runner == null || !capabilities.contains(Capability.CAPABILITY_WEBRTC_VP8)) {
            throw new SessionException(SessionException.Reason.RUNNER_UNREACHABLE,
                    "runner unreachable: this runner does not offer WebRTC");
        }
        return runner;
    }

    // ---- viewers

    /** What a viewer gets when it arrives: the session as it is, and its newest frame (or null). */
    record Arrival(SessionSnapshot snapshot, Frame latest, boolean ended) {
    }

    synchronized Arrival attach(Viewer viewer, long nowNanos) {
        if (status.ended()) {
            return new Arrival(snapshot(), null, true);
        }
        List<Viewer> more = new ArrayList<>(viewers);
        more.add(viewer);
        viewers = List.copyOf(more);
        lastActivityNanos = nowNanos;
        if (viewers.size() == 1 && runner != null) {
            runner.framesEnabled(true);
        }
        return new Arrival(snapshot(), lastFrame, false);
    }

    /** False when the viewer was not attached (already left, or the session ended). */
    synchronized boolean detach(Viewer viewer, long nowNanos) {
        if (!viewers.contains(viewer)) {
            return false;
        }
        List<Viewer> fewer = new ArrayList<>(viewers);
        fewer.remove(viewer);
        viewers = List.copyOf(fewer);
        lastActivityNanos = nowNanos;
        if (viewers.isEmpty() && !status.ended() && runner != null) {
            runner.framesEnabled(false);
        }
        return true;
    }

    synchronized List<Viewer> viewers() {
        return viewers;
    }

    /**
     * Input counts as activity; it goes to the runner unless the session ended. False when it is
     * refused because an agent holds control.
     */
    synchronized boolean input(dev.mbi.proto.v1.InputEvent event, long nowNanos) {
        if (status.ended()) {
            return true;
        }
        lastActivityNanos = nowNanos;
        if (controller == ControlHolder.AGENT) {
            return false;
        }
        if (runner != null) {
            runner.input(event);
        }
        return true;
    }

    synchronized ControlHolder controller() {
        return controller;
    }

    /** Hands control over; false when nothing changed. The runner is told at once (it tells its DevTools clients). */
    synchronized boolean control(ControlHolder holder) throws SessionException {
        if (status.ended()) {
            throw new SessionException(SessionException.Reason.NOT_READY, "session not ready: " + status.name().toLowerCase());
        }
        if (controller == holder) {
            return false;
        }
        controller = holder;
        if (runner != null) {
            runner.control(holder);
        }
        return true;
    }

    // ---- data paths

    /** The runner a download read or an upload goes to: the session must be ready. */
    synchronized RunnerLink dataTarget() throws SessionException {
        if (status != SessionStatus.READY || runner == null) {
            throw new SessionException(SessionException.Reason.NOT_READY, "session not ready: "
                    + (status == SessionStatus.READY ? "its runner is reconnecting" : status.name().toLowerCase()));
        }
        return runner;
    }

    /** Records a download's news; false when the session keeps no more downloads. */
    synchronized boolean download(dev.mbi.proto.v1.DownloadUpdate d) {
        if (!downloads.containsKey(d.getId()) && downloads.size() >= MAX_DOWNLOADS) {
            return false;
        }
        downloads.put(d.getId(), d);
        return true;
    }

    synchronized boolean hasDownload(String id) {
        return downloads.containsKey(id);
    }

    synchronized List<dev.mbi.proto.v1.DownloadUpdate> downloads() {
        return List.copyOf(downloads.values());
    }

    // ---- automation clients (DevTools)

    /** Adds a DevTools client and tells the runner; refused unless the page is ready and below the limit. */
    synchronized void cdpOpen(String clientId, CdpClient client, int maxClients, long nowNanos) throws SessionException {
        if (status != SessionStatus.READY || runner == null) {
            throw new SessionException(SessionException.Reason.NOT_READY, "session not ready: "
                    + (status == SessionStatus.READY ? "its runner is reconnecting" : status.name().toLowerCase()));
        }
        if (cdpClients.size() >= maxClients) {
            throw SessionException.limitReached(dev.mbi.proto.v1.LimitReason.LIMIT_REASON_MAX_CDP_CLIENTS,
                    "this session already has " + cdpClients.size() + " DevTools client(s), the most it takes (CDP_MAX_CLIENTS)");
        }
        cdpClients.put(clientId, client);
        lastActivityNanos = nowNanos;
        runner.cdpOpen(clientId);
    }

    /** A piece of a client's DevTools message, for the runner; an agent's work counts as activity. */
    synchronized void cdpFromClient(String clientId, com.google.protobuf.ByteString piece, boolean last, long nowNanos) {
        if (cdpClients.containsKey(clientId) && runner != null) {
            lastActivityNanos = nowNanos;
            runner.cdpData(clientId, piece, last);
        }
    }

    /** The client a runner's piece goes to, or null when it is gone. */
    synchronized CdpClient cdpClient(String clientId) {
        return cdpClients.get(clientId);
    }

    /** Removes a client; the runner is told unless it was the one that closed it. Null when it was gone already. */
    synchronized CdpClient cdpClose(String clientId, String reason, boolean byRunner) {
        CdpClient removed = cdpClients.remove(clientId);
        if (removed != null && !byRunner && runner != null) {
            runner.cdpClose(clientId, reason);
        }
        return removed;
    }

    /** Every client, removed: the runner that held their connections is gone or replaced. */
    synchronized List<CdpClient> cdpDropAll() {
        List<CdpClient> all = List.copyOf(cdpClients.values());
        cdpClients.clear();
        return all;
    }

    // ---- end

    /** What ending a session leaves to do, outside its lock. */
    record Ended(SessionSnapshot snapshot, RunnerLink runner, RunnerHandle handle, List<Viewer> viewers,
                 List<CdpClient> cdpClients) {
    }

    /** Moves to an end state once; null when the session had already ended. */
    synchronized Ended end(SessionStatus endStatus, String reason, Instant now) {
        if (status.ended()) {
            return null;
        }
        status = endStatus;
        error = endStatus == SessionStatus.ERROR ? Limits.truncate(reason, Limits.MAX_REASON_BYTES) : "";
        endedAt = now;
        List<Viewer> watching = viewers;
        viewers = List.of();
        lastFrame = null;
        List<CdpClient> automating = List.copyOf(cdpClients.values());
        cdpClients.clear();
        return new Ended(snapshot(), runner, runnerHandle, watching, automating);
    }

    /** What the reaper judges a session by. */
    record Idleness(SessionStatus status, long idleNanos, boolean watched, Instant endedAt) {
    }

    synchronized Idleness idleness(long nowNanos) {
        return new Idleness(status, nowNanos - lastActivityNanos, !viewers.isEmpty() || !cdpClients.isEmpty(), endedAt);
    }
}
