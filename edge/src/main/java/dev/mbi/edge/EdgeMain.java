package dev.mbi.edge;

import dev.mbi.config.Env;
import dev.mbi.config.LogLevel;
import java.util.concurrent.CountDownLatch;

/** Entry point: starts the edge and stops it on SIGTERM or Ctrl-C. */
public final class EdgeMain {
    private EdgeMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        EdgeConfig config;
        try {
            config = EdgeConfig.from(Env.system());
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        LogLevel.configure("edge", config.logLevel());
        Edge edge = Edge.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            edge.close();
            stopped.countDown();
        }, "shutdown"));
        stopped.await();
    }
}
