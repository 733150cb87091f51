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

    @Test
    void aReceiverThatLetsTheQueueFillIsGivenUpOnWithoutBlockingTheProducer() throws Exception {
        CountDownLatch broken = new CountDownLatch(1);
        List<Exception> causes = new CopyOnWriteArrayList<>();
        NewestFrameSender<String> sender = new NewestFrameSender<>("test", 3, new NewestFrameSender.Sink<>() {
            @Override
            public void send(String message) {
                throw new AssertionError("a receiver that is never ready gets nothing");
            }

            @Override
            public void finish(Throwable failure) {
                causes.add(new IllegalStateException("finish must not follow an overflow"));
            }

            @Override
            public void broken(Exception cause) {
                causes.add(cause);
                broken.countDown();
            }

            @Override
            public boolean ready() {
                return false;
            }
        });
        long t0 = System.nanoTime();
        for (int i = 0; i < 10; i++) {
            sender.message("m" + i);
        }
        assertTrue((System.nanoTime() - t0) < TimeUnit.MILLISECONDS.toNanos(500), "the producer was held up");
        assertTrue(broken.await(2, TimeUnit.SECONDS));
        sender.finish(null);
        assertEquals(1, causes.size(), causes.toString());
        assertTrue(causes.get(0) instanceof NewestFrameSender.Overflow, causes.toString());
        assertTrue(causes.get(0).getMessage().contains("stopped reading"), causes.get(0).getMessage());
    }

    @Test
    void writesWaitForTheReceiverToBeReady() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean ready = new java.util.concurrent.atomic.AtomicBoolean();
        List<String> received = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        NewestFrameSender<String> sender = new NewestFrameSender<>("test", 10, new NewestFrameSender.Sink<>() {
            @Override
            public void send(String message) {
                received.add(message);
            }

            @Override
            public void finish(Throwable failure) {
                done.countDown();
            }

            @Override
            public void broken(Exception cause) {
            }

            @Override
            public boolean ready() {
                return ready.get();
            }
        });
        sender.message("a");
        sender.frame("f1");
        sender.frame("f2");
        Thread.sleep(150);
        assertTrue(received.isEmpty(), "sent before the receiver was ready: " + received);
        assertEquals(1, sender.queued());
        ready.set(true);
        sender.wake();
        sender.finish(null);
        assertTrue(done.await(2, TimeUnit.SECONDS));
        assertEquals(List.of("a"), received.subList(0, 1));
    }
}
