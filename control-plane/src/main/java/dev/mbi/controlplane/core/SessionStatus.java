package dev.mbi.controlplane.core;

/** PENDING -> READY -> TERMINATED | ERROR; PENDING may end directly. */
public enum SessionStatus {
    PENDING, READY, TERMINATED, ERROR;

    public boolean ended() {
        return this == TERMINATED || this == ERROR;
    }
}
