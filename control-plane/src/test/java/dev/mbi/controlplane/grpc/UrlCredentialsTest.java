package dev.mbi.controlplane.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import dev.mbi.controlplane.launch.RunnerLauncher;
import dev.mbi.proto.v1.ControlMessage;
import dev.mbi.proto.v1.CreateSessionRequest;
import dev.mbi.proto.v1.ListSessionsRequest;
import dev.mbi.proto.v1.Navigated;
import dev.mbi.proto.v1.RunnerError;
import dev.mbi.proto.v1.RunnerMessage;
import dev.mbi.proto.v1.RunnerReady;
import dev.mbi.proto.v1.Session;
import dev.mbi.proto.v1.SessionEvent;
import dev.mbi.proto.v1.SessionServiceGrpc;
import dev.mbi.proto.v1.SessionStatus;
import dev.mbi.proto.v1.ViewerUpdate;
import dev.mbi.proto.v1.WatchSessionsRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A session opened on http://user:password@host/: the runner gets the URL whole to open the page,
 * and no API answer (create, get, list, viewer status, session events) nor any log line, at any
 * level, shows the credentials.
 */
class UrlCredentialsTest {
    private static final String START = "http://alice:hunter2@127.0.0.1:9/private/page?q=1#top";
    private static final String START_SHOWN = "http://127.0.0.1:9/private/page?q=1#top";
    private static final String NEXT = "https://bob:pa55word@example.org/next";
    private static final String NEXT_SHOWN = "https://example.org/next";
    private static final List<String> SECRETS = List.of("alice", "hunter2", "bob", "pa55word");

    private final ConcurrentLinkedQueue<LogRecord> logged = new ConcurrentLinkedQueue<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            logged.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private final Logger ours = Logger.getLogger("dev.mbi");
    private Level oursBefore;
    private ControlPlaneFixture fixture;

    @BeforeEach
    void start() {
        oursBefore = ours.getLevel();
        ours.setLevel(Level.ALL);
        capture.setLevel(Level.ALL);
        Logger.getLogger("").addHandler(capture);
        fixture = ControlPlaneFixture.inProcess(Map.of("HEARTBEAT_INTERVAL", "200ms"));
    }

    @AfterEach
    void stop() {
        fixture.close();
        Logger.getLogger("").removeHandler(capture);
        ours.setLevel(oursBefore);
    }

    private static void assertNoCredentials(String where, String text) {
        for (String secret : SECRETS) {
            assertFalse(text.contains(secret), where + " shows '" + secret + "':\n" + text);
        }
    }

    private static void assertNoCredentials(String where, List<? extends Message> messages) {
        for (Message m : messages) {
            assertNoCredentials(where, m.toString());
        }
    }

    @Test
    void theRunnerGetsTheWholeUrlAndNoAnswerNorLogLineShowsItsCredentials() throws Exception {
        ControlPlaneFixture.Peer<SessionEvent> events = new ControlPlaneFixture.Peer<>();
        SessionServiceGrpc.newStub(fixture.apiChannel).watchSessions(WatchSessionsRequest.getDefaultInstance(), events);

        Session created = fixture.sessions().createSession(CreateSessionRequest.newBuilder().setUrl(START).build());
        assertEquals(START_SHOWN, created.getUrl());
        assertEquals(START_SHOWN, created.getCurrentUrl());
        RunnerLauncher.RunnerSpec spec = fixture.launcher.next(Duration.ofSeconds(5));
        String id = spec.sessionId();

        // The runner, and only the runner, gets what it needs to open the page.
        ControlPlaneFixture.FakeRunner runner = fixture.connect();
        runner.send(RunnerMessage.newBuilder().setRegister(dev.mbi.proto.v1.Register.newBuilder()
                .setSessionId(id).setJoinToken(spec.joinToken()).setHostname("test")).build());
        ControlMessage welcome = runner.down().next(ControlMessage::hasWelcome, Duration.ofSeconds(5));
        assertEquals(START, welcome.getWelcome().getUrl());

        ControlPlaneFixture.FakeViewer viewer = fixture.attach(id);
        runner.send(RunnerMessage.newBuilder().setReady(RunnerReady.newBuilder().setStartupMs(1)).build());
        fixture.awaitStatus(id, SessionStatus.SESSION_STATUS_READY, Duration.ofSeconds(5));
        // Chromium reports where the page went, credentials and all.
        runner.send(RunnerMessage.newBuilder().setNavigated(Navigated.newBuilder().setUrl(NEXT).setTitle("Next")).build());
        ViewerUpdate navigated = viewer.down().next(u -> u.hasStatus() && u.getStatus().getTitle().equals("Next"), Duration.ofSeconds(5));
        assertEquals(NEXT_SHOWN, navigated.getStatus().getCurrentUrl());
        assertEquals(START_SHOWN, navigated.getStatus().getUrl());
        Session got = fixture.get(id);
        assertEquals(START_SHOWN, got.getUrl());
        assertEquals(NEXT_SHOWN, got.getCurrentUrl());
        List<Session> listed = fixture.sessions().listSessions(ListSessionsRequest.getDefaultInstance()).getSessionsList();

        // A failure whose reason quotes the URL (as Chromium's errors do) shows it without the credentials.
        runner.send(RunnerMessage.newBuilder().setError(RunnerError.newBuilder()
                .setReason("Chromium exited while opening " + START + " (then " + NEXT + ")")).build());
        Session failed = fixture.awaitStatus(id, SessionStatus.SESSION_STATUS_ERROR, Duration.ofSeconds(5));
        assertEquals("Chromium exited while opening " + START_SHOWN + " (then " + NEXT_SHOWN + ")", failed.getError());
        SessionEvent ended = events.next(e -> e.getKind() == SessionEvent.Kind.KIND_ENDED
                && e.getSession().getSessionId().equals(id), Duration.ofSeconds(5));
        assertEquals(failed.getError(), ended.getSession().getError());
        ViewerUpdate last = viewer.down().next(u -> u.hasStatus()
                && u.getStatus().getStatus() == SessionStatus.SESSION_STATUS_ERROR, Duration.ofSeconds(5));

        List<SessionEvent> allEvents = new ArrayList<>(events.received());
        allEvents.add(ended);
        List<ViewerUpdate> allUpdates = new ArrayList<>(viewer.down().received());
        allUpdates.add(navigated);
        allUpdates.add(last);
        assertNoCredentials("an API answer", List.of(created, got, failed));
        assertNoCredentials("the session list", listed);
        assertNoCredentials("a session event", allEvents);
        assertNoCredentials("a viewer's status", allUpdates);

        // Every log line, whatever its level, with its exception if it has one.
        SimpleFormatter format = new SimpleFormatter();
        StringBuilder log = new StringBuilder();
        for (LogRecord r : logged) {
            log.append(format.format(r));
        }
        assertTrue(log.toString().contains("created for " + START_SHOWN), log.toString());
        assertTrue(log.toString().contains("error: Chromium exited while opening " + START_SHOWN), log.toString());
        assertNoCredentials("the log", log.toString());
    }
}
