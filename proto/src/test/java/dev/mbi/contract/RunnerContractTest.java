package dev.mbi.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.config.Env;
import dev.mbi.contract.RunnerContract.Capture;
import dev.mbi.contract.RunnerContract.Settings;
import dev.mbi.contract.RunnerContract.Viewport;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The runner contract: its wire names, the round trip through the environment, labels and bad values. */
class RunnerContractTest {
    private static final Settings CUSTOM = new Settings("/opt/chromium/chrome", List.of("--lang=fr", "--disable-webgl"),
            Capture.DESKTOP, new Viewport(1920, 1080), 85, "debug", 2,
            Optional.of(Path.of("/tmp")), Optional.of(Path.of("/tmp")), Optional.of(":42"),
            new dev.mbi.egress.EgressSettings(true, List.of(dev.mbi.egress.Cidr.parse("10.1.0.0/16")), List.of(),
                    List.of(), List.of(dev.mbi.egress.HostPattern.parse("*.ads.example")), Optional.empty()));

    private static RunnerContract contract(Settings settings) {
        return new RunnerContract("s-1", "t0ken", "control-plane:50051", settings);
    }

    private static RunnerContract read(Map<String, String> values) {
        return RunnerContract.from(new Env(values));
    }

    @Test
    void theEnvironmentSpellsEveryVariableAsRunnersAndDeploymentFilesExpect() {
        assertEquals(Map.ofEntries(
                Map.entry("SESSION_ID", "s-1"),
                Map.entry("JOIN_TOKEN", "t0ken"),
                Map.entry("CONTROL_PLANE_ADDR", "control-plane:50051"),
                Map.entry("CHROMIUM_PATH", "/opt/chromium/chrome"),
                Map.entry("RUNNER_CHROME_FLAGS", "--lang=fr --disable-webgl"),
                Map.entry("RUNNER_CAPTURE", "desktop"),
                Map.entry("VIEWPORT_WIDTH", "1920"),
                Map.entry("VIEWPORT_HEIGHT", "1080"),
                Map.entry("RUNNER_JPEG_QUALITY", "85"),
                Map.entry("LOG_LEVEL", "debug"),
                Map.entry("MAX_PEERS_PER_SESSION", "2"),
                Map.entry("RUNNER_WORK_DIR", "/tmp"),
                Map.entry("HOME", "/tmp"),
                Map.entry("DISPLAY", ":42"),
                // The session's own sound server, in its writable folder.
                Map.entry("PULSE_SERVER", "unix:/tmp/mbi-sound-s-1/native"),
                Map.entry("EGRESS_ALLOW_PRIVATE", "true"),
                Map.entry("EGRESS_ALLOW_CIDRS", "10.1.0.0/16"),
                Map.entry("EGRESS_DENY_HOSTS", "*.ads.example")), contract(CUSTOM).toEnvironment());
    }

    @Test
    void howARunnerDialsTheControlPlaneOverTlsTravelsAsPemTextAndNeverPrintsTheKey() {
        Settings mutual = Settings.defaults().dialingWith(ControlPlaneTls.tls("CA PEM", "CERT PEM", "KEY PEM"));
        Map<String, String> env = contract(mutual).toEnvironment();
        assertEquals("true", env.get("CONTROL_PLANE_TLS"));
        assertEquals("CA PEM", env.get("CONTROL_PLANE_TLS_CA_PEM"));
        assertEquals("CERT PEM", env.get("CONTROL_PLANE_TLS_CERT_PEM"));
        assertEquals("KEY PEM", env.get("CONTROL_PLANE_TLS_KEY_PEM"));
        assertEquals(contract(mutual), RunnerContract.from(new Env(env)));
        Settings systemCas = Settings.defaults().dialingWith(ControlPlaneTls.tls("", "", ""));
        assertEquals(contract(systemCas), RunnerContract.from(new Env(contract(systemCas).toEnvironment())));
        assertTrue(!contract(mutual).toString().contains("KEY PEM"), contract(mutual).toString());
        assertTrue(!contract(Settings.defaults()).toEnvironment().containsKey("CONTROL_PLANE_TLS"));

        Map<String, String> halfMutual = new HashMap<>(env);
        halfMutual.remove("CONTROL_PLANE_TLS_KEY_PEM");
        String m = assertThrows(IllegalArgumentException.class, () -> read(halfMutual)).getMessage();
        assertTrue(m.contains("CONTROL_PLANE_TLS_CERT_PEM and CONTROL_PLANE_TLS_KEY_PEM go together"), m);
    }

