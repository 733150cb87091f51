package dev.mbi.controlplane.core;

import dev.mbi.proto.v1.Frame;

/**
 * One client watching one session. Calls must not block: a slow viewer keeps only the newest
 * frame and loses the ones in between, never holding up the runner or other viewers.
 */
public interface Viewer {
    void frame(Frame frame);

    void status(SessionSnapshot session);

    /** An input event of this viewer was refused and dropped (it never reached the runner), and why. */
    default void inputRefused(String reason) {
    }

    /** The session ended or the viewer was detached; no calls follow. */
    void end();
}
