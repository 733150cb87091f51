package dev.mbi.runner;

import dev.mbi.proto.v1.ControlHolder;

/**
 * Who may act on the session's page: viewers (human input, over the WebSocket stream or the
 * WebRTC DataChannel), automation clients (their Input.* calls, judged by {@link CdpPolicy}), or both.
 */
final class ControlGate {
    private volatile ControlHolder holder = ControlHolder.CONTROL_HOLDER_SHARED;

    /** Sets the holder (an unknown value counts as shared); true when it changed. */
    synchronized boolean set(ControlHolder newHolder) {
        ControlHolder known = newHolder == ControlHolder.UNRECOGNIZED ? ControlHolder.CONTROL_HOLDER_SHARED : newHolder;
        if (known == holder) {
            return false;
        }
        holder = known;
        return true;
    }

    ControlHolder holder() {
        return holder;
    }

    /** Viewers' input reaches the page unless an agent holds control. */
    boolean humanMayAct() {
        return holder != ControlHolder.CONTROL_HOLDER_AGENT;
    }
}
