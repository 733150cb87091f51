package dev.mbi.controlplane;

import dev.mbi.config.ServiceMain;

/**
 * Entry point: starts the control plane. SIGTERM or Ctrl-C stop it for a restart: sessions and
 * their runners go on, and the runners dial again until a control plane takes them back.
 */
public final class ControlPlaneMain {
    private ControlPlaneMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        ServiceMain.run("control-plane", ControlPlaneConfig::from, config -> {
            ControlPlane controlPlane = ControlPlane.start(config);
            return controlPlane::stopForRestart;
        });
    }
}
