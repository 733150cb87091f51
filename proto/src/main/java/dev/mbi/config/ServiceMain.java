package dev.mbi.config;

import java.util.concurrent.CountDownLatch;
import java.util.function.Function;

/**
 * How every long-running service starts: read its configuration from the environment (a bad
 * value ends the process with exit code 2 and a message naming each variable), set up logging,
 * start, and run until SIGTERM or Ctrl-C, which closes the service before the process exits.
 */
public final class ServiceMain {
    private ServiceMain() {
    }

    /** What a service's configuration must tell this class. */
    public interface Config {
        String logLevel();
    }

    public static <C extends Config> void run(String service, Function<Env, C> readConfig,
                                              Function<C, AutoCloseable> start) throws InterruptedException {
        C config;
        LogLevel.Format format;
        try {
            Env env = Env.system();
            config = readConfig.apply(env);
            Env logs = Env.system();
            format = logs.choice(LogLevel.FORMAT, LogLevel.Format.TEXT, LogLevel.Format.class);
            logs.requireValid(service);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        LogLevel.configure(service, config.logLevel(), format);
        AutoCloseable running = start.apply(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                running.close();
            } catch (Exception e) {
                System.err.println(service + ": error while stopping: " + e);
            }
            stopped.countDown();
        }, "shutdown"));
        stopped.await();
    }
}
