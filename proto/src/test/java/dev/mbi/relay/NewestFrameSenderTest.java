package dev.mbi.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class NewestFrameSenderTest {
    @Test
    void slowReceiverGetsEveryMessageButOnlyTheNewestFrame() throws Exception {
        List<String> received = new CopyOnWriteArrayList<>();
        CountDownLatch gate = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        NewestFrameSender<String> sender = new NewestFrameSender<>("test", new NewestFrameSender.Sink<>() {
            @Override
            public void send(String message) throws Exception {
                gate.await();
                received.add(message);
            }

            @Override
            public void finish(Throwable failure) {
                received.add("end");
                done.countDown();
            }

            @Override
            public void broken(Exception cause) {
            }
        });
        sender.message("status-1");
        Thread.sleep(50); // the sender is now blocked inside send("status-1")
        for (int i = 1; i <= 10; i++) {
            sender.frame("frame-" + i);
        }
        sender.message("status-2");
        gate.countDown();
        Thread.sleep(100);
        sender.finish(null);
        assertTrue(done.await(2, TimeUnit.SECONDS));
        assertEquals(List.of("status-1", "status-2", "frame-10", "end"), received);
        assertEquals(9, sender.framesSkipped());
    }

    @Test
    void aBrokenReceiverStopsTheSender() throws Exception {
        CountDownLatch broken = new CountDownLatch(1);
        List<String> finished = new CopyOnWriteArrayList<>();
        NewestFrameSender<String> sender = new NewestFrameSender<>("test", new NewestFrameSender.Sink<>() {
            @Override
            public void send(String message) throws Exception {
                throw new java.io.IOException("gone");
            }

            @Override
            public void finish(Throwable failure) {
                finished.add("finish");
            }

            @Override
            public void broken(Exception cause) {
                broken.countDown();
            }
        });
        sender.frame("f");
        assertTrue(broken.await(2, TimeUnit.SECONDS));
        sender.finish(null);
        Thread.sleep(50);
        assertTrue(finished.isEmpty());
    }
}
