package dev.mbi.controlplane.launch;

import dev.mbi.contract.RunnerContract;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.logging.Logger;

/**
 * Runs each runner as a child process of the control plane (java -jar runner.jar). The process
 * gets the session's settings in its environment; its logs go to the control plane's console.
 */
public final class ProcessRunnerLauncher implements RunnerLauncher {
    private static final Logger LOG = Logger.getLogger(ProcessRunnerLauncher.class.getName());
    /** A runner told to shut down gets this long to close Chromium and exit by itself. */
    private static final long GRACE_MS = 1_000;
    /**
     * Small heap, metaspace and code cache, and the quick JIT only: the runner moves bytes (JPEG
     * decoding and colour conversion are native), Chromium does the heavy work. Measured with
     * {@code make bench}: a runner with a WebRTC viewer went from ~255 to ~180 MiB resident.
     * The heap may grow to 384 MiB only for automation clients' large DevTools messages (a
     * full-page screenshot is tens of MiB as JSON, held a few times over while it is relayed); it
     * starts at 8 MiB (else the JVM starts at a 64th of the machine's memory, and the young
     * generation a WebRTC viewer's frames churn through is sized from that: ~20 MiB more resident
     * here), and the serial collector keeps an idle runner's heap small. The C library keeps the
     * memory of freed native allocations (the JIT's, gRPC's) unless told: it is given back every
     * second. Those two: 90 instead of 98 MiB resident with a WebSocket viewer. The same flags are
     * in the runner image's entry point and its AOT cache's training run.
     */
    public static final List<String> JVM_FLAGS = List.of(
            "-XX:+UseSerialGC", "-Xms8m", "-Xmx384m", "-Xss512k", "-XX:MaxMetaspaceSize=64m", "-XX:ReservedCodeCacheSize=32m",
            "-XX:TieredStopAtLevel=1", "-XX:MaxDirectMemorySize=64m", "-XX:-UsePerfData", "-XX:TrimNativeHeapInterval=1000",
            "--enable-native-access=ALL-UNNAMED");

    private static final Path SETSID = Path.of("/usr/bin/setsid");
    private final Path runnerJar;
    private final List<String> javaOptions;
    private final String javaCommand;
    private final Set<Process> running = ConcurrentHashMap.newKeySet();
    private final Executor work;

    /**
     * @param javaOptions the operator's JVM options for runners (RUNNER_JAVA_OPTIONS), after the launcher's own
     * @param work        runs the waits of stopping runners and reading Xvfb's display number
     */
    public ProcessRunnerLauncher(Path runnerJar, List<String> javaOptions, Executor work) {
        this.runnerJar = runnerJar.toAbsolutePath().normalize();
        this.work = work;
        this.javaCommand = ProcessHandle.current().info().command().orElse("java");
        List<String> options = new ArrayList<>(aotCache(this.runnerJar, Runtime.version().feature()).stream()
                .map(cache -> "-XX:AOTCache=" + cache).toList());
        options.addAll(javaOptions);
        this.javaOptions = List.copyOf(options);
    }

    /** The runner's ahead-of-time cache, made by {@code make runner-aot} beside its jar. */
    static final String AOT_CACHE = "runner.aot";

    /**
     * The runner's ahead-of-time cache, where one is usable: JDK 25 or later (the control plane's
     * JVM starts the runners), and made from this very jar (a cache older than the jar would be
     * refused by the JVM, with a warning, at every start).
     */
    static java.util.Optional<Path> aotCache(Path runnerJar, int javaFeature) {
        Path cache = runnerJar.resolveSibling(AOT_CACHE);
        try {
            if (javaFeature < 25 || !java.nio.file.Files.isRegularFile(cache)) {
                return java.util.Optional.empty();
            }
            if (java.nio.file.Files.getLastModifiedTime(cache).compareTo(java.nio.file.Files.getLastModifiedTime(runnerJar)) < 0) {
                LOG.warning(cache + " is older than " + runnerJar + ": runners start without it (make runner-aot renews it)");
                return java.util.Optional.empty();
            }
            LOG.info("runners start from the ahead-of-time cache " + cache);
            return java.util.Optional.of(cache);
        } catch (IOException e) {
            return java.util.Optional.empty();
        }
    }

