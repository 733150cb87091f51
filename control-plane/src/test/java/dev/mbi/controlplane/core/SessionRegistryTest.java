package dev.mbi.controlplane.core;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.controlplane.fleet.Placement;
import dev.mbi.controlplane.fleet.RunnerFleet;
import dev.mbi.controlplane.fleet.RunnerHost;
import dev.mbi.controlplane.launch.RunnerLauncher;
import dev.mbi.proto.v1.InputEvent;
import dev.mbi.proto.v1.Frame;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The session rules with a launcher that starts nothing (the real one is covered by the full-stack tests). */
class SessionRegistryTest {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final List<RecordingHandle> launched = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

    private final class RecordingHandle implements RunnerLauncher.RunnerHandle {
        final RunnerLauncher.RunnerSpec spec;
        final String host;
        volatile boolean stopped;
        volatile IntConsumer exit;

        RecordingHandle(RunnerLauncher.RunnerSpec spec) {
            this(spec, "test");
        }

        RecordingHandle(RunnerLauncher.RunnerSpec spec, String host) {
            this.spec = spec;
            this.host = host;
        }

        @Override
        public String host() {
            return host;
        }

        @Override
        public void stop() {
            stopped = true;
        }

        @Override
        public void onExit(IntConsumer exitCode) {
            exit = exitCode;
        }
    }

    private SessionRegistry registry(int max, Duration idle) {
        return registry(max, idle, 0);
    }

    private SessionRegistry registry(int max, Duration idle, int warmPoolSize) {
        RunnerLauncher launcher = new RunnerLauncher() {
            @Override
            public RunnerHandle launch(RunnerSpec spec) {
                RecordingHandle h = new RecordingHandle(spec);
                launched.add(h);
                return h;
            }

            @Override
            public void close() {
            }
        };
        return registry(max, idle, warmPoolSize, launcher);
    }

    private SessionRegistry registry(int max, Duration idle, int warmPoolSize, RunnerLauncher launcher) {
        // Launches run on the calling thread, so a created session's runner is there at once.
        return new SessionRegistry(new SessionRegistry.Settings(max, idle, Duration.ofSeconds(60), Duration.ofHours(1),
                Duration.ofSeconds(1), 5, 1280, 720, IceSettings.none(), Duration.ofSeconds(2),
                dev.mbi.contract.RunnerContract.Settings.defaults(), Duration.ofSeconds(1), warmPoolSize, 2, DataPolicy.OPEN,
                new dev.mbi.contract.RunnerContract.Viewport(1920, 1080)), launcher,
                () -> "localhost:1", Clock.systemUTC(), nanos::get, Runnable::run, timer);
    }

    @AfterEach
    void stopTimer() {
        timer.shutdownNow();
    }

    /** What the rules said to one runner, in order. */
    private static final class RecordingLink implements RunnerLink {
        final List<String> said;

        RecordingLink() {
            this(new CopyOnWriteArrayList<>());
        }

        /** Records into a list shared with other links: what was said to which, in one order. */
        RecordingLink(List<String> said) {
            this.said = said;
        }

        @Override
        public void welcome(RunnerWelcome welcome) {
            said.add(welcome.pooled() ? "wait in the pool" : "welcome " + welcome.url());
        }

        @Override
        public void framesEnabled(boolean enabled) {
            said.add("frames " + enabled);
        }

        @Override
        public void offer(String viewerId, String sdp) {
            said.add("offer " + sdp);
        }

        @Override
        public void input(InputEvent event) {
            said.add("input");
        }

        @Override
        public void cdpOpen(String clientId) {
            said.add("cdp open");
        }

        @Override
        public void cdpData(String clientId, com.google.protobuf.ByteString piece, boolean last) {
            said.add("cdp " + piece.toStringUtf8() + (last ? "" : "..."));
        }

        @Override
        public void cdpClose(String clientId, String reason) {
            said.add("cdp close " + reason);
        }

        @Override
        public void control(ControlHolder holder) {
            said.add("control " + holder.value());
        }

        @Override
        public void downloadRead(String requestId, String downloadId, int credit) {
            said.add("read " + downloadId + " " + credit);
        }

        @Override
        public void downloadCredit(String requestId, int pieces, boolean cancel) {
            said.add(cancel ? "read cancelled" : "credit " + pieces);
        }

        @Override
        public void upload(dev.mbi.proto.v1.UploadPiece piece) {
            said.add("upload " + piece.getFileName() + " " + piece.getData().size() + (piece.getLast() ? " last" : ""));
        }

        @Override
        public void shutdown(String reason) {
            said.add("shutdown " + reason);
        }
    }

    private RecordingHandle handleFor(String id) {
        return launched.stream().filter(h -> h.spec.sessionId().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError("no runner launched for " + id));
    }

    @Test
    void aConcurrentBurstNeverExceedsTheLimit() throws Exception {
        SessionRegistry registry = registry(5, Duration.ofMinutes(30));
        ExecutorService pool = Executors.newFixedThreadPool(32);
        CountDownLatch go = new CountDownLatch(1);
        AtomicInteger rejected = new AtomicInteger();
        List<Future<?>> futures = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            futures.add(pool.submit(() -> {
                go.await();
                try {
                    registry.create("http://127.0.0.1/");
                } catch (SessionException e) {
                    assertEquals(SessionException.Reason.LIMIT_REACHED, e.reason());
                    assertEquals("max concurrent sessions reached", e.getMessage());
                    rejected.incrementAndGet();
                }
                return null;
            }));
        }
        go.countDown();
        for (Future<?> f : futures) {
            f.get();
        }
        pool.shutdown();
        assertEquals(5, registry.list().size());
        assertEquals(195, rejected.get());
        assertEquals(5, registry.liveCount());

