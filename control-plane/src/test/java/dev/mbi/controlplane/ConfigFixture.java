package dev.mbi.controlplane;

import dev.mbi.config.Env;
import java.util.HashMap;
import java.util.Map;

/** A control plane's configuration as it reads these settings, with the two it cannot start without. */
final class ConfigFixture {
    private ConfigFixture() {
    }

    static ControlPlaneConfig read(Map<String, String> values) {
        Map<String, String> env = new HashMap<>(values);
        env.putIfAbsent("RUNNER_JAR", "pom.xml");
        env.putIfAbsent("CONTROL_PLANE_TOKEN", dev.mbi.controlplane.testing.TestApi.TOKEN);
        return ControlPlaneConfig.from(new Env(env));
    }
}
