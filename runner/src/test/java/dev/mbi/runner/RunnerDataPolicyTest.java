package dev.mbi.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.contract.RunnerContract;
import dev.mbi.proto.v1.ActionBlocked;
import dev.mbi.proto.v1.ClipboardPolicy;
import dev.mbi.proto.v1.ClipboardText;
import dev.mbi.proto.v1.ControlMessage;
import dev.mbi.proto.v1.InputEvent;
import dev.mbi.proto.v1.KeyAction;
import dev.mbi.proto.v1.Permission;
import dev.mbi.proto.v1.RunnerMessage;
import dev.mbi.proto.v1.SessionPolicy;
import dev.mbi.proto.v1.Shutdown;
import dev.mbi.proto.v1.Welcome;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** A whole runner under its welcome's policy: what the page copies and what viewers send, let through or blocked. */
class RunnerDataPolicyTest {

    /** A browser that records what it is given and lets the test play the page's copies. */
    private static final class RecordingBrowser extends FakeBrowser {
        final List<InputEvent> dispatched = new CopyOnWriteArrayList<>();
        volatile Listener listener;

        @Override
        public void dispatch(InputEvent event) {
            dispatched.add(event);
        }
    }

    private static SessionPolicy policy(ClipboardPolicy clipboard, Permission keyboard, long maxBytes) {
        return SessionPolicy.newBuilder().setClipboard(clipboard).setKeyboard(keyboard)
                .setDownloads(Permission.PERMISSION_ALLOW).setUploads(Permission.PERMISSION_ALLOW)
                .setPrinting(Permission.PERMISSION_ALLOW).setAudio(Permission.PERMISSION_ALLOW)
                .setMaxTransferBytes(maxBytes).build();
    }

    /** Runs a runner with {@code policy} around {@code test}, then shuts it down. */
    private static void withRunner(SessionPolicy policy, TestBody test) throws Exception {
        RecordingBrowser browser = new RecordingBrowser();
        Welcome welcome = Welcome.newBuilder().setUrl("about:blank").setViewportWidth(800).setViewportHeight(600)
                .setMaxFps(5).setHeartbeatIntervalMs(60_000).setPolicy(policy).build();
        try (FakeControlPlane controlPlane = new FakeControlPlane(welcome);
             RunnerExecutors executors = RunnerExecutors.create()) {
            RunnerContract contract = new RunnerContract("policy", "token", controlPlane.address(), RunnerContract.Settings.defaults());
            try (EgressGuard egress = EgressGuard.start(contract, executors)) {
                Runner runner = new Runner(contract, (spec, listener) -> {
                    browser.listener = listener;
                    return browser;
                }, executors, egress);
                CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(runner::run, executors.tasks());
                Awaitility.await("ready").atMost(Duration.ofSeconds(20))
                        .until(() -> !controlPlane.received(RunnerMessage.KindCase.READY).isEmpty());
                test.run(controlPlane, browser);
                controlPlane.send(ControlMessage.newBuilder().setShutdown(Shutdown.newBuilder().setReason("test over")).build());
                assertEquals(0, exit.get(20, TimeUnit.SECONDS));
            }
        }
    }

    interface TestBody {
        void run(FakeControlPlane controlPlane, RecordingBrowser browser) throws Exception;
    }

    private static ControlMessage input(InputEvent event) {
        return ControlMessage.newBuilder().setInput(event).build();
    }

    private static ControlMessage viewerClipboard(String text) {
        return input(InputEvent.newBuilder().setClipboard(ClipboardText.newBuilder().setText(text)).build());
    }

    private static void awaitBlocked(FakeControlPlane controlPlane, String action, String rule) {
        ActionBlocked expected = ActionBlocked.newBuilder().setAction(action).setRule(rule).build();
        Awaitility.await("blocked " + action + " by " + rule).atMost(Duration.ofSeconds(10))
                .until(() -> controlPlane.received(RunnerMessage.KindCase.BLOCKED).stream().anyMatch(m -> m.getBlocked().equals(expected)));
    }