        registry.delete(registry.list().get(0).id());
        registry.create("https://example.com/");
        assertThrows(SessionException.class, () -> registry.create("https://example.com/"));
    }

    @Test
    void aRunnerMayRegisterOnceWithItsOwnTokenOnly() throws Exception {
        SessionRegistry registry = registry(5, Duration.ofMinutes(30));
        SessionSnapshot s = registry.create("https://example.com/");
        RecordingHandle h = handleFor(s.id());
        SessionException wrong = assertThrows(SessionException.class,
                () -> registry.runnerRegistered(s.id(), "forged", "host", java.util.Set.of(), new RecordingLink()));
        assertEquals(SessionException.Reason.REJECTED, wrong.reason());
        RecordingLink channel = new RecordingLink();
        assertEquals("https://example.com/", registry.runnerRegistered(s.id(), h.spec.joinToken(), "host", java.util.Set.of(), channel).url());
        assertEquals(SessionException.Reason.REJECTED, assertThrows(SessionException.class,
                () -> registry.runnerRegistered(s.id(), h.spec.joinToken(), "host", java.util.Set.of(), new RecordingLink())).reason());
        assertEquals(SessionException.Reason.NOT_FOUND, assertThrows(SessionException.class,
                () -> registry.runnerRegistered("nope", "x", "host", java.util.Set.of(), new RecordingLink())).reason());
    }

    @Test
    void aStreamTakenOverIsToldToStopBeforeTheNewOneIsWelcomed() throws Exception {
        SessionRegistry registry = registry(5, Duration.ofMinutes(30));
        SessionSnapshot s = registry.create("https://example.com/");
        List<String> said = new CopyOnWriteArrayList<>();
        String token = registry.runnerRegistered(s.id(), handleFor(s.id()).spec.joinToken(), "host", java.util.Set.of(),
                new RecordingLink(said)).resumeToken();
        said.clear();
        registry.runnerResumed(s.id(), token, "host", "", java.util.Set.of(), dev.mbi.proto.v1.RunnerState.getDefaultInstance(),
                new RecordingLink(said));
        // Once the new runner is welcomed it may speak at once: the old stream's word must no longer count by then.
        assertEquals(List.of("shutdown another runner took this session over", "welcome https://example.com/", "frames false"), said);
    }

    @Test
    void aSessionKeepsItsOwnerAndOnlyTheHashOfItsOwnToken() throws Exception {
        SessionRegistry registry = registry(5, Duration.ofMinutes(30));
        SessionRegistry.Created created = registry.create("https://example.com/", "alice");
        assertEquals("alice", created.session().owner());
        // 256 random bits, base64url without padding.
        assertTrue(created.sessionToken().matches("[A-Za-z0-9_-]{43}"), created.sessionToken());
        String sha256 = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(created.sessionToken().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        SessionSnapshot later = registry.get(created.session().id()).orElseThrow();
        assertEquals(sha256, later.sessionTokenSha256());
        assertEquals("alice", later.owner());
        assertTrue(!later.toString().contains(created.sessionToken()), "the token itself is not kept");
        assertTrue(!registry.create("https://example.com/", "alice").sessionToken().equals(created.sessionToken()));
    }

    @Test
    void statusMovesPendingReadyTerminatedAndViewersSeeIt() throws Exception {
        SessionRegistry registry = registry(5, Duration.ofMinutes(30));
        SessionSnapshot s = registry.create("https://example.com/");
        RecordingLink channel = new RecordingLink();
        registry.runnerRegistered(s.id(), handleFor(s.id()).spec.joinToken(), "host", java.util.Set.of(), channel);
        List<Object> seen = new CopyOnWriteArrayList<>();
        SessionRegistry.Attachment a = registry.attach(s.id(), new Viewer() {
            @Override
            public void frame(Frame frame) {
                seen.add(frame.getSeq());
            }

            @Override
            public void status(SessionSnapshot session) {
                seen.add(session.status());
            }

            @Override
            public void end() {
                seen.add("end");
            }
        });
        // The runner is welcomed, told nobody watches, then the first viewer turns its frames on.
        assertEquals(List.of("welcome https://example.com/", "frames false", "frames true"), channel.said);
        registry.runnerReady(s.id(), 100);
        registry.runnerFrame(s.id(), Frame.newBuilder().setSeq(7).build());
        registry.delete(s.id());
        assertEquals(List.of(SessionStatus.PENDING, SessionStatus.READY, 7L, SessionStatus.TERMINATED, "end"), seen);
        assertEquals("shutdown deleted", channel.said.get(channel.said.size() - 1));
        assertTrue(handleFor(s.id()).stopped);
        assertEquals(SessionStatus.TERMINATED, registry.delete(s.id()).status());
        a.detach();
    }

    /** A ready session whose runner records what it is told. */
    private SessionSnapshot readySession(SessionRegistry registry, RecordingLink link) throws Exception {
        SessionSnapshot s = registry.create("https://example.com/");
        registry.runnerRegistered(s.id(), handleFor(s.id()).spec.joinToken(), "host", java.util.Set.of(), link);
        registry.runnerReady(s.id(), 1);
        return s;
    }

    /** What one DevTools client was given, in order. */
    private static final class RecordingCdpClient implements CdpClient {
        final List<String> got = new CopyOnWriteArrayList<>();

        @Override
        public void data(com.google.protobuf.ByteString piece, boolean last) {
            got.add(piece.toStringUtf8() + (last ? "" : "..."));
        }

        @Override
        public void closed(String reason) {
            got.add("closed: " + reason);
        }
    }

    @Test
    void whileAnAgentDrivesViewersInputIsRefusedAndTheRunnerIsToldEachChange() throws Exception {
        SessionRegistry registry = registry(5, Duration.ofMinutes(30));
        RecordingLink link = new RecordingLink();
        SessionSnapshot s = readySession(registry, link);
        List<String> seen = new CopyOnWriteArrayList<>();
        SessionRegistry.Attachment a = registry.attach(s.id(), new Viewer() {
            @Override
            public void frame(Frame frame) {
            }

            @Override
            public void status(SessionSnapshot session) {
                seen.add("status " + session.controller().value());
            }

            @Override
            public void inputRefused(String reason) {
                seen.add("refused " + reason);
            }

            @Override
            public void end() {
            }
        });
        InputEvent click = InputEvent.newBuilder().setPointer(dev.mbi.proto.v1.PointerEvent.newBuilder()
                .setAction(dev.mbi.proto.v1.PointerAction.POINTER_ACTION_DOWN)).build();
        assertEquals(ControlHolder.AGENT, registry.control(s.id(), ControlHolder.AGENT).controller());
        a.input(click);
        assertEquals(ControlHolder.HUMAN, registry.control(s.id(), ControlHolder.HUMAN).controller());
        a.input(click);
        registry.control(s.id(), ControlHolder.HUMAN); // no change: nobody is told again
        assertEquals(List.of("status shared", "status agent",
                "refused an agent is driving this session: take control first (POST /api/sessions/" + s.id()
                        + "/control with {\"holder\":\"human\"})",
                "status human"), seen);
        assertEquals(List.of("control agent", "control human", "input"),
                link.said.subList(link.said.indexOf("control agent"), link.said.size()));
        registry.delete(s.id());
        SessionException ended = org.junit.jupiter.api.Assertions.assertThrows(SessionException.class,
                () -> registry.control(s.id(), ControlHolder.AGENT));
        assertEquals(SessionException.Reason.NOT_READY, ended.reason());
    }

    @Test
    void devToolsClientsAreRelayedInOrderLimitedAndClosedWithTheSession() throws Exception {
        SessionRegistry registry = registry(5, Duration.ofMinutes(30));
        SessionSnapshot pending = registry.create("https://example.com/");
        SessionException notReady = org.junit.jupiter.api.Assertions.assertThrows(SessionException.class,
                () -> registry.cdpOpen(pending.id(), "alice", new RecordingCdpClient()));
        assertEquals(SessionException.Reason.NOT_READY, notReady.reason());

        RecordingLink link = new RecordingLink();
        SessionSnapshot s = readySession(registry, link);
        RecordingCdpClient first = new RecordingCdpClient();
        RecordingCdpClient second = new RecordingCdpClient();
        SessionRegistry.CdpConnection one = registry.cdpOpen(s.id(), "alice", first);
        SessionRegistry.CdpConnection two = registry.cdpOpen(s.id(), "bob", second);
        SessionException third = org.junit.jupiter.api.Assertions.assertThrows(SessionException.class,
                () -> registry.cdpOpen(s.id(), "carol", new RecordingCdpClient()));
        assertEquals(dev.mbi.proto.v1.LimitReason.LIMIT_REASON_MAX_CDP_CLIENTS, third.limit());
        assertTrue(third.getMessage().contains("CDP_MAX_CLIENTS"), third.getMessage());
        assertEquals(2, registry.get(s.id()).orElseThrow().cdpClients());

        one.send(com.google.protobuf.ByteString.copyFromUtf8("{\"id\":1,"), false);
        one.send(com.google.protobuf.ByteString.copyFromUtf8("\"method\":\"Browser.getVersion\"}"), true);
        registry.runnerCdpData(s.id(), one.clientId(), com.google.protobuf.ByteString.copyFromUtf8("{\"id\":1}"), true);
        assertEquals(List.of("cdp open", "cdp open", "cdp {\"id\":1,...", "cdp \"method\":\"Browser.getVersion\"}"),
                link.said.subList(link.said.indexOf("cdp open"), link.said.size()));
        assertEquals(List.of("{\"id\":1}"), first.got);
        assertEquals(List.of(), second.got, "a client sees only its own messages");

        // A client that leaves: the runner is told; one the runner ends: its client is told.
        one.close("the client disconnected");
        assertEquals("cdp close the client disconnected", link.said.get(link.said.size() - 1));
        registry.runnerCdpData(s.id(), one.clientId(), com.google.protobuf.ByteString.copyFromUtf8("late"), true);
        assertEquals(List.of("{\"id\":1}"), first.got, "nothing reaches a client that left");
        RecordingCdpClient again = new RecordingCdpClient();
        registry.cdpOpen(s.id(), "alice", again);
        registry.delete(s.id());
        assertEquals(List.of("closed: the session ended"), second.got);
        assertEquals(List.of("closed: the session ended"), again.got);
        assertEquals(3, registry.cdpConnections());
        two.send(com.google.protobuf.ByteString.copyFromUtf8("after the end"), true);
        assertTrue(link.said.stream().noneMatch(m -> m.contains("after the end")));
    }

    @Test
    void aSessionStartsNoLargerThanViewersMayResizeIt() throws Exception {
        SessionRegistry registry = registry(5, Duration.ofMinutes(30));
        // This registry's VIEWPORT_MAX is 1920x1080.
        registry.create("https://example.com/", "alice", List.of(), new PageOptions(1920, 1080, "", "", ""));
        SessionException tooLarge = assertThrows(SessionException.class, () -> registry.create("https://example.com/", "alice",
                List.of(), new PageOptions(3840, 2160, "", "", "")));
        assertEquals(SessionException.Reason.INVALID, tooLarge.reason());
        assertTrue(tooLarge.getMessage().contains("VIEWPORT_MAX_WIDTH x VIEWPORT_MAX_HEIGHT = 1920x1080"), tooLarge.getMessage());
    }

    @Test
    void aSessionMayNarrowThePolicyButNeverWidenIt() throws Exception {
        SessionRegistry registry = registry(5, Duration.ofMinutes(30));
        dev.mbi.proto.v1.SessionPolicy narrower = dev.mbi.proto.v1.SessionPolicy.newBuilder()
                .setClipboard(dev.mbi.proto.v1.ClipboardPolicy.CLIPBOARD_POLICY_TO_LOCAL)
                .setDownloads(dev.mbi.proto.v1.Permission.PERMISSION_DENY).setMaxTransferBytes(1024).build();
        SessionSnapshot s = registry.create("https://example.com/", "alice", List.of(), PageOptions.DEFAULT, narrower).session();
        assertEquals(new DataPolicy(DataPolicy.Clipboard.TO_LOCAL, false, true, true, true, true, 1024), s.policy());

        DataPolicy strict = new DataPolicy(DataPolicy.Clipboard.TO_REMOTE, false, true, true, true, false, 1024);
        for (dev.mbi.proto.v1.SessionPolicy wider : List.of(
                dev.mbi.proto.v1.SessionPolicy.newBuilder().setClipboard(dev.mbi.proto.v1.ClipboardPolicy.CLIPBOARD_POLICY_BOTH).build(),
                dev.mbi.proto.v1.SessionPolicy.newBuilder().setDownloads(dev.mbi.proto.v1.Permission.PERMISSION_ALLOW).build(),
                dev.mbi.proto.v1.SessionPolicy.newBuilder().setMaxTransferBytes(1025).build())) {
            SessionException e = org.junit.jupiter.api.Assertions.assertThrows(SessionException.class, () -> strict.narrowedBy(wider));
            assertEquals(SessionException.Reason.INVALID, e.reason());
            assertTrue(e.getMessage().contains("would widen the operator's policy"), e.getMessage());
        }
        assertEquals(strict, strict.narrowedBy(dev.mbi.proto.v1.SessionPolicy.getDefaultInstance()));
    }

    @Test
    void downloadsAreKeptAndReadWithCreditAndUploadsStopAtTheirLimit() throws Exception {
        SessionRegistry registry = registry(5, Duration.ofMinutes(30));
        RecordingLink link = new RecordingLink();
        SessionSnapshot s = readySession(registry, link);
        registry.runnerDownload(s.id(), dev.mbi.proto.v1.DownloadUpdate.newBuilder().setId("d1").setName("a.txt")
                .setState("completed").setSize(3).build());
        assertEquals(List.of("d1"), registry.downloads(s.id()).stream().map(dev.mbi.proto.v1.DownloadUpdate::getId).toList());
        SessionException unknown = org.junit.jupiter.api.Assertions.assertThrows(SessionException.class,
                () -> registry.readDownload(s.id(), "nope", c -> { }));
        assertEquals(SessionException.Reason.NOT_FOUND, unknown.reason());

        List<String> got = new CopyOnWriteArrayList<>();
        DataPaths.ReadHandle read = registry.readDownload(s.id(), "d1", c -> got.add(c.getData().toStringUtf8() + (c.getLast() ? "." : "")));
        assertEquals("read d1 " + DataPaths.READ_WINDOW, link.said.get(link.said.size() - 1));
        registry.runnerDownloadChunk(s.id(), dev.mbi.proto.v1.FileChunk.newBuilder().setRequestId(read.requestId())
                .setData(com.google.protobuf.ByteString.copyFromUtf8("ab")).build());
        registry.runnerDownloadChunk(s.id(), dev.mbi.proto.v1.FileChunk.newBuilder().setRequestId(read.requestId())
                .setData(com.google.protobuf.ByteString.copyFromUtf8("c")).setLast(true).build());
        registry.runnerDownloadChunk(s.id(), dev.mbi.proto.v1.FileChunk.newBuilder().setRequestId(read.requestId())
                .setData(com.google.protobuf.ByteString.copyFromUtf8("late")).build());
        assertEquals(List.of("ab", "c."), got);

        DataPaths.Upload upload = registry.upload(s.id(), "chooser-1");
        upload.piece(dev.mbi.proto.v1.UploadPiece.newBuilder().setFileName("f.txt")
                .setData(com.google.protobuf.ByteString.copyFrom(new byte[1000])).build());
        assertEquals("upload f.txt 1000", link.said.get(link.said.size() - 1));
        java.util.concurrent.CompletableFuture<dev.mbi.proto.v1.UploadDone> done = upload.finish();
        registry.runnerUploadDone(s.id(), dev.mbi.proto.v1.UploadDone.newBuilder().setChooserId("chooser-1").setFiles(1).build());
        assertEquals(1, done.get(5, java.util.concurrent.TimeUnit.SECONDS).getFiles());
    }

    @Test
    void viewersSeeTheNewAddressWhenThePageNavigates() throws Exception {
        SessionRegistry registry = registry(5, Duration.ofMinutes(30));
        SessionSnapshot s = registry.create("https://example.com/");
        registry.runnerRegistered(s.id(), handleFor(s.id()).spec.joinToken(), "host", java.util.Set.of(), new RecordingLink());
        registry.runnerReady(s.id(), 1);
        List<String> seen = new CopyOnWriteArrayList<>();
        registry.attach(s.id(), new Viewer() {
            @Override
            public void frame(Frame frame) {
            }

            @Override
            public void status(SessionSnapshot session) {
                seen.add(session.status() + " " + session.currentUrl() + " " + session.title());
            }

            @Override
            public void end() {
            }
        });
        registry.runnerNavigated(s.id(), "https://example.org/", "Example");
        registry.runnerNavigated(s.id(), "https://example.org/", "Example"); // unchanged: no message
        assertEquals(List.of("READY https://example.com/ ", "READY https://example.org/ Example"), seen);
        assertEquals("https://example.org/", registry.get(s.id()).orElseThrow().currentUrl());
    }

    @Test
    void egressRefusalsAreToldAsNewCountsByRuleAndStrangeRuleNamesAreIgnored() throws Exception {
        SessionRegistry registry = registry(5, Duration.ofMinutes(30));
        SessionSnapshot s = registry.create("https://example.com/");
        List<Map<String, Long>> told = new CopyOnWriteArrayList<>();
        registry.addListener(new SessionListener() {
            @Override
            public void onEgressBlocked(SessionSnapshot session, Map<String, Long> byRule) {
                told.add(byRule);
            }
        });
        registry.runnerMetrics(s.id(), metrics(Map.of("loopback", 2L)));
        registry.runnerMetrics(s.id(), metrics(Map.of("loopback", 2L)));                          // nothing new
        registry.runnerMetrics(s.id(), metrics(Map.of("loopback", 5L, "link-local", 1L)));
        registry.runnerMetrics(s.id(), metrics(Map.of("loopback", 1L)));                          // lower: nothing
        registry.runnerMetrics(s.id(), metrics(Map.of("Evil{label=\"x\"}", 9L, "x".repeat(100), 9L, "loopback", 3L)));
        assertEquals(List.of(Map.of("loopback", 2L), Map.of("link-local", 1L, "loopback", 3L), Map.of("loopback", 2L)), told);

        // A runner that reports more rules than there are keeps only the first few.
        Map<String, Long> many = new java.util.HashMap<>();
        for (int i = 0; i < 1000; i++) {
            many.put("rule " + (char) ('a' + i % 26) + i, 1L);
        }
        registry.runnerMetrics(s.id(), metrics(many));
        assertTrue(registry.get(s.id()).orElseThrow().metrics().getEgressBlockedByReasonCount() <= 32);
        assertTrue(told.getLast().size() <= 32, String.valueOf(told.getLast().size()));
    }

    private static dev.mbi.proto.v1.SessionMetrics metrics(Map<String, Long> byRule) {
        return dev.mbi.proto.v1.SessionMetrics.newBuilder().putAllEgressBlockedByReason(byRule)
                .setEgressBlocked(byRule.values().stream().mapToLong(Long::longValue).sum()).build();
    }

    @Test
    void theIdleReaperEndsUnwatchedSessionsOnly() throws Exception {
        SessionRegistry registry = registry(5, Duration.ofSeconds(10));
        SessionSnapshot watched = registry.create("https://example.com/");
        SessionSnapshot idle = registry.create("https://example.com/");
        for (SessionSnapshot s : List.of(watched, idle)) {
            registry.runnerRegistered(s.id(), handleFor(s.id()).spec.joinToken(), "h", java.util.Set.of(), new RecordingLink());
            registry.runnerReady(s.id(), 1);
        }
        registry.attach(watched.id(), new Viewer() {
            @Override
            public void frame(Frame frame) {
            }

            @Override
            public void status(SessionSnapshot session) {
            }

            @Override
            public void end() {
            }
        });
        nanos.addAndGet(Duration.ofSeconds(9).toNanos());
        registry.reap();
        assertEquals(SessionStatus.READY, registry.get(idle.id()).orElseThrow().status());
        nanos.addAndGet(Duration.ofSeconds(2).toNanos());
        registry.reap();
        assertEquals(SessionStatus.TERMINATED, registry.get(idle.id()).orElseThrow().status());
        assertEquals(SessionStatus.READY, registry.get(watched.id()).orElseThrow().status());
        assertEquals(1, registry.liveCount());
    }

    @Test
    void aRunnerThatExitsOnItsOwnTurnsTheSessionIntoAnError() throws Exception {
        SessionRegistry registry = registry(5, Duration.ofMinutes(30));
        SessionSnapshot s = registry.create("https://example.com/");
        RecordingHandle h = handleFor(s.id());
        h.exit.accept(137);
        // Judged after a short delay, so that the runner's own last word can arrive first.
        await().atMost(Duration.ofSeconds(2)).until(() -> registry.get(s.id()).orElseThrow().status() == SessionStatus.ERROR);
        SessionSnapshot ended = registry.get(s.id()).orElseThrow();
        assertEquals(SessionStatus.ERROR, ended.status());
        assertTrue(ended.error().contains("exit code 137"), ended.error());
        assertEquals(0, registry.liveCount());
    }

    @Test
    void aStartingSessionIsNotIdleButFailsWhenItsRunnerNeverBecomesReady() throws Exception {
        SessionRegistry registry = registry(5, Duration.ofSeconds(10));
        SessionSnapshot s = registry.create("https://example.com/");
        nanos.addAndGet(Duration.ofSeconds(30).toNanos());
        registry.reap();
        assertEquals(SessionStatus.PENDING, registry.get(s.id()).orElseThrow().status());
        nanos.addAndGet(Duration.ofSeconds(31).toNanos());
        registry.reap();
        SessionSnapshot failed = registry.get(s.id()).orElseThrow();
        assertEquals(SessionStatus.ERROR, failed.status());
        assertTrue(failed.error().contains("did not become ready within 60 s"), failed.error());
        assertTrue(handleFor(s.id()).stopped);
    }

    @Test
    void anOfferInFlightFailsCleanlyWhenTheSessionEnds() throws Exception {
        SessionRegistry registry = registry(5, Duration.ofMinutes(30));
        SessionSnapshot s = registry.create("https://example.com/");
        RecordingLink channel = new RecordingLink();
        registry.runnerRegistered(s.id(), handleFor(s.id()).spec.joinToken(), "host",
                java.util.Set.of(dev.mbi.proto.v1.Capability.CAPABILITY_WEBRTC_VP8), channel);
        registry.runnerReady(s.id(), 1);
        java.util.concurrent.CompletableFuture<WebRtcAnswer> answer = registry.offer(s.id(), "v=0");
        assertTrue(channel.said.contains("offer v=0"));
        registry.delete(s.id());
        java.util.concurrent.ExecutionException failed = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> answer.get(2, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(SessionException.Reason.RUNNER_UNREACHABLE, ((SessionException) failed.getCause()).reason());
        assertEquals(SessionStatus.TERMINATED, registry.get(s.id()).orElseThrow().status());
        assertEquals(0, registry.liveCount());
    }

    @Test
    void onlyWebUrlsWithAHostAreAccepted() {
        for (String bad : new String[] {null, "", "  ", "ftp://example.com", "javascript:alert(1)", "file:///etc/passwd",
                "http://", "example.com", "chrome://settings"}) {
            SessionException e = assertThrows(SessionException.class, () -> StartUrl.check(bad), String.valueOf(bad));
            assertEquals(SessionException.Reason.INVALID, e.reason());
        }
    }

    // ---- the warm pool

    /** The pooled runner launched for the pool (its spec has the id and token a session will take). */
    private RecordingHandle pooledRunner() {
        await().atMost(Duration.ofSeconds(5)).until(() -> !launched.isEmpty());
        return launched.get(launched.size() - 1);
    }

    /** The pooled runner registers with its id and token, as a real one does, and waits; its link. */
    private static RecordingLink park(SessionRegistry registry, RecordingHandle pooled) throws SessionException {
        RecordingLink link = new RecordingLink();
        registry.runnerRegistered(pooled.spec.sessionId(), pooled.spec.joinToken(), "host", java.util.Set.of(), link);
        return link;
    }

    private static RunnerSnapshot runnerListed(SessionRegistry registry, String id) {
        return registry.runners().stream().filter(r -> r.sessionId().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError("runner " + id + " is not listed: " + registry.runners()));
    }

    @Test
    void aRunnerWaitsInTheWarmPoolAndTheNextSessionTakesItWithItsIdAndToken() throws Exception {
        SessionRegistry registry = registry(2, Duration.ofMinutes(30), 1);
        registry.startWarmPool();
        RecordingHandle pooled = pooledRunner();
        String pooledId = pooled.spec.sessionId();
        assertEquals(List.of(), registry.list(), "a waiting runner is no session");
        RecordingLink link = park(registry, pooled);
        assertEquals(List.of("wait in the pool"), link.said);
        assertEquals(1, registry.warmPool().ready());
        // Operators see it among the runners (AdminService.ListRunners), as waiting, and when it was last heard.
        RunnerSnapshot waiting = runnerListed(registry, pooledId);
        assertTrue(waiting.pooled(), "a waiting runner is listed as pooled: " + waiting);
        assertEquals("host", waiting.identity().hostname());
        Thread.sleep(5);
        registry.runnerHeard(pooledId);
        assertTrue(runnerListed(registry, pooledId).lastHeard().isAfter(waiting.lastHeard()), "its heartbeat is seen");

        SessionSnapshot s = registry.create("https://example.com/");
        assertEquals(pooledId, s.id(), "the session takes the waiting runner's id");
        assertEquals(1, registry.runners().stream().filter(r -> r.sessionId().equals(pooledId)).count(), "listed once");
        assertTrue(!runnerListed(registry, pooledId).pooled(), "the session's runner now, no longer pooled");
        assertEquals(List.of("wait in the pool", "welcome https://example.com/", "frames false"), link.said);
        assertEquals(1, registry.warmPool().claims());
        await().atMost(Duration.ofSeconds(5)).until(() -> launched.size() == 2);
        assertTrue(!launched.get(1).spec.sessionId().equals(pooledId), "the pool is refilled with another runner");

        // Its token was used once: a second registration with it is refused.
        SessionException again = assertThrows(SessionException.class,
                () -> registry.runnerRegistered(pooledId, pooled.spec.joinToken(), "host", java.util.Set.of(), new RecordingLink()));
        assertEquals(SessionException.Reason.REJECTED, again.reason());

        registry.delete(s.id());
        assertTrue(pooled.stopped, "ending the session stops the runner it took");
        assertTrue(link.said.get(link.said.size() - 1).startsWith("shutdown"));
    }

    @Test
    void aPooledRunnerWithAWrongTokenIsRefusedAndNeverClaimed() throws Exception {
        SessionRegistry registry = registry(2, Duration.ofMinutes(30), 1);
        registry.startWarmPool();
        RecordingHandle pooled = pooledRunner();
        SessionException wrong = assertThrows(SessionException.class,
                () -> registry.runnerRegistered(pooled.spec.sessionId(), "forged", "host", java.util.Set.of(), new RecordingLink()));
        assertEquals(SessionException.Reason.REJECTED, wrong.reason());
        assertEquals(0, registry.warmPool().ready());
        SessionSnapshot s = registry.create("https://example.com/");
        assertTrue(!s.id().equals(pooled.spec.sessionId()), "nothing was waiting: the session launched its own runner");
        assertEquals(1, registry.warmPool().misses());
        assertEquals(s.id(), launched.get(launched.size() - 1).spec.sessionId());
    }

    @Test
    void aWaitingRunnerThatLosesItsStreamOrExitsIsReplaced() throws Exception {
        SessionRegistry registry = registry(2, Duration.ofMinutes(30), 1);
        registry.startWarmPool();
        RecordingHandle first = pooledRunner();
        RecordingLink link = park(registry, first);
        registry.runnerDisconnected(first.spec.sessionId(), link, "stream failed");
        assertTrue(first.stopped);
        assertEquals(0, registry.warmPool().ready());
        await().atMost(Duration.ofSeconds(5)).until(() -> launched.size() == 2);

        RecordingHandle second = launched.get(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> second.exit != null);
        second.exit.accept(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> launched.size() == 3);
        assertEquals(0, registry.list().size(), "no session came of it");
    }

    @Test
    void atTheLimitTheWaitingRunnerKeepsWaiting() throws Exception {
        SessionRegistry registry = registry(1, Duration.ofMinutes(30), 1);
        registry.startWarmPool();
        RecordingHandle pooled = pooledRunner();
        park(registry, pooled);
        SessionSnapshot s = registry.create("https://example.com/");
        await().atMost(Duration.ofSeconds(5)).until(() -> launched.size() == 2);
        RecordingHandle refill = launched.get(1);
        RecordingLink refillLink = park(registry, refill);

        SessionException full = assertThrows(SessionException.class, () -> registry.create("https://example.com/"));
        assertEquals(SessionException.Reason.LIMIT_REACHED, full.reason());
        assertEquals(1, registry.warmPool().ready(), "the runner the refused session claimed waits again");
        assertEquals(List.of("wait in the pool"), refillLink.said);

        registry.delete(s.id());
        assertEquals(refill.spec.sessionId(), registry.create("https://example.com/").id());
    }

    @Test
    void closingStopsTheWaitingRunners() throws Exception {
        SessionRegistry registry = registry(2, Duration.ofMinutes(30), 1);
        registry.startWarmPool();
        RecordingHandle pooled = pooledRunner();
        RecordingLink link = park(registry, pooled);
        registry.close();
        assertTrue(pooled.stopped);
        assertTrue(link.said.get(link.said.size() - 1).startsWith("shutdown"));
    }

    // ---- the warm pool on a fleet of runner hosts

    /**
     * Runner hosts counted as a Docker fleet counts them: every runner launched there and not
     * stopped holds a place. A launch on a host that cannot take it is refused (and recorded), as
     * the Docker launcher refuses it.
     */
    private final class Fleet implements RunnerLauncher, RunnerFleet {
        final Map<String, Integer> capacity = new java.util.LinkedHashMap<>();
        final java.util.Set<String> drained = java.util.concurrent.ConcurrentHashMap.newKeySet();
        final java.util.Set<String> unhealthy = java.util.concurrent.ConcurrentHashMap.newKeySet();
        final List<String> refused = new CopyOnWriteArrayList<>();
        /** Takes every runner whatever its host reports, as Kubernetes' scheduler does. */
        final boolean placesItself;

        /** Hosts "a" and "b" with these capacities. */
        Fleet(int capacityA, int capacityB) {
            capacity.put("a", capacityA);
            capacity.put("b", capacityB);
            placesItself = false;
        }

        /** One host that places runners itself. */
        Fleet(String name, int capacity) {
            this.capacity.put(name, capacity);
            placesItself = true;
        }

        @Override
        public RunnerHandle launch(RunnerSpec spec) throws LaunchException {
            List<RunnerHost> ranked = Placement.rank(hosts());
            if (ranked.isEmpty()) {
                throw new LaunchException(Placement.whyNone(hosts()), null);
            }
            return launchOn(spec, ranked.getFirst().name());
        }

        @Override
        public RunnerHandle launchOn(RunnerSpec spec, String host) throws LaunchException {
            RunnerHost h = host(host);
            if (!placesItself && (!h.healthy() || h.drained() || h.free() == 0)) {
                refused.add(host);
                throw new LaunchException("runner host " + host + " cannot take a runner now: " + Placement.whyNot(h), null);
            }
            RecordingHandle handle = new RecordingHandle(spec, host);
            launched.add(handle);
            return handle;
        }

        RunnerHost host(String name) {
            return hosts().stream().filter(h -> h.name().equals(name)).findFirst().orElseThrow();
        }

        @Override
        public List<RunnerHost> hosts() {
            return capacity.keySet().stream().map(name -> new RunnerHost(name, "test://" + name, capacity.get(name),
                    (int) launched.stream().filter(h -> h.host.equals(name) && !h.stopped).count(),
                    !unhealthy.contains(name), drained.contains(name), unhealthy.contains(name) ? "not answering" : "")).toList();
        }

        @Override
        public RunnerHost setDrained(String name, boolean drain) {
            if (drain) {
                drained.add(name);
            } else {
                drained.remove(name);
            }
            return host(name);
        }

        @Override
        public void close() {
        }
    }

    /** The runners launched on one host, in order. */
    private List<RecordingHandle> launchedOn(String host) {
        return launched.stream().filter(h -> h.host.equals(host)).toList();
    }

    @Test
    void theWarmPoolKeepsItsSizeWaitingOnEachRunnerHost() throws Exception {
        Fleet fleet = new Fleet(10, 10);
        SessionRegistry registry = registry(5, Duration.ofMinutes(30), 2, fleet);
        registry.startWarmPool();
        await().atMost(Duration.ofSeconds(5)).until(() -> launched.size() == 4);
        assertEquals(2, launchedOn("a").size());
        assertEquals(2, launchedOn("b").size());
        for (RecordingHandle pooled : List.copyOf(launched)) {
            park(registry, pooled);
        }
        assertEquals(4, registry.warmPool().ready());
        assertEquals(2, registry.warmPool().size(), "the size is per host");

        // The pool looks at the hosts by itself now and then: a full pool launches nothing more.
        Thread.sleep(WarmPool.HOST_CHECK_INTERVAL.toMillis() + 500);
        assertEquals(4, launched.size());
        assertEquals(List.of(), fleet.refused);
    }

    @Test
    void aSessionTakesARunnerFromTheHostPlacementPrefersAndThatHostIsRefilled() throws Exception {
        Fleet fleet = new Fleet(10, 20); // b has more free places: placement prefers it
        SessionRegistry registry = registry(5, Duration.ofMinutes(30), 1, fleet);
        registry.startWarmPool();
        await().atMost(Duration.ofSeconds(5)).until(() -> launched.size() == 2);
        RecordingHandle onA = launchedOn("a").getFirst();
        RecordingHandle onB = launchedOn("b").getFirst();
        park(registry, onA);
        park(registry, onB);

        assertEquals(onB.spec.sessionId(), registry.create("https://example.com/").id(), "taken from b, the one with more room");
        await().atMost(Duration.ofSeconds(5)).until(() -> launched.size() == 3);
        RecordingHandle refill = launched.get(2);
        assertEquals("b", refill.host, "the refill replaces it on the same host");
        assertEquals(1, launchedOn("a").size(), "a keeps its waiting runner");

        // b's new runner has not registered yet: the next session takes the one waiting on a, and a is refilled.
        assertEquals(onA.spec.sessionId(), registry.create("https://example.com/").id());
        await().atMost(Duration.ofSeconds(5)).until(() -> launched.size() == 4);
        assertEquals("a", launched.get(3).host);
        assertEquals(2, registry.warmPool().claims());
        assertEquals(0, registry.warmPool().misses());
        assertEquals(List.of(), fleet.refused);
    }

    @Test
    void runnersWaitingOnADrainedHostAreNotTakenAreStoppedAndAreNotReplacedUntilItIsUndrained() throws Exception {
        Fleet fleet = new Fleet(10, 20); // b would be preferred, but is drained
        SessionRegistry registry = registry(5, Duration.ofMinutes(30), 1, fleet);
        registry.startWarmPool();
        await().atMost(Duration.ofSeconds(5)).until(() -> launched.size() == 2);
        RecordingHandle onA = launchedOn("a").getFirst();
        RecordingHandle onB = launchedOn("b").getFirst();
        park(registry, onA);
        RecordingLink linkB = park(registry, onB);
        fleet.setDrained("b", true);

        assertEquals(onA.spec.sessionId(), registry.create("https://example.com/").id(), "the drained host's runner is not taken");
        // The refill that follows stops the runner waiting on b and replaces only a's.
        assertTrue(onB.stopped);
        assertTrue(linkB.said.getLast().startsWith("shutdown"), String.valueOf(linkB.said));
        assertEquals(2, launchedOn("a").size());
        assertEquals(1, launchedOn("b").size());

        // A session now finds none waiting anywhere it may take one: it launches its own (on a).
        SessionSnapshot own = registry.create("https://example.com/");
        assertEquals(1, registry.warmPool().misses());
        assertEquals(own.id(), launched.getLast().spec.sessionId());
        assertEquals("a", launched.getLast().host);

        Thread.sleep(WarmPool.HOST_CHECK_INTERVAL.toMillis() + 500);
        assertEquals(1, launchedOn("b").size(), "a drained host gets no pooled runners");
        fleet.setDrained("b", false);
        await().atMost(WarmPool.HOST_CHECK_INTERVAL.multipliedBy(3)).until(() -> launchedOn("b").size() == 2);
        assertEquals(List.of(), fleet.refused);
    }

    @Test
    void aFullHostGetsNoPooledRunnerUntilItHasRoomAgain() throws Exception {
        Fleet fleet = new Fleet(1, 10);
        SessionRegistry registry = registry(5, Duration.ofMinutes(30), 1, fleet);
        registry.startWarmPool();
        await().atMost(Duration.ofSeconds(5)).until(() -> launched.size() == 2);
        RecordingHandle onA = launchedOn("a").getFirst();
        park(registry, onA); // b's runner has not registered yet: a's is the one waiting

        SessionSnapshot s = registry.create("https://example.com/");
        assertEquals(onA.spec.sessionId(), s.id(), "a is full with its waiting runner, which still serves");
        Thread.sleep(WarmPool.HOST_CHECK_INTERVAL.toMillis() + 500);
        assertEquals(1, launchedOn("a").size(), "a has no room: no runner is launched there");
        assertEquals(List.of(), fleet.refused, "nor tried and refused");

        registry.delete(s.id());
        await().atMost(WarmPool.HOST_CHECK_INTERVAL.multipliedBy(3)).until(() -> launchedOn("a").size() == 2);
        assertEquals(1, launchedOn("b").size());
        assertEquals(List.of(), fleet.refused);
    }

    @Test
    void withOneHostThePoolKeepsItsRunnersThereWhateverTheHostReports() throws Exception {
        // As Kubernetes reports the cluster: no places counted, and not healthy while its watch reconnects.
        Fleet fleet = new Fleet("cluster", 0);
        fleet.unhealthy.add("cluster");
        SessionRegistry registry = registry(5, Duration.ofMinutes(30), 1, fleet);
        registry.startWarmPool();
        await().atMost(Duration.ofSeconds(5)).until(() -> launched.size() == 1);
        RecordingHandle pooled = launched.getFirst();
        park(registry, pooled);

        assertEquals(pooled.spec.sessionId(), registry.create("https://example.com/").id());
        assertTrue(!pooled.stopped);
        await().atMost(Duration.ofSeconds(5)).until(() -> launched.size() == 2);
        assertEquals("cluster", launched.get(1).host);
    }
}
