package dev.mbi.controlplane.core;

import dev.mbi.proto.v1.LimitReason;

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
        RUNNER_UNREACHABLE,
        /**
         * Not known yet: the control plane started a moment ago and its runners are still dialing
         * back; the session may be there shortly (try again).
         */
        RETURNING,
        /** The session's policy does not allow it. */
        FORBIDDEN
    }

    private final Reason reason;
    private final LimitReason limit;

    public SessionException(Reason reason, String message) {
        this(reason, LimitReason.LIMIT_REASON_UNSPECIFIED, message);
    }

    private SessionException(Reason reason, LimitReason limit, String message) {
        super(message, null, false, false);
        this.reason = reason;
        this.limit = limit;
    }

    /** A limit was reached; the limit travels as a typed reason, so that callers never read the message. */
    public static SessionException limitReached(LimitReason limit, String message) {
        return new SessionException(Reason.LIMIT_REACHED, limit, message);
    }

    public Reason reason() {
        return reason;
    }

    /** Which limit, for LIMIT_REACHED; LIMIT_REASON_UNSPECIFIED otherwise. */
    public LimitReason limit() {
        return limit;
    }

    static SessionException notFound() {
        return new SessionException(Reason.NOT_FOUND, "session not found");
    }
}
