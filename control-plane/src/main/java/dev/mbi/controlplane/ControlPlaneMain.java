package dev.mbi.controlplane;

import dev.mbi.config.ServiceMain;

/** Entry point: starts the control plane and stops it, with every runner, on SIGTERM or Ctrl-C. */
public final class ControlPlaneMain {
    private ControlPlaneMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        ServiceMain.run("control-plane", ControlPlaneConfig::from, ControlPlane::start);
    }
}
