package dev.mbi.runner;

import com.google.protobuf.ByteString;
import dev.mbi.contract.RunnerContract;
import dev.mbi.proto.v1.Capability;
import dev.mbi.proto.v1.CdpClose;
import dev.mbi.proto.v1.CdpData;
import dev.mbi.proto.v1.ControlHolder;
import dev.mbi.proto.v1.ControlMessage;
import dev.mbi.proto.v1.DownloadRead;
import dev.mbi.proto.v1.FileChunk;
import dev.mbi.proto.v1.Frame;
import dev.mbi.proto.v1.ImageFormat;
import dev.mbi.proto.v1.InputEvent;
import dev.mbi.proto.v1.Navigated;
import dev.mbi.proto.v1.Register;
import dev.mbi.proto.v1.RunnerError;
import dev.mbi.proto.v1.RunnerMessage;
import dev.mbi.proto.v1.RunnerReady;
import dev.mbi.proto.v1.RunnerState;
import dev.mbi.proto.v1.RunnerTerminated;
import dev.mbi.proto.v1.SignalAnswer;
import dev.mbi.proto.v1.SignalOffer;
import dev.mbi.proto.v1.UploadDone;
import dev.mbi.proto.v1.Welcome;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One session's life in the runner: dial the control plane, register, open Chromium on the URL the
 * welcome names, stream frames while anyone watches, inject input, report metrics, and end, taking
 * Chromium with it, when told to, when Chromium fails, or when the control plane stays lost for
 * longer than the reconnect window (until then the browser and its WebRTC viewers carry on).
 */
final class Runner implements BrowserSession.Listener, ControlPlaneConnection.Handler {
    private static final Logger LOG = Logger.getLogger(Runner.class.getName());
    static final String VERSION = "0.1.0";
    private static final Duration WELCOME_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration METRICS_INTERVAL = Duration.ofSeconds(2);

    /** Why the session ended: the exit code and whether the control plane should hear an error. */
    private record Outcome(int exitCode, boolean failure, String reason) {
    }

    private final RunnerContract contract;
    private final BrowserSession.Factory browsers;
    private final EgressGuard egress;
    private final RunnerExecutors executors;
    private final CompletableFuture<Outcome> outcome = new CompletableFuture<>();
    private final StartTimeline timeline = new StartTimeline();
    private final java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(1);
    /** Input is injected on one thread, in arrival order (a serial lane); none once the session ends. */
    private final ExecutorService inputExecutor;
    /** What waits for that lane: bounded, with mouse moves merged, so a stuck browser cannot pile input up. */
    private final InputQueue input;
    private volatile ScheduledFuture<?> metrics;
    private final AtomicLong seq = new AtomicLong();
    private final SessionFigures figures = new SessionFigures();
    private volatile ControlPlaneConnection link;
    /** The page as last reported, for the control plane when dialing again. */
    private volatile String currentUrl = "";
    private volatile String currentTitle = "";
    private volatile boolean ready;
    private volatile BrowserSession browser;
    private volatile FrameThrottle<BrowserSession.CapturedFrame> throttle;
    private volatile boolean framesEnabled;
    /**
     * WebRTC (libwebrtc: ~100 MiB of native memory, and CPU to start) starts with the first offer
     * of a ready session, never for a session that no one watches over WebRTC; offers wait for it.
     */
    private final CompletableFuture<WebRtcPeers> webrtc = new CompletableFuture<>();
    private final java.util.concurrent.atomic.AtomicBoolean webrtcStarting = new java.util.concurrent.atomic.AtomicBoolean();
    /** The session's welcome, which WebRTC starts with (its ICE servers and policy). */
    private volatile Welcome sessionWelcome;
    /** The newest frame, for consumers that start later (WebRTC) on a page that may never paint again. */
    private volatile BrowserSession.CapturedFrame lastCaptured;
    /** The welcome that names the session, for a runner that waits in the warm pool. */
    private final CompletableFuture<Welcome> claimed = new CompletableFuture<>();
    /** Orders the throttle's creation and stream controls, which arrive right after the welcome. */
    private final Object framesLock = new Object();
    /** Who may act on the page: viewers' input is dropped while an agent holds control. */
    private final ControlGate control = new ControlGate();
    /** Viewers' input events dropped because an agent held control. */
    private final AtomicLong humanInputRefused = new AtomicLong();
    /** The session's policy on what crosses the boundary (clipboard, keyboard), from its welcome. */
    private volatile DataGate dataGate = new DataGate(DataPolicy.OPEN);
    /** The pieces of each connected DevTools client's message in transit. */
    private final Map<String, CdpPieces.Assembler> cdpMessages = new ConcurrentHashMap<>();
    /** Downloads, uploads and printing under the session's policy; none until the browser is there (or where it has none). */
    private volatile DataPaths dataPaths;

