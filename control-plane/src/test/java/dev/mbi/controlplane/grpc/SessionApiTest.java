package dev.mbi.controlplane.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.ErrorInfo;
import dev.mbi.controlplane.core.Limits;
import dev.mbi.controlplane.launch.RunnerLauncher;
import dev.mbi.proto.v1.ControlMessage;
import dev.mbi.proto.v1.CreateSessionRequest;
import dev.mbi.proto.v1.DeleteSessionRequest;
import dev.mbi.proto.v1.GetSessionRequest;
import dev.mbi.proto.v1.InputEvent;
import dev.mbi.proto.v1.LimitReason;
import dev.mbi.proto.v1.ListSessionsRequest;
import dev.mbi.proto.v1.ListSessionsResponse;
import dev.mbi.proto.v1.Navigate;
import dev.mbi.proto.v1.NavigateAction;
import dev.mbi.proto.v1.Navigated;
import dev.mbi.proto.v1.RunnerError;
import dev.mbi.proto.v1.RunnerMessage;
import dev.mbi.proto.v1.Session;
import dev.mbi.proto.v1.SessionStatus;
import dev.mbi.proto.v1.TypeText;
import dev.mbi.proto.v1.ViewerMessage;
import dev.mbi.proto.v1.ViewerUpdate;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.StatusProto;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SessionService as the edge sees it: owners and session tokens, paged listing, the limits on
 * what callers send and runners report, and navigations a viewer asks for, over real sockets.
 */
class SessionApiTest {
    private static final int MAX_SESSIONS = 130;
    private static ControlPlaneFixture fixture;

