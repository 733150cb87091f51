package dev.mbi.controlplane.core;

import dev.mbi.contract.RunnerContract;
import dev.mbi.controlplane.launch.RunnerLauncher;
import dev.mbi.proto.v1.Capability;
import dev.mbi.proto.v1.Frame;
import dev.mbi.proto.v1.InputEvent;
import dev.mbi.proto.v1.NavigateAction;
import dev.mbi.proto.v1.RunnerState;
import dev.mbi.proto.v1.SessionMetrics;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import dev.mbi.redact.Urls;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The sessions and their rules, as the transports see them: the API's calls and the runners'
 * reports. Each concern has its own class ({@link SessionStore} for admission, {@link Session} for
 * transitions, {@link RunnerLifecycle}, {@link OfferRelay}, {@link Reaper}); this one ties them
 * together and ends sessions. Knows nothing of gRPC: runners and viewers are reached through
 * {@link RunnerLink} and {@link Viewer}, and no call here writes to the network under a lock.
 */
public final class SessionRegistry implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SessionRegistry.class.getName());

    /** The rules' settings. */
    public record Settings(
            int maxSessions,
            Duration idleTimeout,
            Duration startTimeout,
            Duration endedRetention,
            Duration heartbeatInterval,
            int maxFps,
            int viewportWidth,
            int viewportHeight,
            IceSettings ice,
            Duration offerTimeout,
            RunnerContract.Settings runner,
            Duration reconnectWindow,
            int warmPoolSize,
            int cdpMaxClients,
            DataPolicy policy,
            RunnerContract.Viewport viewportMax) {
    }

    private final Settings settings;
    private final Clock clock;
    private final LongSupplier nanoTime;
    private final SessionStore store;
    private final RunnerLifecycle runners;
    private final OfferRelay offers;
    private final DataPaths dataPaths = new DataPaths();
    private final Reaper reaper;
    private final List<SessionListener> listeners = new CopyOnWriteArrayList<>();
    private final SecureRandom random = new SecureRandom();
    private final ResumeTokens resumeTokens;
    private volatile java.time.Instant returningUntil;
    private final java.util.concurrent.atomic.AtomicLong resumesRefused = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong resumesAccepted = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong joinsRefused = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong cdpConnections = new java.util.concurrent.atomic.AtomicLong();

    /**
     * @param work runs runner launches (they block while a process, container or pod starts)
     * @param timer runs delayed judgements (a runner's exit)
     */
    public SessionRegistry(Settings settings, RunnerLauncher launcher, Supplier<String> runnerDialAddress,
                           Clock clock, LongSupplier nanoTime, Executor work, ScheduledExecutorService timer) {
        this(settings, launcher, runnerDialAddress, clock, nanoTime, work, timer,
                new ResumeTokens(ResumeTokens.randomKey(), RESUME_TOKEN_LIFETIME, clock));
    }

    /** How long a resume token is accepted; every welcome gives the runner a fresh one. */
    public static final Duration RESUME_TOKEN_LIFETIME = Duration.ofHours(24);

    /** @param resumeTokens signs and checks runners' resume tokens (with a key that should outlive restarts) */
    public SessionRegistry(Settings settings, RunnerLauncher launcher, Supplier<String> runnerDialAddress,
                           Clock clock, LongSupplier nanoTime, Executor work, ScheduledExecutorService timer,
                           ResumeTokens resumeTokens) {
        this.resumeTokens = resumeTokens;
        this.settings = settings;
        this.clock = clock;
        this.nanoTime = nanoTime;
        this.store = new SessionStore(settings.maxSessions());
        this.runners = new RunnerLifecycle(settings, launcher, runnerDialAddress, clock, work, timer, this::end, resumeTokens,
                () -> newToken(24));
        this.offers = new OfferRelay(settings.offerTimeout());
        this.reaper = new Reaper(settings, store, clock, nanoTime, this::end);
    }

    public void addListener(SessionListener listener) {
        listeners.add(listener);
    }

    public void removeListener(SessionListener listener) {
        listeners.remove(listener);
    }

    public Settings settings() {
        return settings;
    }

    // ------------------------------------------------------------------ the API's calls

    /** A new session, and its own bearer token: given out here once, kept only as its SHA-256. */
    public record Created(SessionSnapshot session, String sessionToken) {
        @Override
        public String toString() {
            return "Created[" + session + ", sessionToken=redacted]";
        }
    }

    /** Creates a session with no owner and starts its runner in the background. */
    public SessionSnapshot create(String url) throws SessionException {
        return create(url, "").session();
    }

    /** Creates a session recorded as {@code owner}'s and starts its runner in the background. */
    public Created create(String url, String owner) throws SessionException {
        return create(url, owner, List.of());
    }

    /** The same, with hosts this session's browser never reaches (on top of the operator's policy). */
    public Created create(String url, String owner, List<String> egressDenyHosts) throws SessionException {
        return create(url, owner, egressDenyHosts, PageOptions.DEFAULT);
    }

    /** The same, with how the page presents itself (viewport, user agent, locale, time zone). */
    public Created create(String url, String owner, List<String> egressDenyHosts, PageOptions page) throws SessionException {
        return create(url, owner, egressDenyHosts, page, dev.mbi.proto.v1.SessionPolicy.getDefaultInstance());
    }

    /** The same, with what may cross the boundary: the operator's policy, narrowed by {@code policy}. */
    public Created create(String url, String owner, List<String> egressDenyHosts, PageOptions page,
                          dev.mbi.proto.v1.SessionPolicy policy) throws SessionException {
        String checkedUrl = StartUrl.checkStart(url);
        PageOptions checkedPage = page.checked();
        if (checkedPage.viewportWidth() > settings.viewportMax().width() || checkedPage.viewportHeight() > settings.viewportMax().height()) {
            // A page may start no larger than a viewer could make it (frames and encoding grow with it).
            throw new SessionException(SessionException.Reason.INVALID, "viewport " + checkedPage.viewportWidth() + "x"
                    + checkedPage.viewportHeight() + " is larger than this server allows (VIEWPORT_MAX_WIDTH x VIEWPORT_MAX_HEIGHT = "
                    + settings.viewportMax().width() + "x" + settings.viewportMax().height() + ")");
        }
        DataPolicy checkedPolicy = settings.policy().narrowedBy(policy);
        List<String> denyHosts = EgressNarrowing.check(egressDenyHosts);
        String checkedOwner = owner == null ? "" : owner;
        if (Limits.utf8Length(checkedOwner) > Limits.MAX_OWNER_BYTES) {
            throw new SessionException(SessionException.Reason.INVALID, "owner is longer than " + Limits.MAX_OWNER_BYTES + " bytes");
        }
        // 256 random bits; only its SHA-256 stays with the session, and neither is ever logged.
        String sessionToken = newToken(32);
        String tokenSha256 = HexFormat.of().formatHex(sha256(sessionToken));
        // A runner waiting in the warm pool was launched for this id and token: the session takes both.
        WarmPool.Parked pooled = runners.pool().claim();
        String id = pooled != null ? pooled.sessionId() : UUID.randomUUID().toString();
        String joinToken = pooled != null ? pooled.joinToken() : newToken(24);
        Session s;
        try {
            s = store.admit(() -> new Session(id, checkedUrl, checkedOwner, joinToken,
                    tokenSha256, denyHosts, checkedPage, checkedPolicy, clock.instant(), nanoTime.getAsLong()));
        } catch (SessionException | RuntimeException e) {
            if (pooled != null) {
                runners.pool().giveBack(pooled);
            }
            throw e;
        }
        SessionSnapshot created = s.snapshot();
        LOG.info("session " + s.id + ": created for " + Urls.withoutUserInfo(checkedUrl)
                + (checkedOwner.isEmpty() ? "" : " by " + Limits.truncate(checkedOwner, 64))
                + " (" + store.live() + "/" + store.max() + " live)");
        listeners.forEach(l -> l.onCreated(created));
        if (pooled != null) {
            LOG.info("session " + s.id + ": runner taken from the warm pool");
            runners.claimed(s, pooled);
            s.identified(new RunnerSnapshot.Identity(pooled.hostname(), pooled.version(), clock.instant()));
        } else {
            runners.launch(s);
        }
        return new Created(created, sessionToken);
    }

    public Optional<SessionSnapshot> get(String id) {
        return Optional.ofNullable(store.get(id)).map(Session::snapshot);
    }

    /** Every session, oldest first (ties by id). */
    public List<SessionSnapshot> list() {
        return store.snapshots();
    }

    /** One page of the sessions (of one owner, or all when {@code owner} is empty); see {@link SessionPage}. */
    public SessionPage list(String owner, int pageSize, String pageToken) throws SessionException {
        return SessionPage.of(store.snapshots(), owner, pageSize, pageToken);
    }

    /** One page of the sessions that pass {@code filter}; see {@link SessionPage}. */
    public SessionPage list(java.util.function.Predicate<SessionSnapshot> filter, int pageSize, String pageToken)
            throws SessionException {
        return SessionPage.of(store.snapshots(), filter, pageSize, pageToken);
    }

    /** Ends every live session on an operator's request; returns how many there were. */
    public int terminateAll(String reason) {
        int ended = 0;
        for (SessionSnapshot snapshot : store.snapshots()) {
            Session s = store.get(snapshot.id());
            if (s != null && !snapshot.status().ended()) {
                end(s, SessionStatus.TERMINATED, reason, false);
                ended++;
            }
        }
        return ended;
    }

    /** Ends a session on request; an already ended one is returned as it is. */
    public SessionSnapshot delete(String id) throws SessionException {
        Session s = find(id);
        end(s, SessionStatus.TERMINATED, "deleted", false);
        return s.snapshot();
    }

    /** Adds a viewer; it gets the session's status and newest frame at once. */
    public Attachment attach(String id, Viewer viewer) throws SessionException {
        Session s = find(id);
        Session.Arrival arrival = s.attach(viewer, nanoTime.getAsLong());
        viewer.status(arrival.snapshot());
        if (arrival.ended()) {
            viewer.end();
            return Attachment.NONE;
        }
        if (arrival.latest() != null) {
            viewer.frame(arrival.latest());
        }
        LOG.fine(() -> "session " + id + ": viewer attached (" + arrival.snapshot().viewerCount() + " watching)");
        return new Attachment(this, s, viewer);
    }

    /** A viewer's handle on its session: send input, or leave. */
    public static final class Attachment {
        static final Attachment NONE = new Attachment(null, null, null);
        private final SessionRegistry registry;
        private final Session session;
        private final Viewer viewer;

        private Attachment(SessionRegistry registry, Session session, Viewer viewer) {
            this.registry = registry;
            this.session = session;
            this.viewer = viewer;
        }

        /**
         * Passes a viewer's input to the runner. A navigation is checked as a start URL is: one
         * that is refused is dropped, and the viewer is told why.
         */
        public void input(InputEvent event) {
            if (registry == null) {
                return;
            }
            if (event.hasNavigate() && navigatesToUrl(event.getNavigate().getAction())) {
                try {
                    StartUrl.check(event.getNavigate().getUrl());
                } catch (SessionException e) {
                    LOG.fine(() -> "session " + session.id + ": navigation refused: " + e.getMessage());
                    viewer.inputRefused("navigation refused: " + e.getMessage());
                    return;
                }
            }
            if (!session.input(event, registry.nanoTime.getAsLong())) {
                viewer.inputRefused("an agent is driving this session: take control first (POST /api/sessions/"
                        + session.id + "/control with {\"holder\":\"human\"})");
            }
        }

        /** Every navigation but back, forward and reload opens the URL it carries. */
        private static boolean navigatesToUrl(NavigateAction action) {
            return action != NavigateAction.NAVIGATE_ACTION_BACK && action != NavigateAction.NAVIGATE_ACTION_FORWARD
                    && action != NavigateAction.NAVIGATE_ACTION_RELOAD;
        }

        public void detach() {
            if (registry != null && session.detach(viewer, registry.nanoTime.getAsLong())) {
                viewer.end();
            }
        }
    }

    /**
     * Hands control of the page to an agent, a person or both; viewers get a status with the new
     * holder, and the runner tells its DevTools clients.
     */
    public SessionSnapshot control(String id, ControlHolder holder) throws SessionException {
        Session s = find(id);
        if (s.control(holder)) {
            SessionSnapshot snapshot = s.snapshot();
            LOG.info("session " + id + ": control handed to " + holder.value());
            s.viewers().forEach(v -> v.status(snapshot));
            return snapshot;
        }
        return s.snapshot();
    }

    /** A DevTools client's handle on its session: send pieces of messages, or leave. */
    public record CdpConnection(SessionRegistry registry, Session session, String clientId) {
        public void send(com.google.protobuf.ByteString piece, boolean last) {
            session.cdpFromClient(clientId, piece, last, registry.nanoTime.getAsLong());
        }

        /** The client left; the runner detaches what it attached. */
        public void close(String reason) {
            if (session.cdpClose(clientId, reason, false) != null) {
                LOG.info("session " + session.id + ": DevTools client " + clientId + " left (" + reason + ")");
            }
        }
    }

    /**
     * Connects an automation client to the session's DevTools endpoint. Refused unless the session
     * is ready, and beyond CDP_MAX_CLIENTS clients.
     *
     * @param who who connected, for logs
     */
    public CdpConnection cdpOpen(String id, String who, CdpClient client) throws SessionException {
        Session s = find(id);
        String clientId = UUID.randomUUID().toString();
        s.cdpOpen(clientId, client, settings.cdpMaxClients(), nanoTime.getAsLong());
        LOG.info("session " + id + ": DevTools client " + clientId + " connected"
                + (who.isEmpty() ? "" : " (" + Limits.truncate(who, 64) + ")"));
        cdpConnections.incrementAndGet();
        return new CdpConnection(this, s, clientId);
    }

    /** A piece of a DevTools message from the runner, for its client. */
    public void runnerCdpData(String id, String clientId, com.google.protobuf.ByteString piece, boolean last) {
        Session s = store.get(id);
        CdpClient client = s == null ? null : s.cdpClient(clientId);
        if (client != null) {
            client.data(piece, last);
        }
    }

    /** The runner ended a DevTools client's connection. */
    public void runnerCdpClosed(String id, String clientId, String reason) {
        Session s = store.get(id);
        CdpClient client = s == null ? null : s.cdpClose(clientId, reason, true);
        if (client != null) {
            LOG.info("session " + id + ": DevTools client " + clientId + " closed by the runner ("
                    + Limits.truncate(reason, 200) + ")");
            client.closed(Limits.truncate(reason, Limits.MAX_REASON_BYTES));
        }
    }

    // ------------------------------------------------------------------ data paths

    /** The session's downloads and prints, oldest first. */
    public List<dev.mbi.proto.v1.DownloadUpdate> downloads(String id) throws SessionException {
        return find(id).downloads();
    }

    /** Reads one download from the runner; pieces go to {@code reader}, which grants more as it takes them. */
    public DataPaths.ReadHandle readDownload(String id, String downloadId, DataPaths.DownloadReader reader) throws SessionException {
        Session s = find(id);
        if (!s.policy.downloads()) {
            throw new SessionException(SessionException.Reason.FORBIDDEN, "downloads are off for this session (policy.downloads = deny)");
        }
        return dataPaths.read(s, downloadId, reader);
    }

    /** Starts an upload for one of the page's file choosers. */
    public DataPaths.Upload upload(String id, String chooserId) throws SessionException {
        return dataPaths.upload(find(id), chooserId);
    }

    public void runnerClipboard(String id, String text) {
        Session s = store.get(id);
        if (s != null && s.policy.clipboard().toLocal()
                && Limits.utf8Length(text) <= s.policy.maxTransferBytes()) {
            s.viewers().forEach(v -> v.clipboard(text));
        }
    }

    public void runnerDownload(String id, dev.mbi.proto.v1.DownloadUpdate update) {
        Session s = store.get(id);
        dev.mbi.proto.v1.DownloadUpdate d = DataPaths.bounded(update);
        if (s != null && s.download(d)) {
            s.viewers().forEach(v -> v.download(d));
        }
    }

    public void runnerFileChooser(String id, dev.mbi.proto.v1.FileChooserOpened chooser) {
        Session s = store.get(id);
        if (s != null) {
            s.viewers().forEach(v -> v.fileChooser(chooser));
        }
    }

    public void runnerBlocked(String id, dev.mbi.proto.v1.ActionBlocked blocked) {
        Session s = store.get(id);
        if (s != null) {
            dev.mbi.proto.v1.ActionBlocked b = blocked.toBuilder().setAction(Limits.truncate(blocked.getAction(), 64))
                    .setRule(Limits.truncate(blocked.getRule(), 200)).build();
            LOG.info("session " + id + ": " + b.getAction() + " blocked by " + b.getRule());
            s.viewers().forEach(v -> v.blocked(b));
            SessionSnapshot snapshot = s.snapshot();
            listeners.forEach(l -> l.onBlocked(snapshot, b.getAction()));
        }
    }

    public void runnerDownloadChunk(String id, dev.mbi.proto.v1.FileChunk chunk) {
        dataPaths.runnerChunk(id, chunk);
    }

    public void runnerUploadDone(String id, dev.mbi.proto.v1.UploadDone done) {
        dataPaths.runnerUploadDone(id, done);
    }

    /** The ICE servers a viewer of this session should use (TURN credentials made for it now). */
    public List<IceSettings.Server> iceServers(String id) throws SessionException {
        return settings.ice().serversFor(find(id).id, clock.instant());
    }

    /**
     * Relays a viewer's offer to the runner. The future completes with the runner's answer, or
     * fails with RUNNER_UNREACHABLE when the runner cannot answer within the offer timeout.
     */
    public CompletableFuture<WebRtcAnswer> offer(String id, String sdp) throws SessionException {
        return offers.offer(find(id), sdp);
    }

    // ------------------------------------------------------------------ runner side

    /** Accepts a runner's registration; the runner is welcomed over its link. */
    public RunnerWelcome runnerRegistered(String id, String joinToken, String hostname, Set<Capability> capabilities,
                                          RunnerLink link) throws SessionException {
        return runnerRegistered(id, joinToken, hostname, "", capabilities, link);
    }

    /** @param version the runner's own version, as it reported it (for operators) */
    public RunnerWelcome runnerRegistered(String id, String joinToken, String hostname, String version,
                                          Set<Capability> capabilities, RunnerLink link) throws SessionException {
        Session s = store.get(id);
        if (s == null && runners.pool().owns(id)) {
            return runners.pool().park(id, joinToken, hostname, version, capabilities, link, clock.instant());
        }
        if (s == null) {
            throw new SessionException(SessionException.Reason.NOT_FOUND, "unknown session " + id);
        }
        RunnerWelcome welcome;
        try {
            welcome = runners.register(s, joinToken, hostname, capabilities, link);
        } catch (SessionException e) {
            if (e.reason() == SessionException.Reason.REJECTED) {
                joinsRefused.incrementAndGet();
            }
            throw e;
        }
        s.identified(new RunnerSnapshot.Identity(Limits.truncate(hostname, Limits.MAX_REASON_BYTES),
                Limits.truncate(version, Limits.MAX_REASON_BYTES), clock.instant()));
        return welcome;
    }

    /**
     * A runner dialed again with its resume token, after losing its stream: to this control plane,
     * which still knows the session (a network failure), or to one that restarted and does not
     * (the session is rebuilt from the token and the runner's state, with the same id and token).
     * The newest stream wins: one still open for the session is told to shut down.
     *
     * @throws SessionException REJECTED for a forged, altered, expired or other session's token;
     *                          NOT_READY when the session has ended meanwhile
     */
    public RunnerWelcome runnerResumed(String id, String resumeToken, String hostname, String version,
                                       Set<Capability> capabilities, RunnerState state, RunnerLink link)
            throws SessionException {
        ResumeTokens.Claims claims = resumeTokens.verify(resumeToken, id).orElse(null);
        if (claims == null) {
            long refused = resumesRefused.incrementAndGet();
            LOG.warning("session " + Limits.truncate(id, 64) + ": a runner from " + Limits.truncate(hostname, 64)
                    + " presented a resume token that is forged, expired or another session's (" + refused + " refused so far)");
            throw new SessionException(SessionException.Reason.REJECTED,
                    "resume token for session " + id + " is not valid (forged, expired or another session's)");
        }
        Session s = store.get(id);
        boolean rebuilt = false;
        if (s == null) {
            Session fresh = Session.rebuilt(claims, Limits.truncate(hostname, Limits.MAX_REASON_BYTES), state, settings.policy(),
                    clock.instant(), nanoTime.getAsLong());
            s = store.adopt(fresh);
            rebuilt = s == fresh;
        }
        RunnerWelcome welcome = runners.resume(s, hostname, capabilities, link);
        resumesAccepted.incrementAndGet();
        s.identified(new RunnerSnapshot.Identity(Limits.truncate(hostname, Limits.MAX_REASON_BYTES),
                Limits.truncate(version, Limits.MAX_REASON_BYTES), clock.instant()));
        if (rebuilt) {
            SessionSnapshot back = s.snapshot();
            LOG.info("session " + id + ": taken back from its runner after a restart, " + back.status().name().toLowerCase()
                    + " (" + store.live() + "/" + store.max() + " live)");
            listeners.forEach(l -> l.onCreated(back));
            runners.adopt(s);
            if (back.status() == SessionStatus.READY) {
                listeners.forEach(l -> l.onReady(back));
            }
        } else {
            if (!state.getUrl().isEmpty()) {
                runnerNavigated(id, state.getUrl(), state.getTitle());
            }
            if (state.getReady()) {
                runnerReady(id, 0);
            }
        }
        return welcome;
    }

    /**
     * Sessions may come back from their runners (the signing key outlives restarts): for the
     * reconnect window after start, an unknown session is "not known yet" (UNAVAILABLE, try again)
     * rather than "not found", so that nobody gives up on a session its runner is bringing back.
     */
    public void expectSessionsBack() {
        returningUntil = clock.instant().plus(settings.reconnectWindow());
    }

    private Session find(String id) throws SessionException {
        Session s = store.get(id);
        if (s != null) {
            return s;
        }
        if (returningUntil != null && clock.instant().isBefore(returningUntil)) {
            throw new SessionException(SessionException.Reason.RETURNING, "session " + Limits.truncate(id, 64)
                    + " is not known yet: the control plane started a moment ago and its runners are dialing back; try again shortly");
        }
        throw SessionException.notFound();
    }

    /** The session as it is now; NOT_FOUND, or RETURNING just after a restart. */
    public SessionSnapshot require(String id) throws SessionException {
        return find(id).snapshot();
    }

    /** Runners that dialed again and were taken back, since start. */
    public long resumesAccepted() {
        return resumesAccepted.get();
    }

    /** Registrations refused for a wrong or reused join token, since start. */
    /** DevTools clients connected since start. */
    public long cdpConnections() {
        return cdpConnections.get();
    }

    /** DevTools clients connected now, over every live session. */
    public int cdpClients() {
        return store.snapshots().stream().mapToInt(SessionSnapshot::cdpClients).sum();
    }

    public long joinsRefused() {
        return joinsRefused.get();
    }

    /** Resume tokens refused since start (forged, altered, expired or another session's). */
    public long resumesRefused() {
        return resumesRefused.get();
    }

    /** The runner said something (a heartbeat, at least): operators see when it was last heard. */
    public void runnerHeard(String id) {
        Session s = store.get(id);
        if (s != null) {
            s.heard(clock.millis());
        } else {
            runners.pool().heard(id, clock.millis());
        }
    }

    /** Every registered runner of a live session, oldest session first, then those waiting in the warm pool. */
    public List<RunnerSnapshot> runners() {
        List<RunnerSnapshot> all = new java.util.ArrayList<>();
        for (SessionSnapshot snapshot : store.snapshots()) {
            Session s = store.get(snapshot.id());
            RunnerSnapshot r = s == null ? null : s.runnerSnapshot();
            if (r != null) {
                all.add(r);
            }
        }
        all.addAll(runners.pool().waiting());
        return all;
    }

    public void runnerReady(String id, long startupMs) {
        Session s = store.get(id);
        if (s == null || !s.markReady(nanoTime.getAsLong())) {
            return;
        }
        SessionSnapshot snapshot = s.snapshot();
        java.time.Duration sinceCreated = java.time.Duration.ofNanos(nanoTime.getAsLong() - s.createdNanos);
        LOG.info("session " + id + ": ready (Chromium to first frame " + startupMs + " ms, "
                + sinceCreated.toMillis() + " ms since created)");
        s.viewers().forEach(v -> v.status(snapshot));
        listeners.forEach(l -> l.onReady(snapshot));
        if (startupMs > 0) {
            listeners.forEach(l -> l.onStarted(snapshot, sinceCreated));
        }
    }

    public void runnerFrame(String id, Frame frame) {
        Session s = store.get(id);
        if (s != null) {
            for (Viewer v : s.frame(frame)) {
                v.frame(frame);
            }
        }
    }

    /** The page's address or title changed: viewers get a status message with it (their address bar follows). */
    public void runnerNavigated(String id, String url, String title) {
        Session s = store.get(id);
        if (s != null && s.navigated(url, title)) {
            SessionSnapshot snapshot = s.snapshot();
            s.viewers().forEach(v -> v.status(snapshot));
        }
    }

    public void runnerMetrics(String id, SessionMetrics metrics) {
        Session s = store.get(id);
        if (s != null) {
            RunnerFigures news = s.metrics(metrics);
            SessionSnapshot snapshot = s.snapshot();
            if (!news.egressBlocked().isEmpty()) {
                listeners.forEach(l -> l.onEgressBlocked(snapshot, news.egressBlocked()));
            }
            listeners.forEach(l -> l.onFigures(snapshot, news));
        }
    }

    /** The runner reported a failure it cannot recover from. */
    public void runnerFailed(String id, String reported) {
        String reason = Limits.truncate(reported, Limits.MAX_REASON_BYTES);
        Session s = store.get(id);
        if (s != null) {
            end(s, SessionStatus.ERROR, reason.isBlank() ? "runner failed" : reason, false);
        }
    }

    /** The runner ended the session by itself, without failing. */
    public void runnerTerminated(String id, String reported) {
        String reason = Limits.truncate(reported, Limits.MAX_REASON_BYTES);
        Session s = store.get(id);
        if (s != null) {
            end(s, SessionStatus.TERMINATED, reason, false);
        }
    }

    /** The runner's stream is gone (closed, broken, silent or not reading). Only the registered link counts. */
    public void runnerDisconnected(String id, RunnerLink link, String reason) {
        Session s = store.get(id);
        if (s != null) {
            runners.disconnected(s, link, reason);
        } else {
            runners.pool().disconnected(id, link, reason);
        }
    }

    public void runnerAnswered(String id, dev.mbi.proto.v1.SignalAnswer answer) {
        offers.answered(id, answer);
    }

    // ------------------------------------------------------------------ lifecycle

    /** Moves a session to an end state once; stops its runner and tells its viewers. */
    private void end(Session s, SessionStatus status, String reason, boolean launchFailed) {
        Session.Ended ended = s.end(status, reason, clock.instant());
        if (ended == null) {
            return;
        }
        store.release();
        offers.sessionEnded(s.id);
        dataPaths.sessionEnded(s.id);
        double duration = (nanoTime.getAsLong() - s.createdNanos) / 1e9;
        if (status == SessionStatus.ERROR) {
            LOG.warning("session " + s.id + ": error: " + Urls.withoutUserInfoIn(reason));
        } else {
            LOG.info("session " + s.id + ": terminated (" + Urls.withoutUserInfoIn(reason) + ") after " + Math.round(duration) + " s");
        }
        RunnerLifecycle.stop(ended, reason);
        for (Viewer v : ended.viewers()) {
            v.status(ended.snapshot());
            v.end();
        }
        for (CdpClient c : ended.cdpClients()) {
            c.closed("the session ended");
        }
        listeners.forEach(l -> l.onEnded(ended.snapshot(), launchFailed, duration));
    }

    /** One pass of the reaper (idle, never-ready and long-ended sessions). */
    public void reap() {
        reaper.reap();
    }

    /** Ends every live session (control plane shutdown). */
    @Override
    public void close() {
        for (Session s : store.all()) {
            end(s, SessionStatus.TERMINATED, "control plane shutting down", false);
        }
        runners.close();
    }

    /** Starts keeping WARM_POOL_SIZE runners started on each runner host (once the runners' gRPC port is bound). */
    public void startWarmPool() {
        runners.pool().start();
    }

    /**
     * The warm pool now: runners kept waiting on each host (WARM_POOL_SIZE), runners waiting and
     * starting (on every host), sessions that took one, sessions that found none.
     */
    public record WarmPoolFigures(int size, int ready, int starting, long claims, long misses) {
    }

    public WarmPoolFigures warmPool() {
        WarmPool pool = runners.pool();
        return new WarmPoolFigures(pool.size(), pool.ready(), pool.starting(), pool.claims(), pool.misses());
    }

    public int liveCount() {
        return store.live();
    }

    private String newToken(int randomBytes) {
        byte[] bytes = new byte[randomBytes];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
