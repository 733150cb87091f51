package dev.mbi.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a service's settings from environment variables. Every bad value is collected,
 * so a misconfigured service reports all its problems at once, each naming the variable.
 * Secrets ({@link #secret}) may also be given as files, and are never part of a message.
 */
public final class Env {
    /** What a secret's variable name gets to name the file holding it instead: TURN_SECRET_FILE. */
    public static final String FILE_SUFFIX = "_FILE";
    /** The largest secret file read; a secret is a line, not a document. */
    static final int MAX_SECRET_FILE_BYTES = 64 * 1024;

    private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)([kmg]?)(?:i?b)?");

    private final Map<String, String> values;
    private final List<String> problems = new ArrayList<>();

    public Env(Map<String, String> values) {
        this.values = Map.copyOf(values);
    }

    public static Env system() {
        return new Env(System.getenv());
    }

    public String string(String name, String defaultValue) {
        String v = values.get(name);
        return v == null || v.isBlank() ? defaultValue : v.trim();
    }

    public int integer(String name, int defaultValue, int min, int max) {
        String v = values.get(name);
        if (v == null || v.isBlank()) {
            return defaultValue;
        }
        try {
            int parsed = Integer.parseInt(v.trim());
            if (parsed < min || parsed > max) {
                problems.add(name + "=" + v + ": must be between " + min + " and " + max);
                return defaultValue;
            }
            return parsed;
        } catch (NumberFormatException e) {
            problems.add(name + "=" + v + ": not a whole number");
            return defaultValue;
        }
    }

    public boolean bool(String name, boolean defaultValue) {
        String v = values.get(name);
        if (v == null || v.isBlank()) {
            return defaultValue;
        }
        return switch (v.trim().toLowerCase()) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off" -> false;
            default -> {
                problems.add(name + "=" + v + ": use true or false");
                yield defaultValue;
            }
        };
    }

    /** A duration such as "30m", "90s", "1h30m", "250ms", or a plain number of seconds. */
    public Duration duration(String name, Duration defaultValue, Duration min) {
        String v = values.get(name);
        if (v == null || v.isBlank()) {
            return defaultValue;
        }
        Duration parsed = parseDuration(v.trim());
        if (parsed == null) {
            problems.add(name + "=" + v + ": not a duration (examples: 30m, 90s, 1h, 500ms, or seconds as a number)");
            return defaultValue;
        }
        if (parsed.compareTo(min) < 0) {
            problems.add(name + "=" + v + ": must be at least " + min.toMillis() + "ms");
            return defaultValue;
        }
        return parsed;
    }

    public <E extends Enum<E>> E choice(String name, E defaultValue, Class<E> type) {
        String v = values.get(name);
        if (v == null || v.isBlank()) {
            return defaultValue;
        }
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(v.trim())) {
                return e;
            }
        }
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            names.add(e.name().toLowerCase());
        }
        problems.add(name + "=" + v + ": use one of " + String.join(", ", names));
        return defaultValue;
    }

    /** A size in bytes such as "512m", "1g", "64k" or a plain number of bytes. */
    public long bytes(String name, long defaultValue, long min) {
        String v = values.get(name);
        if (v == null || v.isBlank()) {
            return defaultValue;
        }
        Matcher m = SIZE.matcher(v.trim().toLowerCase());
        if (!m.matches()) {
            problems.add(name + "=" + v + ": not a size (examples: 512m, 1g, 64k, or bytes as a number)");
            return defaultValue;
        }
        long unit = switch (m.group(2)) {
            case "k" -> 1L << 10;
            case "m" -> 1L << 20;
            case "g" -> 1L << 30;
            default -> 1;
        };
        long parsed = (long) (Double.parseDouble(m.group(1)) * unit);
        if (parsed < min) {
            problems.add(name + "=" + v + ": must be at least " + min + " bytes");
            return defaultValue;
        }
        return parsed;
    }

    /** A decimal number such as "1.5". */
    public double decimal(String name, double defaultValue, double min, double max) {
        String v = values.get(name);
        if (v == null || v.isBlank()) {
            return defaultValue;
        }
        try {
            double parsed = Double.parseDouble(v.trim());
            if (!(parsed >= min && parsed <= max)) {
                problems.add(name + "=" + v + ": must be between " + min + " and " + max);
                return defaultValue;
            }
            return parsed;
        } catch (NumberFormatException e) {
            problems.add(name + "=" + v + ": not a number");
            return defaultValue;
        }
    }

    /**
     * A secret setting: the value of {@code name}, or the content of the file that
     * {@code name + "_FILE"} names (how Docker and Kubernetes secrets are mounted), trimmed.
     * Empty when neither is set (blank counts as not set). Setting both, or naming a file that
     * cannot be read, is empty, is not UTF-8 text or is larger than 64 KiB, is a problem naming
     * the variable. No message ever holds the value itself, only variable names and the path.
     */
    public String secret(String name) {
        String fileVariable = name + FILE_SUFFIX;
        String direct = values.get(name);
        String file = values.get(fileVariable);
        boolean hasDirect = direct != null && !direct.isBlank();
        boolean hasFile = file != null && !file.isBlank();
        if (hasDirect && hasFile) {
            problems.add(name + " and " + fileVariable + " are both set: give the secret one way only");
            return "";
        }
        if (hasDirect) {
            return direct.trim();
        }
        return hasFile ? readSecretFile(fileVariable, file.trim()) : "";
    }

    /** Whether the secret {@code name} is given, directly or as a file (whatever the file holds). */
    public boolean hasSecret(String name) {
        String direct = values.get(name);
        String file = values.get(name + FILE_SUFFIX);
        return (direct != null && !direct.isBlank()) || (file != null && !file.isBlank());
    }

    private String readSecretFile(String variable, String file) {
        String where = variable + "=" + file;
        byte[] bytes;
        try (InputStream in = Files.newInputStream(Path.of(file))) {
            bytes = in.readNBytes(MAX_SECRET_FILE_BYTES + 1);
        } catch (NoSuchFileException e) {
            problems.add(where + ": no such file");
            return "";
        } catch (AccessDeniedException e) {
            problems.add(where + ": permission denied");
            return "";
        } catch (IOException | InvalidPathException | SecurityException e) {
            // The exception names the path and the reason, never what the file holds.
            problems.add(where + ": cannot be read (" + e.getClass().getSimpleName() + ")");
            return "";
        }
        if (bytes.length > MAX_SECRET_FILE_BYTES) {
            problems.add(where + ": larger than " + (MAX_SECRET_FILE_BYTES / 1024) + " KiB; give a file holding only the secret");
            return "";
        }
        String content;
        try {
            content = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString().trim();
        } catch (CharacterCodingException e) {
            problems.add(where + ": not UTF-8 text");
            return "";
        }
        if (content.isEmpty()) {
            problems.add(where + ": the file is empty");
        }
        return content;
    }

    /** Records a problem found by a check that spans several variables. */
    public void problem(String message) {
        problems.add(message);
    }

    /** Throws one exception listing every bad value read so far. */
    public void requireValid(String service) {
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(
                    service + " cannot start; fix these environment variables:\n  " + String.join("\n  ", problems));
        }
    }

    static Duration parseDuration(String text) {
        if (text.matches("\\d+")) {
            return Duration.ofSeconds(Long.parseLong(text));
        }
        Matcher m = DURATION_PART.matcher(text);
        long millis = 0;
        int end = 0;
        while (m.find()) {
            if (m.start() != end) {
                return null;
            }
            double amount = Double.parseDouble(m.group(1));
            millis += (long) switch (m.group(2)) {
                case "ms" -> amount;
                case "s" -> amount * 1_000;
                case "m" -> amount * 60_000;
                default -> amount * 3_600_000;
            };
            end = m.end();
        }
        return end == text.length() && end > 0 ? Duration.ofMillis(millis) : null;
    }
}