    @BeforeAll
    static void start() {
        fixture = ControlPlaneFixture.overSocket(Map.of("MAX_SESSIONS", Integer.toString(MAX_SESSIONS), "OFFER_TIMEOUT", "500ms"));
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    /** Every test starts with no live session, so that the limit and the listing are its own. */
    @AfterEach
    void endEverySession() {
        String token = "";
        do {
            ListSessionsResponse page = fixture.sessions().listSessions(ListSessionsRequest.newBuilder().setPageToken(token).build());
            for (Session s : page.getSessionsList()) {
                fixture.sessions().deleteSession(DeleteSessionRequest.newBuilder().setSessionId(s.getSessionId()).build());
            }
            token = page.getNextPageToken();
        } while (!token.isEmpty());
    }

    private static Session create(String url, String owner) throws InterruptedException {
        Session s = fixture.sessions().createSession(CreateSessionRequest.newBuilder().setUrl(url).setOwner(owner).build());
        fixture.launcher.next(Duration.ofSeconds(5));
        return s;
    }

    private static String sha256Hex(String text) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void aSessionRecordsItsOwnerAndGetsATokenGivenOutOnce() throws Exception {
        Session created = create("https://example.com/", "alice");
        assertEquals("alice", created.getOwner());
        String token = created.getSessionToken();
        assertTrue(token.matches("[A-Za-z0-9_-]+"), "base64url without padding: " + token);
        assertTrue(Base64.getUrlDecoder().decode(token).length >= 16, "at least 128 random bits");
        assertEquals(sha256Hex(token), created.getSessionTokenSha256());

        Session got = fixture.get(created.getSessionId());
        assertEquals("", got.getSessionToken(), "the token is given out once, at creation");
        assertEquals(created.getSessionTokenSha256(), got.getSessionTokenSha256());
        assertEquals("alice", got.getOwner());
        Session listed = fixture.sessions().listSessions(ListSessionsRequest.newBuilder().setOwner("alice").build()).getSessions(0);
        assertEquals("", listed.getSessionToken());
        assertEquals(created.getSessionTokenSha256(), listed.getSessionTokenSha256());

        Session other = create("https://example.com/", "bob");
        assertNotEquals(token, other.getSessionToken());
        StatusRuntimeException tooLong = assertThrows(StatusRuntimeException.class, () -> fixture.sessions()
                .createSession(CreateSessionRequest.newBuilder().setUrl("https://example.com/").setOwner("o".repeat(300)).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, tooLong.getStatus().getCode());
    }

    @Test
    void aUrlLongerThanTwoKibibytesIsRefusedAtCreation() throws Exception {
        String base = "https://example.com/?q=";
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> fixture.sessions().createSession(
                CreateSessionRequest.newBuilder().setUrl(base + "x".repeat(Limits.MAX_URL_BYTES - base.length() + 1)).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode());
        assertTrue(refused.getStatus().getDescription().contains("too long"), refused.getStatus().getDescription());
        // Exactly 2 KiB is fine.
        create(base + "x".repeat(Limits.MAX_URL_BYTES - base.length()), "");
    }

    private static List<String> ids(ListSessionsResponse page) {
        return page.getSessionsList().stream().map(Session::getSessionId).toList();
    }

    @Test
    void listingPagesInCreationOrderAndFiltersByOwner() throws Exception {
        List<String> all = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            all.add(create("https://example.com/" + i, "pager").getSessionId());
        }
        // Pages of 3: 3 + 3 + 2, in creation order; a session created meanwhile is neither missed nor repeated.
        List<String> seen = new ArrayList<>();
        ListSessionsResponse page = fixture.sessions().listSessions(ListSessionsRequest.newBuilder().setOwner("pager")
                .setPageSize(3).build());
        assertEquals(3, page.getSessionsCount());
        seen.addAll(ids(page));
        all.add(create("https://example.com/late", "pager").getSessionId());
        int pages = 1;
        while (!page.getNextPageToken().isEmpty()) {
            page = fixture.sessions().listSessions(ListSessionsRequest.newBuilder().setOwner("pager").setPageSize(3)
                    .setPageToken(page.getNextPageToken()).build());
            seen.addAll(ids(page));
            pages++;
        }
        assertEquals(all, seen);
        assertEquals(3, pages);

        List<String> others = List.of(create("https://example.com/", "someone-else").getSessionId(),
                create("https://example.com/", "someone-else").getSessionId());
        assertEquals(others, ids(fixture.sessions().listSessions(ListSessionsRequest.newBuilder().setOwner("someone-else").build())));
        assertEquals(all.subList(0, 5), ids(fixture.sessions().listSessions(ListSessionsRequest.newBuilder().setOwner("pager")
                .setPageSize(5).build())));
        assertEquals(0, fixture.sessions().listSessions(ListSessionsRequest.newBuilder().setOwner("nobody").build()).getSessionsCount());
        // Without an owner, every session: these ten among them, in the same order.
        List<String> everyone = new ArrayList<>();
        String token = "";
        do {
            ListSessionsResponse p = fixture.sessions().listSessions(ListSessionsRequest.newBuilder().setPageToken(token).build());
            everyone.addAll(ids(p));
            token = p.getNextPageToken();
        } while (!token.isEmpty());
        assertEquals(all, everyone.stream().filter(all::contains).toList());
        assertTrue(everyone.containsAll(others));

        StatusRuntimeException bad = assertThrows(StatusRuntimeException.class, () -> fixture.sessions()
                .listSessions(ListSessionsRequest.newBuilder().setPageToken("not-a-token").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());
    }

    @Test
    void aPageHoldsAHundredSessionsAtMost() throws Exception {
        for (int i = 0; i < 105; i++) {
            create("https://example.com/" + i, "hundred");
        }
        ListSessionsRequest mine = ListSessionsRequest.newBuilder().setOwner("hundred").build();
        ListSessionsResponse first = fixture.sessions().listSessions(mine);
        assertEquals(100, first.getSessionsCount());
        assertFalse(first.getNextPageToken().isEmpty());
        assertEquals(100, fixture.sessions().listSessions(mine.toBuilder().setPageSize(1000).build()).getSessionsCount());
        assertEquals(100, fixture.sessions().listSessions(mine.toBuilder().setPageSize(-1).build()).getSessionsCount());
        ListSessionsResponse rest = fixture.sessions().listSessions(mine.toBuilder().setPageToken(first.getNextPageToken()).build());
        assertEquals(5, rest.getSessionsCount());
        assertEquals("", rest.getNextPageToken());
        Set<String> ids = new HashSet<>(ids(first));
        ids.addAll(ids(rest));
        assertEquals(105, ids.size());
    }

    @Test
    void theSessionLimitIsATypedReasonNotAMessage() throws Exception {
        for (int i = 0; i < MAX_SESSIONS; i++) {
            create("https://example.com/", "");
        }
        StatusRuntimeException full = assertThrows(StatusRuntimeException.class,
                () -> fixture.sessions().createSession(CreateSessionRequest.newBuilder().setUrl("https://example.com/").build()));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, full.getStatus().getCode());
        com.google.rpc.Status details = StatusProto.fromThrowable(full);
        ErrorInfo info = details.getDetails(0).unpack(ErrorInfo.class);
        assertEquals("mbi.dev", info.getDomain());
        assertEquals(LimitReason.LIMIT_REASON_MAX_SESSIONS.name(), info.getReason());
    }

    @Test
    void aPageThatGrowsItsTitleKeepsEverySessionSmall() throws Exception {
        RunnerLauncher.RunnerSpec spec = fixture.createSession();
        ControlPlaneFixture.FakeRunner runner = fixture.registerReady(spec);
        ControlPlaneFixture.FakeViewer viewer = fixture.attach(spec.sessionId());
        viewer.down().next(ViewerUpdate::hasStatus, Duration.ofSeconds(5));

        // The page's title and address grow with every navigation, to megabytes (each message stays under 4 MiB).
        for (int i = 1; i <= 6; i++) {
            String title = "é".repeat(i * 100_000) + i;
            String url = "https://example.com/?" + "u".repeat(i * 350_000) + i;
            runner.send(RunnerMessage.newBuilder().setNavigated(Navigated.newBuilder().setUrl(url).setTitle(title)).build());
        }
        Session stored = org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> fixture.get(spec.sessionId()), s -> s.getTitle().startsWith("éé"));
        assertEquals(Limits.MAX_TITLE_BYTES, stored.getTitle().getBytes(StandardCharsets.UTF_8).length, "cut at a character boundary");
        assertEquals(Limits.MAX_CURRENT_URL_BYTES, stored.getCurrentUrl().getBytes(StandardCharsets.UTF_8).length);
        assertTrue(stored.getCurrentUrl().startsWith("https://example.com/?uuu"));
        // Viewers were told of the change once, cut the same way (the rest changed nothing that is kept).
        Session shown = viewer.down().next(u -> u.hasStatus() && u.getStatus().getTitle().startsWith("é"), Duration.ofSeconds(5))
                .getStatus();
        assertEquals(stored.getTitle(), shown.getTitle());
        assertEquals(stored.getCurrentUrl(), shown.getCurrentUrl());

        // Each session stays small, so that a page of a hundred such is well under the 4 MiB a client takes by default.
        ListSessionsResponse list = fixture.sessions().listSessions(ListSessionsRequest.getDefaultInstance());
        for (Session s : list.getSessionsList()) {
            assertTrue(s.getSerializedSize() < 12 * 1024, s.getSessionId() + " is " + s.getSerializedSize() + " bytes");
        }
        assertTrue(dev.mbi.controlplane.core.SessionPage.MAX_SIZE * 12 * 1024 < 4 * 1024 * 1024);
        assertEquals(HealthCheckResponse.ServingStatus.SERVING, HealthGrpc.newBlockingStub(fixture.apiConnection)
                .withDeadlineAfter(5, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()).getStatus());

        // Its last word, however long, is cut too.
        runner.send(RunnerMessage.newBuilder().setError(RunnerError.newBuilder().setReason("crash ".repeat(500_000))).build());
        Session ended = fixture.awaitStatus(spec.sessionId(), SessionStatus.SESSION_STATUS_ERROR, Duration.ofSeconds(5));
        assertTrue(ended.getError().getBytes(StandardCharsets.UTF_8).length <= Limits.MAX_REASON_BYTES);
        assertTrue(ended.getError().startsWith("crash crash"));
    }