    @Test
    void aContractSurvivesTheTripThroughTheEnvironment() {
        for (Settings settings : List.of(CUSTOM, Settings.defaults(), Settings.defaults().inWritableDir(Path.of("/work")))) {
            RunnerContract sent = contract(settings);
            assertEquals(sent, RunnerContract.from(new Env(sent.toEnvironment())), settings.toString());
        }
    }

    @Test
    void unsetSettingsAreLeftOutAndReadBackAsDefaults() {
        Map<String, String> env = contract(Settings.defaults()).toEnvironment();
        assertTrue(!env.containsKey("RUNNER_WORK_DIR") && !env.containsKey("HOME") && !env.containsKey("DISPLAY"), env.toString());
        assertEquals("", env.get("RUNNER_CHROME_FLAGS"));
        assertEquals("screencast", env.get("RUNNER_CAPTURE"));

        RunnerContract minimal = read(Map.of("SESSION_ID", "s-1", "JOIN_TOKEN", "t0ken", "CONTROL_PLANE_ADDR", "control-plane:50051"));
        assertEquals(contract(Settings.defaults()), minimal);
        assertEquals("/usr/bin/chromium", minimal.settings().chromiumPath());
        assertEquals(new Viewport(1280, 720), minimal.settings().viewport());
        assertEquals(70, minimal.settings().jpegQuality());
        assertEquals(4, minimal.settings().maxPeersPerSession());
    }

    @Test
    void launchersAdjustWhereTheRunnerDialsWritesAndShows() {
        RunnerContract c = contract(Settings.defaults()).dialing("10.0.0.1:50051").inWritableDir(Path.of("/tmp")).onDisplay(":7");
        assertEquals("10.0.0.1:50051", c.controlPlaneAddr());
        assertEquals(Optional.of(Path.of("/tmp")), c.settings().workDir());
        assertEquals(Optional.of(Path.of("/tmp")), c.settings().home());
        assertEquals(Optional.of(":7"), c.settings().display());
        assertEquals("s-1", c.sessionId());
    }

    @Test
    void labelsNameTheOwnerTheSessionAndTheHost() {
        RunnerContract c = contract(Settings.defaults());
        assertEquals(Map.of("dev.mbi.role", "runner", "dev.mbi.control-plane", "cp"), RunnerContract.ownerLabels("cp"));
        assertEquals(Map.of("dev.mbi.role", "runner", "dev.mbi.control-plane", "cp", "dev.mbi.session", "s-1"), c.labels("cp"));
        assertEquals(Map.of("dev.mbi.role", "runner", "dev.mbi.control-plane", "cp", "dev.mbi.session", "s-1",
                "dev.mbi.runner-host", "gpu1"), c.labels("cp", "gpu1"));
        assertEquals("s-1", RunnerContract.sessionOf(c.labels("cp", "gpu1")));
        assertEquals("?", RunnerContract.sessionOf(RunnerContract.ownerLabels("cp")));
        assertEquals("?", RunnerContract.sessionOf(null));
    }

