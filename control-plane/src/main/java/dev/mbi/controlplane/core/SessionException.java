package dev.mbi.controlplane.core;

/** A request the session rules refuse. The transport maps each reason to one status code. */
public final class SessionException extends Exception {
    public enum Reason {
        /** No such session (never existed, or ended long enough ago to be forgotten). */
        NOT_FOUND,
        /** MAX_SESSIONS sessions are live. */
        LIMIT_REACHED,
        /** The request itself is wrong (e.g. a URL that is not http or https). */
        INVALID,
        /** A runner presented a token that is not this session's, or used it twice. */
        REJECTED,
        /** The session exists but cannot do this in its current state. */
        NOT_READY,
        /** The session's runner did not or could not answer in time. */
        RUNNER_UNREACHABLE
    }

    private final Reason reason;

    public SessionException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    static SessionException notFound() {
        return new SessionException(Reason.NOT_FOUND, "session not found");
    }
}
