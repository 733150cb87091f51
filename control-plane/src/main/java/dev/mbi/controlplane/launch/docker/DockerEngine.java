package dev.mbi.controlplane.launch.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import dev.mbi.controlplane.fleet.RunnerHost;
import dev.mbi.controlplane.launch.FleetConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

/**
 * One Docker engine of the fleet and what the launcher knows of it: whether it answers, whether
 * it is drained, and which of its runner containers are alive.
 */
final class DockerEngine implements AutoCloseable {
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

    final FleetConfig.DockerHost config;
    final int capacity;
    /** Short calls: create, start, stop, list, ping. */
    final DockerClient calls;
    /** Calls that wait as long as a container runs (one per live runner). */
    final DockerClient waits;

    private final Set<String> containers = new HashSet<>();
    /** Sessions whose container is being created here: not orphans, although not known yet. */
    private final Set<String> launching = new HashSet<>();
    private boolean healthy;
    /** Its runner network and firewall are in place: set after each time it comes back. */
    private boolean prepared;
    private boolean drained;
    private String problem = "not checked yet";

    DockerEngine(FleetConfig.DockerHost config, int defaultCapacity) {
        this.config = config;
        this.capacity = config.capacity().orElse(defaultCapacity);
        DefaultDockerClientConfig.Builder b = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(config.endpoint().toString())
                .withDockerTlsVerify(config.tlsDir().isPresent());
        config.tlsDir().ifPresent(dir -> b.withDockerCertPath(dir.toString()));
        DockerClientConfig clientConfig = b.build();
        this.calls = client(clientConfig, CALL_TIMEOUT);
        this.waits = client(clientConfig, null);
    }

    private static DockerClient client(DockerClientConfig config, Duration responseTimeout) {
        ApacheDockerHttpClient.Builder http = new ApacheDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .sslConfig(config.getSSLConfig())
                .maxConnections(1_000)
                .connectionTimeout(Duration.ofSeconds(5));
        if (responseTimeout != null) {
            http.responseTimeout(responseTimeout);
        }
        return DockerClientImpl.getInstance(config, http.build());
    }

    String name() {
        return config.name();
    }

    /** Asks the engine whether it answers; returns true when it became healthy by this check. */
    boolean check() {
        String failure = null;
        try {
            calls.pingCmd().exec();
        } catch (RuntimeException e) {
            failure = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (failure.contains("Permission denied") && "unix".equals(config.endpoint().getScheme())) {
                failure = "permission denied on " + config.endpoint().getPath()
                        + ": run the control plane as root or in the socket's group (compose: DOCKER_GID)";
            }
        }
        synchronized (this) {
            boolean was = healthy;
            healthy = failure == null;
            problem = failure == null ? "" : failure;
            if (healthy && !was) {
                prepared = false;
            }
            return healthy && !was;
        }
    }

    synchronized void markUnhealthy(String why) {
        healthy = false;
        problem = why;
    }

    /** Its network and firewall are set up: it may take runners. */
    synchronized void prepared() {
        prepared = true;
    }

    synchronized void setDrained(boolean drained) {
        this.drained = drained;
    }

    /** Holds a place for a runner about to be created; false when the engine cannot take one now. */
    synchronized boolean reserve(String sessionId) {
        if (!healthy || !prepared || drained || containers.size() + launching.size() >= capacity) {
            return false;
        }
        launching.add(sessionId);
        return true;
    }

    /** Turns a reservation into a live container, or gives it back (id null) when creation failed. */
    synchronized void placed(String sessionId, String containerId) {
        launching.remove(sessionId);
        if (containerId != null) {
            containers.add(containerId);
        }
    }

    /** Takes a running container of an earlier control plane as this one's; false when it is known already. */
    synchronized boolean adopt(String containerId) {
        return containers.add(containerId);
    }

    synchronized void gone(String containerId) {
        containers.remove(containerId);
    }

    synchronized boolean knows(String containerId) {
        return containers.contains(containerId);
    }

    synchronized boolean launching(String sessionId) {
        return launching.contains(sessionId);
    }

    synchronized RunnerHost status() {
        return new RunnerHost(name(), config.endpoint().toString(), capacity, containers.size() + launching.size(),
                healthy && prepared, drained, healthy && !prepared ? "setting up its runner network" : problem);
    }

    @Override
    public void close() {
        try {
            calls.close();
            waits.close();
        } catch (IOException e) {
            // closing connections; nothing to do
        }
    }
}
