package dev.mbi.runner;

import dev.mbi.contract.RunnerContract;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The page's sound. Each session has a PulseAudio server of its own, listening only on the socket
 * its launcher named in {@value RunnerContract#SOUND_SERVER}, with one null sink: Chromium plays
 * into it, nothing is played on the host, and no other session shares the server. The sink's
 * monitor is the server's default source, which libwebrtc in this JVM records (it finds the
 * server through the same variable) and sends to WebRTC viewers as Opus.
 */
final class PageAudio implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PageAudio.class.getName());
    private static final String SINK = "page";
    /** PulseAudio is up in tens of milliseconds; a server not listening after this is given up on. */
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(3);
    private static volatile boolean missingLogged;

    private final Path socket;
    private final Process server;

    private PageAudio(Path socket, Process server) {
        this.socket = socket;
        this.server = server;
    }

    /**
     * Starts the session's sound server on its own socket, {@code socket} (the contract's), in a
     * folder this creates. Empty (and said in the log) where the launcher's {@code address} does
     * not name that socket (a runner started by hand inherits a desktop's server, which is never
     * touched), PulseAudio is not installed, or it does not come up: the session then runs silent.
     *
     * @param address the runner's own {@value RunnerContract#SOUND_SERVER}, as libwebrtc in this JVM will read it
     * @param setpriv when present, the server dies with the runner even if the runner is killed
     */
    static Optional<PageAudio> start(String sessionId, Path socket, String address, Optional<Path> setpriv) {
        Optional<Path> pulseaudio = onPath("pulseaudio");
        if (!("unix:" + socket).equals(address) || pulseaudio.isEmpty()) {
            if (!missingLogged) {
                missingLogged = true;
                LOG.info(pulseaudio.isEmpty()
                        ? "pages play no sound: PulseAudio is not installed (apt-get install pulseaudio)"
                        : "pages play no sound: the launcher did not set " + RunnerContract.SOUND_SERVER + "=unix:" + socket);
            }
            return Optional.empty();
        }
        Path dir = socket.getParent();
        try {
            // A folder of its own, new: nothing that was there before is used or, later, deleted.
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            LOG.warning("session " + sessionId + ": no sound: its folder " + dir + " cannot be made (" + e + ")");
            return Optional.empty();
        }
        List<String> command = new ArrayList<>();
        setpriv.ifPresent(p -> command.addAll(List.of(p.toString(), "--pdeathsig", "KILL", "--")));
        command.addAll(List.of(pulseaudio.get().toString(), "--daemonize=no", "-n", "--use-pid-file=no",
                "--system=false", "--exit-idle-time=-1", "--disable-shm=yes", "--realtime=no", "--high-priority=no",
                "--log-target=stderr",
                "--load=module-native-protocol-unix socket=\"" + socket + "\" auth-anonymous=1",
                "--load=module-null-sink sink_name=" + SINK + " rate=48000 channels=2 format=s16le"));
        Path log = dir.resolve("pulseaudio.log");
        Process server;
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            Map<String, String> env = builder.environment();
            // Everything the server writes stays in the session's folder, never in a shared home.
            env.put("HOME", dir.toString());
            env.put("XDG_CONFIG_HOME", dir.resolve("config").toString());
            env.put("PULSE_RUNTIME_PATH", dir.resolve("runtime").toString());
            env.put("PULSE_STATE_PATH", dir.resolve("state").toString());
            env.remove("DBUS_SESSION_BUS_ADDRESS");
            env.remove(RunnerContract.SOUND_SERVER);
            server = builder.start();
        } catch (IOException e) {
            LOG.warning("session " + sessionId + ": no sound: PulseAudio did not start: " + e.getMessage());
            ChromiumProcesses.removeFolder(dir);
            return Optional.empty();
        }
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (!Files.exists(socket)) {
            if (!server.isAlive() || System.nanoTime() > deadline || !pause()) {
                server.destroyForcibly();
                LOG.warning("session " + sessionId + ": no sound: PulseAudio did not come up; its output ends with: "
                        + tail(log));
                ChromiumProcesses.removeFolder(dir);
                return Optional.empty();
            }
        }
        return Optional.of(new PageAudio(socket, server));
    }

    /** What Chromium's environment needs to play into this server. */
    Map<String, String> clientEnvironment() {
        return Map.of(RunnerContract.SOUND_SERVER, "unix:" + socket);
    }

    @Override
    public void close() {
        server.destroy();
        try {
            if (!server.waitFor(1, java.util.concurrent.TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        } catch (InterruptedException e) {
            server.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        // The folder start() created for this session, and only that.
        ChromiumProcesses.removeFolder(socket.getParent());
    }

    private static Optional<Path> onPath(String program) {
        String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    private static String tail(Path log) {
        try {
            String all = Files.readString(log).strip();
            return all.length() <= 600 ? all : "..." + all.substring(all.length() - 600);
        } catch (IOException e) {
            return "(no output)";
        }
    }

    private static boolean pause() {
        try {
            Thread.sleep(5);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
