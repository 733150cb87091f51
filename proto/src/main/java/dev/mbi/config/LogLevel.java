package dev.mbi.config;

import dev.mbi.redact.Urls;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * One-line console logging for every service, at the level LOG_LEVEL names (debug, info, warn, error).
 * Credentials inside URLs never reach the log, whoever wrote the line (our code strips them where it
 * logs a URL; this catches libraries and exception messages).
 */
public final class LogLevel {
    private LogLevel() {
    }

    public static void configure(String service, String logLevel) {
        Level level = switch (logLevel.toLowerCase()) {
            case "debug", "trace" -> Level.FINE;
            case "warn", "warning" -> Level.WARNING;
            case "error" -> Level.SEVERE;
            default -> Level.INFO;
        };
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        ConsoleHandler handler = new ConsoleHandler();
        handler.setLevel(level);
        handler.setFormatter(new OneLine(service));
        root.addHandler(handler);
        root.setLevel(level);
        // Libraries are chatty at FINE; our own packages follow LOG_LEVEL, theirs stay at INFO or above.
        Logger.getLogger("dev.mbi").setLevel(level);
        if (level.intValue() < Level.INFO.intValue()) {
            for (String noisy : new String[] {"io.grpc", "io.netty", "io.helidon", "com.ruiyun", "org.java_websocket"}) {
                Logger.getLogger(noisy).setLevel(Level.INFO);
            }
        }
    }

    private static final class OneLine extends Formatter {
        private final String service;

        OneLine(String service) {
            this.service = service;
        }

        @Override
        public String format(LogRecord r) {
            String name = r.getLoggerName() == null ? "" : r.getLoggerName();
            String shortName = name.substring(name.lastIndexOf('.') + 1);
            StringBuilder sb = new StringBuilder()
                    .append(java.time.Instant.ofEpochMilli(r.getMillis())).append(' ')
                    .append(service).append(' ')
                    .append(r.getLevel().getName()).append(' ')
                    .append(shortName).append(": ")
                    .append(Urls.withoutUserInfoIn(formatMessage(r))).append('\n');
            if (r.getThrown() != null) {
                java.io.StringWriter sw = new java.io.StringWriter();
                r.getThrown().printStackTrace(new java.io.PrintWriter(sw));
                sb.append(Urls.withoutUserInfoIn(sw.toString()));
            }
            return sb.toString();
        }
    }
}