    @Override
    public RunnerHandle launch(RunnerSpec spec) throws LaunchException {
        List<String> command = new ArrayList<>();
        // In a process group of its own: a signal to the control plane's group (Ctrl-C, a service
        // manager's stop) does not reach it, so it outlives a restart and dials the next control
        // plane. It never outlives its reconnect window.
        if (java.nio.file.Files.isExecutable(SETSID)) {
            command.add(SETSID.toString());
        }
        command.add(javaCommand);
        command.addAll(JVM_FLAGS);
        command.addAll(javaOptions);
        command.add("-jar");
        command.add(runnerJar.toString());
        ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
        RunnerContract contract = spec.contract();
        Display display = null;
        if (contract.settings().capture() == RunnerContract.Capture.DESKTOP) {
            display = startDisplay(contract);
            contract = contract.onDisplay(":" + display.displayNumber());
        }
        runnerEnvironment(builder.environment(), contract);
        if (display != null) {
            // The runner may outlive this control plane (it dials the next one): it ends its display itself.
            builder.environment().put(RunnerContract.DISPLAY_SERVER_PID, String.valueOf(display.process().pid()));
        }
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            if (display != null) {
                display.process().destroyForcibly();
            }
            throw new LaunchException("cannot start the runner process (" + javaCommand + " -jar " + runnerJar
                    + "): " + e.getMessage(), e);
        }
        running.add(process);
        Display ownDisplay = display;
        Path soundFolder = contract.soundSocket().getParent();
        process.onExit().thenRun(() -> {
            running.remove(process);
            if (ownDisplay != null) {
                ownDisplay.process().destroy();
            }
            // The runner removes its sound server's folder itself; one that was killed cannot.
            deleteQuietly(soundFolder);
        });
        LOG.fine(() -> "session " + spec.sessionId() + ": runner process " + process.pid() + " started");
        return new ProcessHandleImpl(process, work);
    }

    /** Removes a folder and what is in it, as far as it can (what is left is in the host's temporary folder). */
    static void deleteQuietly(Path folder) {
        if (!java.nio.file.Files.isDirectory(folder, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (java.util.stream.Stream<Path> all = java.nio.file.Files.walk(folder)) {
            all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    java.nio.file.Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.fine(() -> "cannot remove " + p + ": " + e);
                }
            });
        } catch (IOException | java.io.UncheckedIOException e) {
            LOG.fine(() -> "cannot remove " + folder + ": " + e);
        }
    }

    /**
     * The control plane's own secrets, which a runner (and the page in its Chromium) must never
     * see in the environment it inherits.
     */
    static final Set<String> NOT_INHERITED = Set.of(
            "CONTROL_PLANE_TOKEN", "CONTROL_PLANE_TOKEN_FILE", "TURN_SECRET", "TURN_CREDENTIAL",
            "GRPC_TLS_KEY", "RUNNER_TLS_KEY");

    /** A runner's environment: the control plane's, without its secrets, and the runner's contract. */
    static void runnerEnvironment(java.util.Map<String, String> inherited, RunnerContract contract) {
        inherited.keySet().removeAll(NOT_INHERITED);
        inherited.putAll(contract.toEnvironment());
    }

    /** An X display of the runner's own (Xvfb), for headful Chromium captured by libwebrtc. */
    private record Display(java.lang.Process process, int displayNumber) {
    }

    /** Starts Xvfb on a free display; -displayfd makes it pick one and say which once it accepts clients. */
    private Display startDisplay(RunnerContract contract) throws LaunchException {
        RunnerContract.Viewport viewport = contract.settings().viewport();
        String size = viewport.width() + "x" + viewport.height() + "x24";
        java.lang.Process xvfb;
        try {
            xvfb = new ProcessBuilder("Xvfb", "-displayfd", "1", "-screen", "0", size, "-nolisten", "tcp")
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (IOException e) {
            throw new LaunchException(RunnerContract.CAPTURE + "=" + RunnerContract.Capture.DESKTOP.value()
                    + " needs Xvfb: install Debian's xvfb package (" + e.getMessage() + ")", e);
        }
        java.util.concurrent.CompletableFuture<String> line = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new java.io.BufferedReader(new java.io.InputStreamReader(xvfb.getInputStream())).readLine();
            } catch (IOException e) {
                return null;
            }
        }, work);
        try {
            String number = line.get(10, TimeUnit.SECONDS);
            if (number == null || !number.trim().matches("\\d+")) {
                throw new IllegalStateException("Xvfb said " + number);
            }
            running.add(xvfb);
            xvfb.onExit().thenRun(() -> running.remove(xvfb));
            return new Display(xvfb, Integer.parseInt(number.trim()));
        } catch (Exception e) {
            xvfb.destroyForcibly();
            throw new LaunchException("Xvfb did not start for session " + contract.sessionId() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        for (Process p : List.copyOf(running)) {
            kill(p);
        }
    }

    /** Ends a runner and every process under it (its Chromium included). */
    static void kill(Process process) {
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        process.destroy();
        try {
            if (!process.waitFor(300, TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        tree.forEach(ProcessHandle::destroyForcibly);
    }

    private record ProcessHandleImpl(Process process, Executor work) implements RunnerHandle {
        @Override
        public String host() {
            return "local";
        }

        @Override
        public void stop() {
            work.execute(() -> {
                try {
                    if (process.waitFor(GRACE_MS, TimeUnit.MILLISECONDS)) {
                        return;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                kill(process);
            });
        }

        @Override
        public void onExit(IntConsumer exitCode) {
            process.onExit().thenAccept(p -> exitCode.accept(p.exitValue()));
        }
    }
}