    @Test
    void bothWaysTheTextCrosses() throws Exception {
        withRunner(policy(ClipboardPolicy.CLIPBOARD_POLICY_BOTH, Permission.PERMISSION_ALLOW, 1024), (controlPlane, browser) -> {
            browser.listener.onClipboard("from page");
            browser.listener.onClipboard("from page"); // the same copy seen twice
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !controlPlane.received(RunnerMessage.KindCase.CLIPBOARD).isEmpty());
            controlPlane.send(viewerClipboard("from viewer"));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> browser.dispatched.stream().anyMatch(InputEvent::hasClipboard));
            assertEquals(List.of("from page"), controlPlane.received(RunnerMessage.KindCase.CLIPBOARD).stream()
                    .map(m -> m.getClipboard().getText()).toList());
            assertTrue(controlPlane.received(RunnerMessage.KindCase.BLOCKED).isEmpty());
        });
    }

    @Test
    void noneAndToRemoteKeepThePagesCopiesIn() throws Exception {
        for (ClipboardPolicy clipboard : List.of(ClipboardPolicy.CLIPBOARD_POLICY_NONE, ClipboardPolicy.CLIPBOARD_POLICY_TO_REMOTE)) {
            String name = clipboard == ClipboardPolicy.CLIPBOARD_POLICY_NONE ? "none" : "to-remote";
            withRunner(policy(clipboard, Permission.PERMISSION_ALLOW, 1024), (controlPlane, browser) -> {
                browser.listener.onClipboard("secret");
                awaitBlocked(controlPlane, "clipboard to local", "policy.clipboard = " + name);
                assertTrue(controlPlane.received(RunnerMessage.KindCase.CLIPBOARD).isEmpty());
            });
        }
    }

    @Test
    void toLocalKeepsTheViewersTextOut() throws Exception {
        withRunner(policy(ClipboardPolicy.CLIPBOARD_POLICY_TO_LOCAL, Permission.PERMISSION_ALLOW, 1024), (controlPlane, browser) -> {
            controlPlane.send(viewerClipboard("from viewer"));
            awaitBlocked(controlPlane, "clipboard to remote", "policy.clipboard = to-local");
            browser.listener.onClipboard("from page");
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !controlPlane.received(RunnerMessage.KindCase.CLIPBOARD).isEmpty());
            assertTrue(browser.dispatched.stream().noneMatch(InputEvent::hasClipboard));
        });
    }

    @Test
    void textOverTheLimitIsBlockedBothWays() throws Exception {
        withRunner(policy(ClipboardPolicy.CLIPBOARD_POLICY_BOTH, Permission.PERMISSION_ALLOW, 5), (controlPlane, browser) -> {
            browser.listener.onClipboard("héllo"); // five characters, six bytes
            awaitBlocked(controlPlane, "clipboard to local", "policy.maxTransferBytes = 5");
            controlPlane.send(viewerClipboard("123456"));
            awaitBlocked(controlPlane, "clipboard to remote", "policy.maxTransferBytes = 5");
            browser.listener.onClipboard("hello");
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !controlPlane.received(RunnerMessage.KindCase.CLIPBOARD).isEmpty());
            assertEquals("hello", controlPlane.received(RunnerMessage.KindCase.CLIPBOARD).getFirst().getClipboard().getText());
            assertTrue(browser.dispatched.stream().noneMatch(InputEvent::hasClipboard));
        });
    }

    @Test
    void keyboardDenyDropsKeysAndTextWithOneNotice() throws Exception {
        withRunner(policy(ClipboardPolicy.CLIPBOARD_POLICY_BOTH, Permission.PERMISSION_DENY, 1024), (controlPlane, browser) -> {
            Consumer<InputEvent> send = event -> controlPlane.send(input(event));
            for (int i = 0; i < 10; i++) {
                send.accept(InputQueueTest.key(KeyAction.KEY_ACTION_DOWN, "a"));
                send.accept(InputQueueTest.key(KeyAction.KEY_ACTION_UP, "a"));
            }
            send.accept(InputEvent.newBuilder().setText(dev.mbi.proto.v1.TypeText.newBuilder().setText("typed")).build());
            send.accept(InputQueueTest.move(5));
            Awaitility.await("the pointer still moves").atMost(Duration.ofSeconds(10)).until(() -> !browser.dispatched.isEmpty());
            awaitBlocked(controlPlane, "keyboard", "policy.keyboard = deny");
            assertTrue(browser.dispatched.stream().noneMatch(e -> e.hasKey() || e.hasText()), browser.dispatched.toString());
            assertEquals(1, controlPlane.received(RunnerMessage.KindCase.BLOCKED).size(), "one notice for the burst");
        });
    }
}