    @Test
    void everyNavigationAViewerAsksForIsCheckedBeforeTheRunnerHearsOfIt() throws Exception {
        RunnerLauncher.RunnerSpec spec = fixture.createSession();
        ControlPlaneFixture.FakeRunner runner = fixture.registerReady(spec);
        ControlPlaneFixture.FakeViewer viewer = fixture.attach(spec.sessionId());
        viewer.down().next(ViewerUpdate::hasStatus, Duration.ofSeconds(5));

        List<Navigate> refused = List.of(
                Navigate.newBuilder().setAction(NavigateAction.NAVIGATE_ACTION_URL).setUrl("javascript:alert(1)").build(),
                Navigate.newBuilder().setAction(NavigateAction.NAVIGATE_ACTION_URL).setUrl("file:///etc/passwd").build(),
                Navigate.newBuilder().setAction(NavigateAction.NAVIGATE_ACTION_UNSPECIFIED).setUrl("chrome://settings").build(),
                Navigate.newBuilder().setAction(NavigateAction.NAVIGATE_ACTION_URL).setUrl("https:///no-host").build(),
                Navigate.newBuilder().setAction(NavigateAction.NAVIGATE_ACTION_URL)
                        .setUrl("https://example.com/?" + "x".repeat(Limits.MAX_URL_BYTES)).build());
        for (Navigate n : refused) {
            viewer.up().onNext(ViewerMessage.newBuilder().setInput(InputEvent.newBuilder().setNavigate(n)).build());
            String reason = viewer.down().next(ViewerUpdate::hasInputRefused, Duration.ofSeconds(5)).getInputRefused().getReason();
            assertTrue(reason.startsWith("navigation refused: "), reason);
        }
        // Allowed input follows; the runner gets it, and none of the refused ones before it.
        viewer.up().onNext(ViewerMessage.newBuilder().setInput(InputEvent.newBuilder()
                .setText(TypeText.newBuilder().setText("hello"))).build());
        Navigate ok = Navigate.newBuilder().setAction(NavigateAction.NAVIGATE_ACTION_URL).setUrl("https://example.org/next").build();
        viewer.up().onNext(ViewerMessage.newBuilder().setInput(InputEvent.newBuilder().setNavigate(ok)).build());
        viewer.up().onNext(ViewerMessage.newBuilder().setInput(InputEvent.newBuilder()
                .setNavigate(Navigate.newBuilder().setAction(NavigateAction.NAVIGATE_ACTION_BACK))).build());
        assertEquals("hello", runner.down().next(ControlMessage::hasInput, Duration.ofSeconds(5)).getInput().getText().getText());
        assertEquals(ok, runner.down().next(ControlMessage::hasInput, Duration.ofSeconds(5)).getInput().getNavigate());
        assertEquals(NavigateAction.NAVIGATE_ACTION_BACK,
                runner.down().next(ControlMessage::hasInput, Duration.ofSeconds(5)).getInput().getNavigate().getAction());
        assertEquals(SessionStatus.SESSION_STATUS_READY, fixture.get(spec.sessionId()).getStatus());
    }

    @Test
    void aSessionThatIsNotThereIsNotFound() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> fixture.sessions().getSession(GetSessionRequest.newBuilder().setSessionId("nope").build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    }
}