    /** @param executors where the session's work runs; the caller closes them after {@link #run()} */
    Runner(RunnerContract contract, BrowserSession.Factory browsers, RunnerExecutors executors, EgressGuard egress) {
        this.contract = contract;
        this.browsers = browsers;
        this.executors = executors;
        this.egress = egress;
        this.inputExecutor = executors.input();
        this.input = new InputQueue(this::inject, inputExecutor);
    }

    /** Runs the session to its end; returns the process exit code. Must run on a long-lived thread. */
    int run() {
        try {
            return runSession();
        } finally {
            finished.countDown();
        }
    }

    /** Ends the session from outside (SIGTERM, Ctrl-C) and waits briefly for Chromium to be gone. */
    void stopNow(String reason) {
        outcome.complete(new Outcome(0, false, reason));
        try {
            finished.await(3, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private int runSession() {
        String id = contract.sessionId();
        // Chromium starts (on a blank tab) while the runner dials and registers: neither waits for the other.
        RunnerContract.Viewport viewport = contract.settings().viewport();
        CompletableFuture<BrowserSession.Started> early = CompletableFuture.supplyAsync(() -> {
            try {
                return browsers.start(viewport.width(), viewport.height());
            } catch (BrowserSession.BrowserException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, executors.tasks());
        early.thenRun(() -> timeline.chromiumUp = System.currentTimeMillis());
        try {
            return runSession(id, early);
        } finally {
            // A browser started early and never opened (registration refused, the session ended first) goes.
            early.thenAccept(BrowserSession.Started::close);
        }
    }

    private int runSession(String id, CompletableFuture<BrowserSession.Started> early) {
        link = ControlPlaneConnection.open(contract, Register.newBuilder()
                .setSessionId(id)
                .setRunnerVersion(VERSION)
                .addCapabilities(Capability.CAPABILITY_JPEG_FRAMES)
                .addCapabilities(Capability.CAPABILITY_WEBRTC_VP8)
                .setHostname(hostname()).build(), this, executors);
        Welcome w;
        try {
            w = CompletableFuture.anyOf(link.welcomed(), outcome).get(WELCOME_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    instanceof Welcome accepted ? accepted : null;
        } catch (TimeoutException e) {
            LOG.severe("session " + id + ": the control plane at " + contract.controlPlaneAddr()
                    + " did not accept the registration within " + WELCOME_TIMEOUT.toSeconds() + " s");
            link.close();
            return 3;
        } catch (ExecutionException e) {
            LOG.severe("session " + id + ": not accepted by the control plane: " + e.getCause().getMessage());
            link.close();
            return 3;
        } catch (InterruptedException e) {
            link.close();
            return 3;
        }
        if (w == null) {
            Outcome o = outcome.join();
            LOG.severe("session " + id + ": not accepted by the control plane: " + o.reason());
            link.close();
            return o.exitCode();
        }
        timeline.registered = System.currentTimeMillis();
        if (w.getPooled()) {
            timeline.pooled = true;
            LOG.info("session " + id + ": waiting in the warm pool, Chromium started on a blank page");
            // A waiting runner whose browser is gone leaves the pool at once (the pool replaces it),
            // rather than failing the session that would claim it.
            CompletableFuture<String> browserGone = early.handle((started, failed) -> failed != null
                    ? CompletableFuture.completedFuture((failed.getCause() != null ? failed.getCause() : failed).getMessage())
                    : started.exited().thenApply(exited -> "Chromium exited")).thenCompose(reason -> reason);
            Object first = CompletableFuture.anyOf(claimed, outcome, browserGone).join();
            if (first instanceof String reason) {
                LOG.warning("session " + id + ": left the warm pool: " + reason + " while waiting");
                link.close();
                return 1;
            }
            if (!(first instanceof Welcome claimedWelcome)) {
                Outcome o = outcome.join();
                LOG.info("session " + id + ": left the warm pool unused: " + o.reason());
                link.close();
                return o.exitCode();
            }
            w = claimedWelcome;
        }
        // Before the browser opens anything: the session's own denied hosts join the policy.
        egress.denyHosts(w.getEgressDenyHostsList());
        setController(w.getController());
        // Under the lock: a stream control that arrives meanwhile must not be overwritten by a stale value.
        synchronized (framesLock) {
            throttle = new FrameThrottle<>(w.getMaxFps(), this::sendFrame, executors.tasks());
            throttle.setEnabled(framesEnabled);
        }
        dataGate = new DataGate(DataPolicy.from(w.getPolicy()));
        LOG.info("session " + id + ": registered; opening " + dev.mbi.redact.Urls.withoutUserInfo(w.getUrl()) + " at " + w.getViewportWidth() + "x"
                + w.getViewportHeight() + ", up to " + w.getMaxFps() + " fps");

        long started = System.nanoTime();
        try {
            BrowserSession.Started chromium = startedBrowser(early, w.getViewportWidth(), w.getViewportHeight());
            // Before the page opens: its first download, file chooser or print obeys the session's policy.
            DataPolicy policy = DataPolicy.from(w.getPolicy());
            chromium.dataPaths().ifPresent(data -> {
                data.start(policy, link::send);
                dataPaths = data;
            });
            browser = chromium.open(w.getUrl(),
                    new BrowserSession.PageOptions(w.getUserAgent(), w.getLocale(), w.getTimezone(),
                            w.getViewportMaxWidth(), w.getViewportMaxHeight()), this);
            browser.devtools().ifPresent(devtools -> devtools.controlChanged(control.holder()));
        } catch (BrowserSession.BrowserException e) {
            outcome.complete(new Outcome(1, true, e.getMessage()));
        }
        if (browser != null && !outcome.isDone()) {
            long startupMs = (System.nanoTime() - started) / 1_000_000;
            ready = true;
            sessionWelcome = w; // before the control plane hears of it: offers may follow at once
            link.send(RunnerMessage.newBuilder().setReady(RunnerReady.newBuilder()
                    .setViewportWidth(browser.viewportWidth())
                    .setViewportHeight(browser.viewportHeight())
                    .setStartupMs(startupMs)).build());
            LOG.info("session " + id + ": ready after " + startupMs + " ms" + timeline.sinceProcessStart(System.currentTimeMillis()));
            ProcessStats stats = new ProcessStats(List.of(ProcessHandle.current().pid(), browser.browserPid()));
            metrics = executors.timer().scheduleAtFixedRate(() -> reportMetrics(stats), 0,
                    METRICS_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        }

        Outcome end = outcome.join();
        if (metrics != null) {
            metrics.cancel(true);
        }
        webrtc.completeExceptionally(new IllegalStateException("the session ended"));
        webrtc.thenAccept(WebRtcPeers::close);
        throttle.close();
        devtools().ifPresent(devtools -> devtools.closeAll("the session ended: " + end.reason()));
        if (browser != null) {
            browser.close();
        }
        if (end.failure()) {
            LOG.severe("session " + id + ": " + end.reason());
            link.send(RunnerMessage.newBuilder().setError(RunnerError.newBuilder().setReason(end.reason())).build());
        } else {
            LOG.info("session " + id + ": ended: " + end.reason());
            link.send(RunnerMessage.newBuilder().setTerminated(RunnerTerminated.newBuilder().setReason(end.reason())).build());
        }
        link.close();
        return end.exitCode();
    }

    /** The browser started early, or a new one when it could not start or the welcome names another viewport. */
    private BrowserSession.Started startedBrowser(CompletableFuture<BrowserSession.Started> early, int width, int height)
            throws BrowserSession.BrowserException {
        BrowserSession.Started chromium;
        try {
            chromium = early.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof BrowserSession.BrowserException failed) {
                throw failed;
            }
            throw new BrowserSession.BrowserException("Chromium did not start: " + e.getCause(), e.getCause());
        }
        if (chromium.viewportWidth() == width && chromium.viewportHeight() == height) {
            return chromium;
        }
        chromium.close();
        return browsers.start(width, height);
    }

    // ---- control plane -> runner

    @Override
    public void onMessage(ControlMessage message) {
        switch (message.getKindCase()) {
            case WELCOME -> claimed.complete(message.getWelcome()); // the session of a runner that waited in the pool
            case INPUT -> offerHumanInput(message.getInput());
            case STREAM_CONTROL -> {
                synchronized (framesLock) {
                    framesEnabled = message.getStreamControl().getFramesEnabled();
                    if (throttle != null) {
                        throttle.setEnabled(framesEnabled);
                    }
                }
                if (message.getStreamControl().getFramesEnabled()) {
                    // The screencast may be stale (it only reports damage): show a new viewer the page as it is now.
                    inputExecutor.execute(this::captureNow);
                }
            }
            case SHUTDOWN -> outcome.complete(new Outcome(0, false, message.getShutdown().getReason()));
            case OFFER -> {
                SignalOffer offer = message.getOffer();
                try {
                    executors.signalling().execute(() -> answerOffer(offer));
                } catch (RejectedExecutionException e) {
                    // the runner is stopping: the offer goes unanswered, as the session ends
                }
            }
            case CDP_OPEN -> openCdpClient(message.getCdpOpen().getClientId());
            case CDP_DATA -> cdpData(message.getCdpData());
            case CDP_CLOSE -> closeCdpClient(message.getCdpClose());
            case CONTROL -> setController(message.getControl().getHolder());
            case DOWNLOAD_READ, DOWNLOAD_CREDIT, UPLOAD -> dataMessage(message);
            case HEARTBEAT, ICE_CANDIDATE, KIND_NOT_SET -> {
                // heartbeats only prove liveness; signalling is non-trickle
            }
        }
    }

    /**
     * Answers a viewer's offer, on the signalling lane: WebRTC starts with the first offer, and
     * setting up a peer can take a while, which the messages behind the offer on the stream
     * (other viewers' input) must not wait for.
     */
    private void answerOffer(SignalOffer offer) {
        String viewerId = offer.getViewerId();
        Welcome session = sessionWelcome;
        if (session == null) {
            answerError(viewerId, "the session is not ready yet");
            return;
        }
        if (webrtcStarting.compareAndSet(false, true)) {
            executors.tasks().execute(() -> startWebRtc(session));
        }
        WebRtcPeers peers;
        try {
            peers = webrtc.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (ExecutionException e) {
            answerError(viewerId, "WebRTC is not available: " + e.getCause().getMessage());
            return;
        }
        peers.offer(viewerId, offer.getSdp());
    }

    private void answerError(String viewerId, String error) {
        link.send(RunnerMessage.newBuilder().setAnswer(SignalAnswer.newBuilder().setViewerId(viewerId).setError(error)).build());
    }

    @Override
    public void onGone(String reason) {
        // Without the control plane nobody can watch or end this session: leave, taking Chromium along.
        outcome.complete(new Outcome(4, false, "control plane lost: " + reason));
    }

    @Override
    public void onResumed(Welcome welcome) {
        // The stream controls that follow say whether anyone watches; the page is as it was.
        LOG.info("session " + contract.sessionId() + ": carrying on with the same browser");
        // The clients' connections went with the old stream: their sessions in the browser go too.
        devtools().ifPresent(devtools -> devtools.closeAll("the runner's connection to the control plane was lost"));
        setController(welcome.getController());
    }

    // ---- files (downloads, uploads)

    /** A download read or upload piece; before the browser is there, answered as for an unknown download or chooser. */
    private void dataMessage(ControlMessage message) {
        DataPaths data = dataPaths;
        if (data != null) {
            data.onMessage(message);
        } else if (message.hasDownloadRead()) {
            DownloadRead read = message.getDownloadRead();
            link.send(RunnerMessage.newBuilder().setDownloadChunk(FileChunk.newBuilder()
                    .setRequestId(read.getRequestId()).setError("no download " + read.getDownloadId())).build());
        } else if (message.hasUpload() && message.getUpload().getLast()) {
            String chooser = message.getUpload().getChooserId();
            link.send(RunnerMessage.newBuilder().setUploadDone(UploadDone.newBuilder()
                    .setChooserId(chooser).setError("no file chooser " + chooser)).build());
        }
    }

    // ---- automation clients (DevTools) and control

    /** The browser's DevTools clients, once the session's page is open. */
    private Optional<CdpClients> devtools() {
        BrowserSession b = browser;
        return b == null || !ready ? Optional.empty() : b.devtools();
    }

    /** A client that comes before the session is ready is refused: the control plane only opens clients of ready sessions. */
    private void openCdpClient(String clientId) {
        Optional<CdpClients> devtools = devtools();
        if (devtools.isEmpty() || outcome.isDone()) {
            sendCdpClose(clientId, devtools.isEmpty() && !outcome.isDone() ? "the session is not ready" : "the session has ended");
            return;
        }
        if (cdpMessages.putIfAbsent(clientId, new CdpPieces.Assembler()) != null) {
            LOG.warning("session " + contract.sessionId() + ": DevTools client " + clientId + " opened twice; the second open is ignored");
            return;
        }
        devtools.get().open(clientId, new StreamClient(clientId));
        LOG.info("session " + contract.sessionId() + ": DevTools client " + clientId + " connected ("
                + devtools.get().connected() + " connected, " + devtools.get().opened() + " so far)");
    }

    private void cdpData(CdpData data) {
        String clientId = data.getClientId();
        CdpPieces.Assembler pieces = cdpMessages.get(clientId);
        Optional<CdpClients> devtools = devtools();
        if (pieces == null || devtools.isEmpty()) {
            return; // closed meanwhile
        }
        try {
            pieces.add(data.getData(), data.getLast()).ifPresent(message -> devtools.get().receive(clientId, message));
        } catch (CdpPieces.TooLarge e) {
            devtools.get().close(clientId);
            cdpMessages.remove(clientId);
            LOG.warning("session " + contract.sessionId() + ": DevTools client " + clientId + " closed: " + e.getMessage());
            sendCdpClose(clientId, e.getMessage());
        }
    }

    private void closeCdpClient(CdpClose close) {
        String clientId = close.getClientId();
        if (cdpMessages.remove(clientId) == null) {
            return;
        }
        devtools().ifPresent(devtools -> devtools.close(clientId));
        LOG.info("session " + contract.sessionId() + ": DevTools client " + clientId + " left"
                + (close.getReason().isEmpty() ? "" : ": " + close.getReason()));
    }

    private void sendCdpClose(String clientId, String reason) {
        link.send(RunnerMessage.newBuilder().setCdpClose(CdpClose.newBuilder().setClientId(clientId).setReason(reason)).build());
    }

    /** One client on the control plane's stream: its messages cut into pieces, its end told. */
    private final class StreamClient implements CdpClients.Client {
        private final String clientId;

        StreamClient(String clientId) {
            this.clientId = clientId;
        }

        /** Synchronized: the pieces of two messages must not interleave. */
        @Override
        public synchronized void send(byte[] message) {
            List<ByteString> pieces = CdpPieces.split(message);
            for (int i = 0; i < pieces.size(); i++) {
                link.send(RunnerMessage.newBuilder().setCdpData(CdpData.newBuilder()
                        .setClientId(clientId).setData(pieces.get(i)).setLast(i == pieces.size() - 1)).build());
            }
        }

        @Override
        public void closed(String reason) {
            cdpMessages.remove(clientId);
            LOG.info("session " + contract.sessionId() + ": DevTools client " + clientId + " closed: " + reason);
            sendCdpClose(clientId, reason);
        }
    }

    private void setController(ControlHolder holder) {
        if (control.set(holder)) {
            LOG.info("session " + contract.sessionId() + ": control is now " + CdpClients.holderName(control.holder()));
        }
        devtools().ifPresent(devtools -> devtools.controlChanged(control.holder()));
    }

    /** A viewer's input (WebSocket stream or WebRTC DataChannel): dropped while an agent holds control. */
    private void offerHumanInput(InputEvent event) {
        if (control.humanMayAct()) {
            DataGate.Admission admission = dataGate.admit(event);
            admission.notice().ifPresent(link::send);
            if (admission.admitted()) {
                input.offer(event);
            }
        } else if (humanInputRefused.getAndIncrement() == 0) {
            LOG.info("session " + contract.sessionId() + ": viewers' input is dropped while an agent holds control");
        }
    }

    @Override
    public RunnerState state() {
        BrowserSession b = browser;
        WebRtcPeers peers = startedWebRtc();
        return RunnerState.newBuilder()
                .setReady(ready)
                .setUrl(currentUrl)
                .setTitle(currentTitle)
                .setViewportWidth(b == null ? 0 : b.viewportWidth())
                .setViewportHeight(b == null ? 0 : b.viewportHeight())
                .setWebrtcPeers(peers == null ? 0 : peers.connectedPeers())
                .setCapture(contract.settings().capture().value())
                .setController(control.holder())
                .build();
    }

    /** The WebRTC peers once started; null before, and when WebRTC could not start. */
    private WebRtcPeers startedWebRtc() {
        return webrtc.isDone() && !webrtc.isCompletedExceptionally() ? webrtc.join() : null;
    }

    private void startWebRtc(Welcome w) {
        if (outcome.isDone()) {
            webrtc.completeExceptionally(new IllegalStateException("the session ended"));
            return;
        }
        try {
            java.util.function.Supplier<ViewportVideo> video = contract.settings().capture() == RunnerContract.Capture.DESKTOP
                    ? () -> new DesktopVideo(w.getViewportWidth(), w.getViewportHeight())
                    : () -> new ScreencastVideo(executors);
            // The page's sound goes out only where the session's policy allows it.
            BrowserSession b = browser;
            Optional<PageAudio> audio = DataPolicy.from(w.getPolicy()).audio() && b != null ? b.audio() : Optional.empty();
            WebRtcPeers peers = new WebRtcPeers(contract.sessionId(), w, video, this::offerHumanInput,
                    answer -> link.send(RunnerMessage.newBuilder().setAnswer(answer).build()), executors.tasks(),
                    executors.timer(), contract.settings().maxPeersPerSession(), WebRtcPeers.CONNECT_TIMEOUT, audio);
            if (!webrtc.complete(peers)) {
                peers.close();
                return;
            }
            BrowserSession.CapturedFrame last = lastCaptured;
            if (last != null) {
                peers.onFrame(last);
            }
        } catch (Throwable e) {
            // Without WebRTC the session still works over the WebSocket stream. A session that ended
            // meanwhile takes its executors down with it: then a failure here is no news.
            LOG.log(outcome.isDone() ? Level.FINE : Level.WARNING, "session " + contract.sessionId() + ": WebRTC unavailable", e);
            webrtc.completeExceptionally(e);
        }
    }

    private void captureNow() {
        BrowserSession b = browser;
        if (b == null || outcome.isDone()) {
            return;
        }
        try {
            b.captureNow();
        } catch (BrowserSession.BrowserException e) {
            LOG.log(Level.FINE, "session " + contract.sessionId() + ": " + e.getMessage());
        }
    }

    private void inject(InputEvent event) {
        BrowserSession b = browser;
        if (b == null || outcome.isDone()) {
            return;
        }
        try {
            if (!event.hasNavigate()) {
                figures.inputInjected();
            }
            b.dispatch(event);
        } catch (BrowserSession.BrowserException e) {
            LOG.log(Level.WARNING, "session " + contract.sessionId() + ": " + e.getMessage());
        }
    }

    // ---- browser -> runner

    @Override
    public void onFrame(BrowserSession.CapturedFrame frame) {
        lastCaptured = frame;
        figures.frameCaptured();
        FrameThrottle<BrowserSession.CapturedFrame> t = throttle;
        if (t != null) {
            t.offer(frame);
        }
        WebRtcPeers peers = startedWebRtc();
        if (peers != null) {
            peers.onFrame(frame);
        }
    }

    @Override
    public void onNavigated(String url, String title) {
        currentUrl = url;
        currentTitle = title;
        link.send(RunnerMessage.newBuilder().setNavigated(Navigated.newBuilder().setUrl(url).setTitle(title)).build());
    }

    /** The page copied: the viewers get the text (stream and WebRTC), if the policy lets it out. */
    @Override
    public void onClipboard(String text) {
        dataGate.pageCopied(text).ifPresent(message -> {
            link.send(message);
            WebRtcPeers peers = startedWebRtc();
            if (message.hasClipboard() && peers != null) {
                peers.broadcast(InputChannel.clipboardMessage(text));
            }
        });
    }

    @Override
    public void onFailure(String reason) {
        outcome.complete(new Outcome(1, true, reason));
    }

    private void sendFrame(BrowserSession.CapturedFrame frame) {
        figures.frameSent(frame.jpeg().length);
        link.send(RunnerMessage.newBuilder().setFrame(Frame.newBuilder()
                .setData(ByteString.copyFrom(frame.jpeg()))
                .setFormat(ImageFormat.IMAGE_FORMAT_JPEG)
                .setWidth(frame.width())
                .setHeight(frame.height())
                .setSeq(seq.incrementAndGet())
                .setCaptureTimeUnixUs(frame.captureTimeUs())
                .setRunnerSentUnixUs(dev.mbi.relay.UnixMicros.now())).build());
    }

    private void reportMetrics(ProcessStats stats) {
        WebRtcPeers peers = startedWebRtc();
        link.send(RunnerMessage.newBuilder()
                .setMetrics(egress.addTo(figures.report(stats, peers, throttle, input.dropped()))).build());
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "unknown";
        }
    }
}
