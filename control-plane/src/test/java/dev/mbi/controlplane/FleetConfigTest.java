package dev.mbi.controlplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.contract.RunnerContract;
import dev.mbi.controlplane.launch.FleetConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The container launchers' and runners' settings: defaults, DOCKER_HOSTS, and one message per bad value. */
class FleetConfigTest {
    private static ControlPlaneConfig read(Map<String, String> values) {
        return ConfigFixture.read(values);
    }

    @Test
    void dockerDefaultsAreHardenedAndUseTheLocalEngine() {
        ControlPlaneConfig config = read(Map.of("RUNNER_LAUNCHER", "docker", "RUNNER_CONTROL_PLANE_ADDR", "172.17.0.1:50051"));
        FleetConfig fleet = config.fleet();
        assertEquals(ControlPlaneConfig.LauncherKind.DOCKER, config.launcher());
        assertEquals("mbi/runner:dev", fleet.image());
        assertEquals(1L << 30, fleet.memoryBytes());
        assertEquals(256L << 20, fleet.shmBytes());
        assertEquals("10001:10001", fleet.user());
        assertEquals(1, fleet.dockerHosts().size());
        assertEquals("local", fleet.dockerHosts().getFirst().name());
        assertEquals("unix:///var/run/docker.sock", fleet.dockerHosts().getFirst().endpoint().toString());
    }

    @Test
    void dockerHostsCarryTheirOwnTlsCapacityAddressAndNetwork(@TempDir Path tls) throws Exception {
        for (String f : new String[] {"ca.pem", "cert.pem", "key.pem"}) {
            Files.writeString(tls.resolve(f), "x");
        }
        FleetConfig fleet = read(Map.of("RUNNER_LAUNCHER", "docker",
                "DOCKER_HOSTS", "a=unix:///run/a.sock, b=tcp://10.0.0.5:2376;tls=" + tls + ";capacity=40;controlPlaneAddr=10.0.0.1:50051;network=bridge;subnet=10.9.0.0/24",
                "RUNNER_SUBNET", "10.213.0.0/24",
                "RUNNER_CONTROL_PLANE_ADDR", "10.213.1.1:50051",
                "RUNNER_MEMORY", "1.5g", "RUNNER_CPUS", "0.5", "RUNNER_HOST_CAPACITY", "3")).fleet();
        assertEquals(2, fleet.dockerHosts().size());
        FleetConfig.DockerHost b = fleet.dockerHosts().get(1);
        assertEquals(Optional.of(tls), b.tlsDir());
        assertEquals(40, b.capacity().getAsInt());
        assertEquals(Optional.of("10.0.0.1:50051"), b.controlPlaneAddr());
        assertEquals(Optional.of("bridge"), b.network());
        assertEquals(Optional.of("10.9.0.0/24"), b.subnet());
        assertEquals(Optional.of("10.213.0.0/24"), fleet.subnet());
        assertTrue(fleet.dockerHosts().getFirst().capacity().isEmpty());
        assertEquals(3, fleet.hostCapacity());
        assertEquals((long) (1.5 * (1L << 30)), fleet.memoryBytes());
        assertEquals(0.5, fleet.cpus());
    }

    @Test
    void everyBadValueIsNamedWithWhatToDo() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(Map.of(
                "RUNNER_LAUNCHER", "docker",
                "DOCKER_HOSTS", "a=unix:///a.sock, a=unix:///b.sock, plain=tcp://h:2375, bad, x=http://h;capacity=-1",
                "RUNNER_MEMORY", "lots",
                "RUNNER_CPUS", "0",
                "RUNNER_USER", "0",
                "RUNNER_SECCOMP_PROFILE", "unconfined",
                "RUNNER_NETWORK", "host",
                "RUNNER_SUBNET", "10.0.0.300/24",
                "RUNNER_FIREWALL", "maybe")));
        String m = e.getMessage();
        for (String expected : new String[] {
            "RUNNER_CONTROL_PLANE_ADDR is not set", "host names must be unique", "needs ;tls=DIR", "write name=endpoint",
            "must be unix:///path or tcp://host:port", "RUNNER_MEMORY=lots: not a size", "RUNNER_CPUS=0: must be between",
            "RUNNER_USER=0: give a numeric non-root uid", "RUNNER_SECCOMP_PROFILE=unconfined is refused",
            "RUNNER_NETWORK=host: runners need a bridge network", "RUNNER_SUBNET=10.0.0.300/24: give an IPv4 range",
            "RUNNER_FIREWALL=maybe: use on"}) {
            assertTrue(m.contains(expected), "missing '" + expected + "' in:\n" + m);
        }
    }

    @Test
    void kubernetesNeedsAnAddressTheRunnerPodsCanReach() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> read(Map.of("RUNNER_LAUNCHER", "kubernetes", "RUNNER_POD_SECCOMP", "unconfined")));
        assertTrue(e.getMessage().contains("RUNNER_CONTROL_PLANE_ADDR is not set"), e.getMessage());
        assertTrue(e.getMessage().contains("RUNNER_POD_SECCOMP=unconfined"), e.getMessage());
        FleetConfig fleet = read(Map.of("RUNNER_LAUNCHER", "kubernetes",
                "RUNNER_CONTROL_PLANE_ADDR", "control-plane.mbi:50051", "RUNNER_NAMESPACE", "browsers")).fleet();
        assertEquals("browsers", fleet.namespace());
        assertEquals("runtime/default", fleet.podSeccompProfile());
    }

    @Test
    void runnersGetTheControlPlanesChoiceOfBrowserCaptureAndViewport() {
        assertEquals(RunnerContract.Settings.defaults(), read(Map.of()).runner());
        ControlPlaneConfig config = read(Map.of(
                "CHROMIUM_PATH", "/opt/chrome", "RUNNER_CHROME_FLAGS", " --lang=fr  --disable-webgl ", "RUNNER_CAPTURE", "Desktop",
                "VIEWPORT_WIDTH", "1920", "VIEWPORT_HEIGHT", "1080", "RUNNER_JPEG_QUALITY", "90", "LOG_LEVEL", "debug"));
        RunnerContract.Settings runner = config.runner();
        assertEquals("/opt/chrome", runner.chromiumPath());
        assertEquals(List.of("--lang=fr", "--disable-webgl"), runner.chromeFlags());
        assertEquals(RunnerContract.Capture.DESKTOP, runner.capture());
        assertEquals(new RunnerContract.Viewport(1920, 1080), runner.viewport());
        assertEquals(90, runner.jpegQuality());
        assertEquals("debug", config.logLevel());
        assertTrue(runner.workDir().isEmpty() && runner.home().isEmpty() && runner.display().isEmpty(),
                "where a runner writes and shows is its launcher's business");
    }

    @Test
    void badRunnerSettingsStopTheControlPlane() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(Map.of(
                "RUNNER_CHROME_FLAGS", "--remote-debugging-port=9222", "RUNNER_CAPTURE", "x11", "VIEWPORT_HEIGHT", "100")));
        String m = e.getMessage();
        for (String expected : new String[] {
            "control plane cannot start", "RUNNER_CHROME_FLAGS contains --remote-debugging: the runner sets it itself",
            "RUNNER_CAPTURE=x11: use one of screencast, desktop", "VIEWPORT_HEIGHT=100: must be between 240 and 2160"}) {
            assertTrue(m.contains(expected), "missing '" + expected + "' in:\n" + m);
        }
    }
}
