package dev.mbi.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.proto.v1.ControlMessage;
import dev.mbi.proto.v1.InputEvent;
import dev.mbi.proto.v1.KeyAction;
import dev.mbi.proto.v1.RunnerMessage;
import dev.mbi.proto.v1.SignalOffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A whole runner over real gRPC: a viewer's WebRTC offer is answered on its own lane, so the
 * messages behind it on the control plane's stream (another viewer's input) do not wait for it.
 */
class RunnerOfferTest {

    private static final class RecordingBrowser extends FakeBrowser {
        final List<InputEvent> injected = new CopyOnWriteArrayList<>();

        @Override
        public void dispatch(InputEvent event) {
            injected.add(event);
        }
    }

    @Test
    void anOfferBeingAnsweredDoesNotHoldUpTheInputBehindIt() throws Exception {
        RecordingBrowser browser = new RecordingBrowser();
        try (ReadyRunner runner = new ReadyRunner("offers", browser)) {
            FakeControlPlane controlPlane = runner.controlPlane;

            // An answer that takes its time: the signalling lane is busy until released.
            CountDownLatch release = new CountDownLatch(1);
            runner.executors.signalling().execute(() -> {
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            controlPlane.send(ControlMessage.newBuilder().setOffer(SignalOffer.newBuilder()
                    .setViewerId("phone").setSdp("v=0\r\nnot an offer\r\n")).build());
            InputEvent key = InputQueueTest.key(KeyAction.KEY_ACTION_DOWN, "K");
            controlPlane.send(ControlMessage.newBuilder().setInput(key).build());

            Awaitility.await("the input behind the offer lands").atMost(Duration.ofSeconds(10))
                    .until(() -> browser.injected.size() == 1);
            assertEquals(key, browser.injected.getFirst());
            assertTrue(controlPlane.received(RunnerMessage.KindCase.ANSWER).isEmpty(),
                    "the offer is still being answered on its lane");

            release.countDown();
            Awaitility.await("the offer's answer").atMost(Duration.ofSeconds(30))
                    .until(() -> !controlPlane.received(RunnerMessage.KindCase.ANSWER).isEmpty());
            RunnerMessage answer = controlPlane.received(RunnerMessage.KindCase.ANSWER).getFirst();
            assertEquals("phone", answer.getAnswer().getViewerId());
            assertTrue(answer.getAnswer().getError().startsWith("bad session description"),
                    "an offer libwebrtc cannot read is refused in words: " + answer.getAnswer());
            assertTrue(answer.getAnswer().getOfferRefused(), "and marked as the offer's fault: " + answer.getAnswer());

            runner.shutDown();
        }
    }
}
