package dev.mbi.controlplane;

import dev.mbi.config.Env;
import dev.mbi.config.LogLevel;
import java.util.concurrent.CountDownLatch;

/** Entry point: starts the control plane and stops it, with every runner, on SIGTERM or Ctrl-C. */
public final class ControlPlaneMain {
    private ControlPlaneMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        ControlPlaneConfig config;
        try {
            config = ControlPlaneConfig.from(Env.system());
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        LogLevel.configure("control-plane", config.logLevel());
        ControlPlane controlPlane = ControlPlane.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            controlPlane.close();
            stopped.countDown();
        }, "shutdown"));
        stopped.await();
    }
}
