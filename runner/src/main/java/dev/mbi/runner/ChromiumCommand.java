package dev.mbi.runner;

import com.ruiyun.jvppeteer.common.Constant;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The command that starts a runner's Chromium. DevTools is reached over
 * {@value #PIPE_FLAG} only, never a TCP port: anything else on the host (another session's page
 * included) could connect to a port and drive this browser. Chromium reads DevTools commands from
 * its file descriptor 3 and writes replies and events to descriptor 4; a shell maps those to the
 * process's stdin and stdout, which the runner holds ({@link CdpPipe}), and sends Chromium's own
 * output to its stderr.
 */
final class ChromiumCommand {
    static final String PIPE_FLAG = "--remote-debugging-pipe";
    static final String SHELL = "/bin/sh";
    private static final String DISABLE_FEATURES = "--disable-features=";
    private static final String ENABLE_FEATURES = "--enable-features=";
    /** Features jvppeteer turns off for automation; kept when launching without it. */
    private static final List<String> DISABLED_FEATURES = List.of("Translate", "AcceptCHFrame", "MediaRouter",
            "OptimizationHints", "ProcessPerSiteUpToMainFrameThreshold", "IsolateSandboxedIframes");
    /**
     * PDFs in their own frame process; the network service inside the browser process: one process
     * and ~16 MiB fewer, starts ~10% faster (bench/results/chromium-flags.md), and no isolation lost
     * while Chromium's sandbox is off (the runner's container is the boundary).
     */
    private static final List<String> ENABLED_FEATURES = List.of("PdfOopif", "NetworkServiceInProcess2");

    /** Debian's launcher: a shell script that reads /etc/chromium.d and runs findmnt, then starts {@link #DEBIAN_BINARY}. */
    static final Path DEBIAN_WRAPPER = Path.of("/usr/bin/chromium");
    static final Path DEBIAN_BINARY = Path.of("/usr/lib/chromium/chromium");
    /** Debian's chromium-headless-shell: the same kind of script, and the binary it starts. */
    static final Path DEBIAN_SHELL_WRAPPER = Path.of("/usr/bin/chromium-headless-shell");
    static final Path DEBIAN_SHELL_BINARY = Path.of("/usr/lib/chromium/chromium-headless-shell");
    /**
     * Set to "no" for a Chromium started without Debian's script, which would set them: without
     * keys, Chromium would otherwise tell a windowed page's viewers that they are missing.
     */
    static final Map<String, String> NO_GOOGLE_KEYS = Map.of("GOOGLE_API_KEY", "no",
            "GOOGLE_DEFAULT_CLIENT_ID", "no", "GOOGLE_DEFAULT_CLIENT_SECRET", "no");

    private ChromiumCommand() {
    }

    /** The program to start for the configured path: the binary behind either of Debian's wrapper scripts. */
    static Path executable(Path configured) {
        return configured.equals(DEBIAN_SHELL_WRAPPER) ? executable(configured, DEBIAN_SHELL_WRAPPER, DEBIAN_SHELL_BINARY)
                : executable(configured, DEBIAN_WRAPPER, DEBIAN_BINARY);
    }

    /**
     * The program to start for the configured path: Debian's binary itself where the path is
     * Debian's wrapper script. The script costs every start ~30–100 ms (bench/results/chromium-flags.md)
     * and adds nothing a runner needs: its flags that matter are among the runner's own.
     */
    static Path executable(Path configured, Path wrapper, Path binary) {
        if (!configured.equals(wrapper) || !Files.isExecutable(binary)) {
            return configured;
        }
        try (InputStream in = Files.newInputStream(configured)) {
            byte[] start = in.readNBytes(2);
            return start.length == 2 && start[0] == '#' && start[1] == '!' ? binary : configured;
        } catch (IOException e) {
            return configured;
        }
    }

    /**
     * Chromium's arguments: the automation defaults puppeteer uses, then {@code own} and
     * {@code extra} (the operator's), the profile folder and the DevTools pipe; repeated flags
     * are given once, and every {@code --disable-features} / {@code --enable-features} list is
     * merged into one (Chromium would honour only the last).
     *
     * @param headless headless (screencast capture) rather than a window on the display
     */
    static List<String> arguments(boolean headless, List<String> own, List<String> extra, Path profile) {
        List<String> all = new ArrayList<>(Constant.DEFAULT_ARGS);
        if (headless) {
            all.addAll(List.of("--headless=new", "--hide-scrollbars"));
        }
        all.addAll(own);
        all.addAll(extra);
        Set<String> disabled = new LinkedHashSet<>(DISABLED_FEATURES);
        Set<String> enabled = new LinkedHashSet<>(ENABLED_FEATURES);
        Set<String> flags = new LinkedHashSet<>();
        for (String arg : all) {
            if (arg.startsWith(DISABLE_FEATURES)) {
                addFeatures(disabled, arg.substring(DISABLE_FEATURES.length()));
            } else if (arg.startsWith(ENABLE_FEATURES)) {
                addFeatures(enabled, arg.substring(ENABLE_FEATURES.length()));
            } else if (!arg.startsWith("--remote-debugging-") && !arg.startsWith("--user-data-dir")) {
                flags.add(arg);
            }
        }
        List<String> args = new ArrayList<>(flags);
        args.add(DISABLE_FEATURES + String.join(",", disabled));
        args.add(ENABLE_FEATURES + String.join(",", enabled));
        args.add("--user-data-dir=" + profile);
        args.add(PIPE_FLAG);
        args.add("about:blank");
        return args;
    }

    private static void addFeatures(Set<String> into, String list) {
        for (String feature : list.split(",")) {
            if (!feature.isBlank()) {
                into.add(feature.trim());
            }
        }
    }

    /**
     * The process to start: a shell that puts the DevTools pipe on descriptors 3 and 4 and then
     * becomes Chromium (through {@code setpriv}, when given, so that Chromium dies with the runner).
     */
    static List<String> command(String chromiumPath, List<String> arguments, Optional<Path> setpriv) {
        String exec = setpriv.map(p -> "exec " + quote(p.toString()) + " --pdeathsig KILL -- ").orElse("exec ")
                + "\"$0\" \"$@\" 3<&0 4>&1 0</dev/null 1>&2";
        List<String> command = new ArrayList<>(List.of(SHELL, "-c", exec, chromiumPath));
        command.addAll(arguments);
        return command;
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
