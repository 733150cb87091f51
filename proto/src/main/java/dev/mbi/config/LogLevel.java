package dev.mbi.config;

import dev.mbi.redact.Urls;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * One-line console logging for every service, at the level LOG_LEVEL names (debug, info, warn, error),
 * as text or, with LOG_FORMAT=json, one JSON object per line. Credentials inside URLs never reach the
 * log, whoever wrote the line (our code strips them where it logs a URL; this catches libraries and
 * exception messages).
 */
public final class LogLevel {
    /** LOG_FORMAT: text (the default) or json. */
    public static final String FORMAT = "LOG_FORMAT";

    /** How log lines are written. */
    public enum Format { TEXT, JSON }

    private LogLevel() {
    }

    public static void configure(String service, String logLevel) {
        configure(service, logLevel, Format.TEXT);
    }

    public static void configure(String service, String logLevel, Format format) {
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
        handler.setFormatter(format == Format.JSON ? new JsonLine(service) : new OneLine(service));
        root.addHandler(handler);
        root.setLevel(level);
        // The Docker client's HTTP library reports every retried request at INFO: only its warnings matter.
        Logger.getLogger("org.apache.hc").setLevel(Level.WARNING);
        // Libraries are chatty at FINE; our own packages follow LOG_LEVEL, theirs stay at INFO or above.
        Logger.getLogger("dev.mbi").setLevel(level);
        if (level.intValue() < Level.INFO.intValue()) {
            for (String noisy : new String[] {"io.grpc", "io.netty", "io.helidon", "com.ruiyun", "org.java_websocket"}) {
                Logger.getLogger(noisy).setLevel(Level.INFO);
            }
        }
    }

    /** The session a line is about: our lines say "session <id>: ...". */
    private static final java.util.regex.Pattern SESSION = java.util.regex.Pattern.compile("\\bsession ([A-Za-z0-9-]{8,64})\\b");
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    private static final String HOST = hostname();

    private static String hostname() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "";
        }
    }

    /**
     * {"time", "level", "service", "host", "logger", "session" (when the line names one), "event", "error"}:
     * the fields a log pipeline indexes, one object per line.
     */
    private static final class JsonLine extends Formatter {
        private final String service;

        JsonLine(String service) {
            this.service = service;
        }

        @Override
        public String format(LogRecord r) {
            String event = Urls.withoutUserInfoIn(formatMessage(r));
            var n = JSON.createObjectNode();
            n.put("time", java.time.Instant.ofEpochMilli(r.getMillis()).toString());
            n.put("level", r.getLevel().getName());
            n.put("service", service);
            n.put("host", HOST);
            n.put("logger", r.getLoggerName() == null ? "" : r.getLoggerName());
            java.util.regex.Matcher m = SESSION.matcher(event);
            if (m.find()) {
                n.put("session", m.group(1));
            }
            n.put("event", event);
            if (r.getThrown() != null) {
                java.io.StringWriter sw = new java.io.StringWriter();
                r.getThrown().printStackTrace(new java.io.PrintWriter(sw));
                n.put("error", Urls.withoutUserInfoIn(sw.toString()));
            }
            return n.toString() + "\n";
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
