package dev.mbi.edge;

import dev.mbi.config.ServiceMain;

/** Entry point: starts the edge and stops it on SIGTERM or Ctrl-C. */
public final class EdgeMain {
    private EdgeMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        ServiceMain.run("edge", EdgeConfig::from, Edge::start);
    }
}
