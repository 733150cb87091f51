package dev.mbi.controlplane.core;

import dev.mbi.contract.RunnerContract;
import dev.mbi.controlplane.launch.RunnerLauncher;
import dev.mbi.controlplane.launch.RunnerLauncher.RunnerHandle;
import dev.mbi.proto.v1.ControlMessage;
import dev.mbi.proto.v1.Capability;
import dev.mbi.proto.v1.Frame;
import dev.mbi.proto.v1.IceConfig;
import dev.mbi.proto.v1.IceTransportPolicy;
import dev.mbi.proto.v1.SignalAnswer;
import dev.mbi.proto.v1.SignalOffer;
import dev.mbi.proto.v1.InputEvent;
import dev.mbi.proto.v1.SessionMetrics;
import dev.mbi.proto.v1.Shutdown;
import dev.mbi.proto.v1.StreamControl;
import dev.mbi.proto.v1.Welcome;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The sessions and their rules: the state machine, the MAX_SESSIONS limit, runner registration,
 * the relay of frames to viewers and of input to runners, and reaping. Knows nothing of gRPC:
 * runners and viewers reach it through {@link RunnerChannel} and {@link Viewer}.
 */
public final class SessionRegistry implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SessionRegistry.class.getName());
    /** A runner's exit is judged a little later, so that its own last word (an error) arrives first. */
    private static final long EXIT_JUDGEMENT_DELAY_MS = 300;

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
            RunnerContract.Settings runner) {
    }

    private final Settings settings;
    private final RunnerLauncher launcher;
    private final Supplier<String> runnerDialAddress;
    private final Clock clock;
    private final LongSupplier nanoTime;
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final AtomicInteger live = new AtomicInteger();
    private final List<SessionListener> listeners = new CopyOnWriteArrayList<>();
    private final SecureRandom random = new SecureRandom();

    public SessionRegistry(Settings settings, RunnerLauncher launcher, Supplier<String> runnerDialAddress,
                           Clock clock, LongSupplier nanoTime) {
        this.settings = settings;
        this.launcher = launcher;
        this.runnerDialAddress = runnerDialAddress;
        this.clock = clock;
        this.nanoTime = nanoTime;
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

    /** Creates a session and starts its runner in the background. */
    public SessionSnapshot create(String url) throws SessionException {
        String checkedUrl = checkUrl(url);
        while (true) {
            int n = live.get();
            if (n >= settings.maxSessions()) {
                throw new SessionException(SessionException.Reason.LIMIT_REACHED, "max concurrent sessions reached");
            }
            if (live.compareAndSet(n, n + 1)) {
                break;
            }
        }
        Session s = new Session(UUID.randomUUID().toString(), checkedUrl, newToken(), clock.instant(), nanoTime.getAsLong());
        sessions.put(s.id, s);
        SessionSnapshot created = s.snapshot();
        LOG.info("session " + s.id + ": created for " + checkedUrl + " (" + live.get() + "/" + settings.maxSessions() + " live)");
        listeners.forEach(l -> l.onCreated(created));
        Thread.ofVirtual().name("launch-" + s.id).start(() -> launch(s));
        return created;
    }

    public Optional<SessionSnapshot> get(String id) {
        Session s = sessions.get(id);
        return s == null ? Optional.empty() : Optional.of(s.snapshot());
    }

    public List<SessionSnapshot> list() {
        List<SessionSnapshot> all = new ArrayList<>();
        for (Session s : sessions.values()) {
            all.add(s.snapshot());
        }
        all.sort(Comparator.comparing(SessionSnapshot::createdAt));
        return all;
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
        SessionSnapshot snapshot;
        Frame latest;
        boolean first;
        RunnerChannel runner;
        synchronized (s) {
            if (s.status.ended()) {
                snapshot = s.snapshot();
                viewer.status(snapshot);
                viewer.end();
                return Attachment.NONE;
            }
            first = s.viewers.isEmpty();
            s.viewers.add(viewer);
            s.lastActivityNanos = nanoTime.getAsLong();
            latest = s.lastFrame;
            runner = s.runner;
            snapshot = s.snapshot();
            // Stream controls are sent under the session's lock, so the runner gets them in the order of the changes.
            if (first && runner != null) {
                runner.send(streamControl(true));
            }
        }
        viewer.status(snapshot);
        if (latest != null) {
            viewer.frame(latest);
        }
        LOG.fine(() -> "session " + id + ": viewer attached (" + snapshot.viewerCount() + " watching)");
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

        public void input(InputEvent event) {
            if (registry != null) {
                registry.input(session, event);
            }
        }

        public void detach() {
            if (registry != null) {
                registry.detach(session, viewer);
            }
        }
    }

    private void input(Session s, InputEvent event) {
        RunnerChannel runner;
        synchronized (s) {
            if (s.status.ended()) {
                return;
            }
            s.lastActivityNanos = nanoTime.getAsLong();
            runner = s.runner;
        }
        if (runner != null) {
            runner.send(ControlMessage.newBuilder().setInput(event).build());
        }
    }

    private void detach(Session s, Viewer viewer) {
        synchronized (s) {
            if (!s.viewers.remove(viewer)) {
                return;
            }
            s.lastActivityNanos = nanoTime.getAsLong();
            if (s.viewers.isEmpty() && !s.status.ended() && s.runner != null) {
                s.runner.send(streamControl(false));
            }
        }
        viewer.end();
    }

    // ------------------------------------------------------------------ runner side

    /** Accepts a runner's registration and answers with what it must open. */
    public Welcome runnerRegistered(String id, String joinToken, String hostname, Set<Capability> capabilities,
                                    RunnerChannel channel) throws SessionException {
        Session s = sessions.get(id);
        if (s == null) {
            throw new SessionException(SessionException.Reason.NOT_FOUND, "unknown session " + id);
        }
        synchronized (s) {
            if (s.tokenUsed || !MessageDigest.isEqual(s.joinToken.getBytes(), joinToken.getBytes())) {
                throw new SessionException(SessionException.Reason.REJECTED,
                        "join token for session " + id + " is wrong or already used");
            }
            if (s.status.ended()) {
                throw new SessionException(SessionException.Reason.NOT_READY, "session " + id + " has ended");
            }
            s.tokenUsed = true;
            s.runner = channel;
            s.capabilities = Set.copyOf(capabilities);
        }
        LOG.info("session " + id + ": runner registered from " + hostname);
        Welcome welcome = Welcome.newBuilder()
                .setUrl(s.url)
                .setViewportWidth(settings.viewportWidth())
                .setViewportHeight(settings.viewportHeight())
                .setMaxFps(settings.maxFps())
                .setHeartbeatIntervalMs((int) settings.heartbeatInterval().toMillis())
                .addAllIceServers(settings.ice().serversFor(id, clock.instant()))
                .setIceTransportPolicy(settings.ice().relayOnly()
                        ? IceTransportPolicy.ICE_TRANSPORT_POLICY_RELAY : IceTransportPolicy.ICE_TRANSPORT_POLICY_ALL)
                .build();
        channel.send(ControlMessage.newBuilder().setWelcome(welcome).build());
        synchronized (s) {
            // Whether anyone watches now: a viewer may have attached (and been announced) since registration.
            channel.send(streamControl(!s.viewers.isEmpty()));
        }
        return welcome;
    }

    public void runnerReady(String id, long startupMs) {
        Session s = sessions.get(id);
        if (s == null) {
            return;
        }
        SessionSnapshot snapshot;
        synchronized (s) {
            if (s.status != SessionStatus.PENDING) {
                return;
            }
            s.status = SessionStatus.READY;
            // Idle time counts from the moment there was something to watch.
            s.lastActivityNanos = nanoTime.getAsLong();
            snapshot = s.snapshot();
        }
        LOG.info("session " + id + ": ready (Chromium to first frame " + startupMs + " ms, "
                + Math.round((nanoTime.getAsLong() - s.createdNanos) / 1e6) + " ms since created)");
        s.viewersCopy().forEach(v -> v.status(snapshot));
        listeners.forEach(l -> l.onReady(snapshot));
    }

    public void runnerFrame(String id, Frame frame) {
        Session s = sessions.get(id);
        if (s == null) {
            return;
        }
        List<Viewer> viewers;
        synchronized (s) {
            if (s.status.ended()) {
                return;
            }
            s.lastFrame = frame;
            viewers = List.copyOf(s.viewers);
        }
        for (Viewer v : viewers) {
            v.frame(frame);
        }
    }

    /** The page's address or title changed: viewers get a status message with it (their address bar follows). */
    public void runnerNavigated(String id, String url, String title) {
        Session s = sessions.get(id);
        if (s == null) {
            return;
        }
        SessionSnapshot snapshot;
        synchronized (s) {
            if (url.equals(s.currentUrl) && title.equals(s.title)) {
                return;
            }
            s.currentUrl = url;
            s.title = title;
            if (s.status.ended()) {
                return;
            }
            snapshot = s.snapshot();
        }
        s.viewersCopy().forEach(v -> v.status(snapshot));
    }

    public void runnerMetrics(String id, SessionMetrics metrics) {
        Session s = sessions.get(id);
        if (s != null) {
            synchronized (s) {
                s.metrics = metrics;
            }
        }
    }

    /** The runner reported a failure it cannot recover from. */
    public void runnerFailed(String id, String reason) {
        Session s = sessions.get(id);
        if (s != null) {
            end(s, SessionStatus.ERROR, reason.isBlank() ? "runner failed" : reason, false);
        }
    }

    /** The runner ended the session by itself, without failing. */
    public void runnerTerminated(String id, String reason) {
        Session s = sessions.get(id);
        if (s != null) {
            end(s, SessionStatus.TERMINATED, reason, false);
        }
    }

    /** The runner's stream is gone (closed, broken or silent). Only the channel that was registered counts. */
    public void runnerDisconnected(String id, RunnerChannel channel, String reason) {
        Session s = sessions.get(id);
        if (s == null) {
            return;
        }
        synchronized (s) {
            if (s.runner != channel) {
                return;
            }
        }
        end(s, SessionStatus.ERROR, "lost contact with the runner: " + reason, false);
    }

    // ------------------------------------------------------------------ WebRTC signalling

    /** The ICE servers and policy a viewer of this session should use. */
    public IceConfig iceConfig(String id) throws SessionException {
        Session s = find(id);
        return IceConfig.newBuilder()
                .addAllIceServers(settings.ice().serversFor(s.id, clock.instant()))
                .setIceTransportPolicy(settings.ice().relayOnly()
                        ? IceTransportPolicy.ICE_TRANSPORT_POLICY_RELAY : IceTransportPolicy.ICE_TRANSPORT_POLICY_ALL)
                .setWebrtcTimeoutSec(settings.ice().webrtcTimeoutSec())
                .build();
    }

    /** The answer to one viewer's offer, relayed through the session's runner. */
    public record Answer(String viewerId, String sdp) {
    }

    /**
     * Relays a viewer's offer to the runner. The future completes with the runner's answer, or
     * fails with RUNNER_UNREACHABLE when the runner cannot answer within the offer timeout.
     */
    public CompletableFuture<Answer> offer(String id, String sdp) throws SessionException {
        Session s = find(id);
        String viewerId = UUID.randomUUID().toString();
        CompletableFuture<Answer> answer = new CompletableFuture<>();
        RunnerChannel runner;
        synchronized (s) {
            if (s.status != SessionStatus.READY) {
                throw new SessionException(SessionException.Reason.NOT_READY,
                        "session not ready: " + s.status.name().toLowerCase());
            }
            if (s.runner == null || !s.capabilities.contains(Capability.CAPABILITY_WEBRTC_VP8)) {
                throw new SessionException(SessionException.Reason.RUNNER_UNREACHABLE,
                        "runner unreachable: this runner does not offer WebRTC");
            }
            runner = s.runner;
            s.pendingOffers.put(viewerId, answer);
        }
        runner.send(ControlMessage.newBuilder()
                .setOffer(SignalOffer.newBuilder().setViewerId(viewerId).setSdp(sdp)).build());
        return answer
                .orTimeout(settings.offerTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((a, failure) -> {
                    synchronized (s) {
                        s.pendingOffers.remove(viewerId);
                    }
                });
    }

    public void runnerAnswered(String id, SignalAnswer answer) {
        Session s = sessions.get(id);
        if (s == null) {
            return;
        }
        CompletableFuture<Answer> pending;
        synchronized (s) {
            pending = s.pendingOffers.get(answer.getViewerId());
        }
        if (pending == null) {
            return;
        }
        if (answer.getError().isEmpty()) {
            pending.complete(new Answer(answer.getViewerId(), answer.getSdp()));
        } else {
            LOG.warning("session " + id + ": runner could not answer viewer " + answer.getViewerId() + ": " + answer.getError());
            pending.completeExceptionally(new SessionException(SessionException.Reason.RUNNER_UNREACHABLE,
                    "runner unreachable: " + answer.getError()));
        }
    }

    // ------------------------------------------------------------------ lifecycle

    private void launch(Session s) {
        RunnerHandle handle;
        try {
            handle = launcher.launch(new RunnerLauncher.RunnerSpec(s.id, s.joinToken, runnerDialAddress.get(),
                    settings.runner()));
        } catch (RunnerLauncher.LaunchException | RuntimeException e) {
            LOG.log(Level.WARNING, "session " + s.id + ": runner launch failed", e);
            end(s, SessionStatus.ERROR, "runner launch failed: " + e.getMessage(), true);
            return;
        }
        boolean alreadyEnded;
        synchronized (s) {
            alreadyEnded = s.status.ended();
            s.runnerHandle = handle;
            s.runnerHost = handle.host();
        }
        if (alreadyEnded) {
            handle.stop();
            return;
        }
        handle.onExit(code -> Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(EXIT_JUDGEMENT_DELAY_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            boolean neverRegistered;
            synchronized (s) {
                neverRegistered = !s.tokenUsed;
            }
            // A runner that dies before it ever dials back failed to spawn, as much as one that never started.
            end(s, SessionStatus.ERROR, (neverRegistered ? "runner exited before registering" : "runner exited unexpectedly")
                    + " (exit code " + code + ")", neverRegistered);
        }));
    }

    /** Moves a session to an end state once; stops its runner and tells its viewers. */
    private void end(Session s, SessionStatus status, String reason, boolean launchFailed) {
        RunnerChannel runner;
        RunnerHandle handle;
        List<Viewer> viewers;
        List<CompletableFuture<Answer>> unanswered;
        SessionSnapshot snapshot;
        synchronized (s) {
            if (s.status.ended()) {
                return;
            }
            s.status = status;
            s.error = status == SessionStatus.ERROR ? reason : "";
            s.endedAt = clock.instant();
            runner = s.runner;
            handle = s.runnerHandle;
            viewers = List.copyOf(s.viewers);
            s.viewers.clear();
            s.lastFrame = null;
            unanswered = List.copyOf(s.pendingOffers.values());
            s.pendingOffers.clear();
            snapshot = s.snapshot();
        }
        live.decrementAndGet();
        // Completed outside the lock: their callbacks take the session's lock to forget themselves.
        unanswered.forEach(f -> f.completeExceptionally(new SessionException(
                SessionException.Reason.RUNNER_UNREACHABLE, "runner unreachable: the session ended")));
        double duration = (nanoTime.getAsLong() - s.createdNanos) / 1e9;
        if (status == SessionStatus.ERROR) {
            LOG.warning("session " + s.id + ": error: " + reason);
        } else {
            LOG.info("session " + s.id + ": terminated (" + reason + ") after " + Math.round(duration) + " s");
        }
        if (runner != null) {
            runner.send(ControlMessage.newBuilder().setShutdown(Shutdown.newBuilder().setReason(reason)).build());
            runner.close();
        }
        if (handle != null) {
            handle.stop();
        }
        for (Viewer v : viewers) {
            v.status(snapshot);
            v.end();
        }
        listeners.forEach(l -> l.onEnded(snapshot, launchFailed, duration));
    }

    /**
     * Ends ready sessions that nobody watched or touched for the idle timeout, pending sessions
     * whose runner never became ready, and forgets ended sessions after the retention period.
     */
    public void reap() {
        long now = nanoTime.getAsLong();
        for (Session s : sessions.values()) {
            SessionStatus status;
            long idleNanos;
            long ageNanos = now - s.createdNanos;
            boolean watched;
            synchronized (s) {
                status = s.status;
                idleNanos = now - s.lastActivityNanos;
                watched = !s.viewers.isEmpty();
            }
            if (status.ended()) {
                if (s.endedAt != null && clock.instant().isAfter(s.endedAt.plus(settings.endedRetention()))) {
                    sessions.remove(s.id, s);
                }
            } else if (status == SessionStatus.PENDING && ageNanos > settings.startTimeout().toNanos()) {
                end(s, SessionStatus.ERROR, "runner did not become ready within "
                        + settings.startTimeout().toSeconds() + " s", false);
            } else if (status == SessionStatus.READY && !watched && idleNanos > settings.idleTimeout().toNanos()) {
                end(s, SessionStatus.TERMINATED, "idle for " + Duration.ofNanos(idleNanos).toSeconds()
                        + " s with no viewer and no input", false);
            }
        }
    }

    /** Ends every live session (control plane shutdown). */
    @Override
    public void close() {
        for (Session s : sessions.values()) {
            end(s, SessionStatus.TERMINATED, "control plane shutting down", false);
        }
        launcher.close();
    }

    public int liveCount() {
        return live.get();
    }

    private Session find(String id) throws SessionException {
        Session s = id == null ? null : sessions.get(id);
        if (s == null) {
            throw SessionException.notFound();
        }
        return s;
    }

    private String newToken() {
        byte[] bytes = new byte[24];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static ControlMessage streamControl(boolean enabled) {
        return ControlMessage.newBuilder().setStreamControl(StreamControl.newBuilder().setFramesEnabled(enabled)).build();
    }

    /** Only absolute http and https URLs with a host: anything else is refused before a runner starts. */
    static String checkUrl(String url) throws SessionException {
        if (url == null || url.isBlank()) {
            throw new SessionException(SessionException.Reason.INVALID, "url is required");
        }
        URI uri;
        try {
            uri = new URI(url.trim());
        } catch (URISyntaxException e) {
            throw new SessionException(SessionException.Reason.INVALID, "url is not a valid URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new SessionException(SessionException.Reason.INVALID, "url must start with http:// or https://");
        }
        if (uri.getHost() == null || uri.getHost().isBlank()) {
            throw new SessionException(SessionException.Reason.INVALID, "url must name a host");
        }
        return uri.toString();
    }
}