    @Test
    void aMissingIdentityIsReportedNamingTheVariables() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(Map.of()));
        String m = e.getMessage();
        assertTrue(m.startsWith("runner cannot start"), m);
        assertTrue(m.contains("CONTROL_PLANE_ADDR is not set"), m);
        assertTrue(m.contains("SESSION_ID and JOIN_TOKEN must be set"), m);
    }

    @Test
    void everyBadSettingIsReportedAtOnceWithWhatToDo() {
        Map<String, String> env = new HashMap<>(contract(Settings.defaults()).toEnvironment());
        env.put("RUNNER_JPEG_QUALITY", "5");
        env.put("RUNNER_CAPTURE", "video");
        env.put("VIEWPORT_WIDTH", "wide");
        env.put("RUNNER_CHROME_FLAGS", "--lang=fr --user-data-dir=/x");
        env.put("MAX_PEERS_PER_SESSION", "0");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(env));
        String m = e.getMessage();
        for (String expected : new String[] {
            "RUNNER_JPEG_QUALITY=5: must be between 10 and 100",
            "RUNNER_CAPTURE=video: use one of screencast, desktop",
            "VIEWPORT_WIDTH=wide: not a whole number",
            "RUNNER_CHROME_FLAGS contains --user-data-dir: the runner sets it itself",
            "MAX_PEERS_PER_SESSION=0: must be between 1 and 64"}) {
            assertTrue(m.contains(expected), "missing '" + expected + "' in:\n" + m);
        }
    }

    @Test
    void theHeadlessShellServesTheScreencastButNeverTheDesktopCapture() {
        Map<String, String> env = new HashMap<>(contract(Settings.defaults()).toEnvironment());
        env.put("CHROMIUM_PATH", "/usr/bin/chromium-headless-shell");
        assertEquals("/usr/bin/chromium-headless-shell", read(env).settings().chromiumPath());
        env.put("RUNNER_CAPTURE", "desktop");
        env.put("DISPLAY", ":3");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(env));
        assertTrue(e.getMessage().contains("CHROMIUM_PATH=/usr/bin/chromium-headless-shell is Chromium's headless shell, which"
                + " cannot show a window: RUNNER_CAPTURE=desktop needs Chromium itself (/usr/bin/chromium)"), e.getMessage());
        assertTrue(Settings.isHeadlessShell("/opt/chrome-headless-shell-linux64/chrome-headless-shell"));
        assertTrue(Settings.isHeadlessShell("/usr/lib/chromium/chromium-headless-shell"));
        assertFalse(Settings.isHeadlessShell("/usr/bin/chromium"));
        assertFalse(Settings.isHeadlessShell("/opt/headless-shell/chrome"));
    }

    @Test
    void desktopCaptureNeedsADisplay() {
        Map<String, String> env = new HashMap<>(contract(Settings.defaults()).toEnvironment());
        env.put("RUNNER_CAPTURE", "desktop");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(env));
        assertTrue(e.getMessage().contains("RUNNER_CAPTURE=desktop needs an X display in DISPLAY"), e.getMessage());
        env.put("DISPLAY", ":3");
        assertEquals(Capture.DESKTOP, read(env).settings().capture());
    }

    @Test
    void valuesThatCannotTravelAreRefusedWhenTheContractIsMade() {
        Settings d = Settings.defaults();
        assertThrows(IllegalArgumentException.class, () -> new Settings(d.chromiumPath(), List.of("--lang=fr de"),
                d.capture(), d.viewport(), d.jpegQuality(), d.logLevel(), d.maxPeersPerSession(), d.workDir(), d.home(), d.display(), d.egress()));
        assertThrows(IllegalArgumentException.class, () -> new Settings(d.chromiumPath(), d.chromeFlags(),
                d.capture(), d.viewport(), 101, d.logLevel(), d.maxPeersPerSession(), d.workDir(), d.home(), d.display(), d.egress()));
        assertThrows(IllegalArgumentException.class, () -> new Settings(d.chromiumPath(), d.chromeFlags(),
                d.capture(), d.viewport(), d.jpegQuality(), d.logLevel(), 0, d.workDir(), d.home(), d.display(), d.egress()));
        assertThrows(IllegalArgumentException.class, () -> new Viewport(100, 100));
        assertThrows(NullPointerException.class, () -> new RunnerContract(null, "t", "a:1", d));
    }
}
