package dev.mbi.edge;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The two private Docker engines the container tests use (scripts/docker-test-engines.sh): it
 * installs and starts them when needed and builds the runner image, so `mvn verify` alone works
 * on a fresh machine as root. `make test` stops them afterwards.
 */
final class DockerTestEngines {
    private static final Path SCRIPT = Path.of("../scripts/docker-test-engines.sh");

    /**
     * One engine: its name, its DOCKER_HOST, the gateway address its containers reach this machine
     * at, and the subnet of its runner network (both engines share this machine's routes).
     */
    record Engine(String name, String dockerHost, String gateway, String runnerSubnet) {
        /** Its DOCKER_HOSTS entry. */
        String hostEntry() {
            return name + "=" + dockerHost + ";subnet=" + runnerSubnet;
        }

        /**
         * A control plane's settings that start its runners in containers here, dialing back to its
         * runners' port on this engine's gateway, labelled with its id.
         */
        java.util.Map<String, String> launcherEnv(int grpcPort, String controlPlaneId) {
            return java.util.Map.of(
                    "GRPC_PORT", Integer.toString(grpcPort),
                    "RUNNER_LAUNCHER", "docker",
                    "DOCKER_HOSTS", hostEntry(),
                    "RUNNER_CONTROL_PLANE_ADDR", gateway + ":" + grpcPort,
                    "CONTROL_PLANE_ID", controlPlaneId);
        }

        /** The same on a free gRPC port, with the test's own settings on top. */
        java.util.Map<String, String> launcherEnv(String controlPlaneId, java.util.Map<String, String> more) throws IOException {
            java.util.Map<String, String> all = new java.util.HashMap<>(launcherEnv(freePort(), controlPlaneId));
            all.putAll(more);
            return java.util.Map.copyOf(all);
        }

        /** A stack with these settings whose test site is on this engine's gateway (an address of this machine the containers reach). */
        StackConfig stackConfig(java.util.Map<String, String> env) {
            return StackConfig.of(env).siteOn(gateway);
        }

        DockerClient client() {
            var config = DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(dockerHost)
                    .withDockerTlsVerify(false).build();
            return DockerClientImpl.getInstance(config, new ApacheDockerHttpClient.Builder()
                    .dockerHost(config.getDockerHost()).responseTimeout(Duration.ofSeconds(60)).build());
        }
    }

    private DockerTestEngines() {
    }

    /**
     * A control plane's settings for a Docker fleet of both engines: engine a's runners dial its
     * gateway, engine b's their own (`;controlPlaneAddr=`), on a fresh gRPC port.
     *
     * @param extraHosts more DOCKER_HOSTS entries after a and b (e.g. an engine that does not exist), or ""
     */
    static java.util.Map<String, String> fleetEnv(List<Engine> engines, String extraHosts) throws IOException {
        Engine a = engines.get(0);
        Engine b = engines.get(1);
        int grpcPort = freePort();
        java.util.Map<String, String> env = new java.util.HashMap<>();
        env.put("GRPC_PORT", Integer.toString(grpcPort));
        env.put("RUNNER_LAUNCHER", "docker");
        env.put("DOCKER_HOSTS", a.hostEntry() + ", " + b.hostEntry() + ";controlPlaneAddr=" + b.gateway() + ":" + grpcPort
                + (extraHosts.isEmpty() ? "" : ", " + extraHosts));
        env.put("RUNNER_CONTROL_PLANE_ADDR", a.gateway() + ":" + grpcPort);
        return env;
    }

    /** Both engines, running, with the current runner image. */
    static List<Engine> up() throws IOException, InterruptedException {
        List<Engine> engines = new ArrayList<>();
        for (String line : run("up").lines().toList()) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 4) {
                engines.add(new Engine(f[0], f[1], f[2], f[3]));
            }
        }
        if (engines.size() != 2) {
            throw new IllegalStateException("scripts/docker-test-engines.sh up did not report two engines");
        }
        long start = System.nanoTime();
        run("images");
        System.out.println("runner image ready on both engines in " + (System.nanoTime() - start) / 1_000_000 + " ms");
        return engines;
    }

    private static String run(String command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("bash", SCRIPT.toString(), command)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(40, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException(SCRIPT + " " + command + " failed (exit " + p.exitValue()
                    + "); it needs root and the Debian mirror the first time");
        }
        return out;
    }

    /** A port free now, for a control plane whose runners must be told where to dial before it starts. */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Runner containers (running or not) of one session, found by their label. */
    static List<Container> containersOf(DockerClient docker, String sessionId) {
        return docker.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of("dev.mbi.session", sessionId)).exec();
    }

    /** The last lines a container printed, for failure messages. */
    static String logs(DockerClient docker, String containerId) throws InterruptedException {
        StringBuilder out = new StringBuilder();
        docker.logContainerCmd(containerId).withStdOut(true).withStdErr(true).withTail(60).exec(new ResultCallback.Adapter<Frame>() {
            @Override
            public void onNext(Frame frame) {
                out.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
            }
        }).awaitCompletion(10, TimeUnit.SECONDS);
        return out.toString();
    }

    /** Runs a command in a container and returns what it printed (stdout and stderr). */
    static String exec(DockerClient docker, String containerId, String... command) throws InterruptedException {
        String execId = docker.execCreateCmd(containerId).withCmd(command).withAttachStdout(true).withAttachStderr(true)
                .exec().getId();
        StringBuilder out = new StringBuilder();
        docker.execStartCmd(execId).exec(new ResultCallback.Adapter<Frame>() {
            @Override
            public void onNext(Frame frame) {
                out.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
            }
        }).awaitCompletion(30, TimeUnit.SECONDS);
        return out.toString();
    }
}
