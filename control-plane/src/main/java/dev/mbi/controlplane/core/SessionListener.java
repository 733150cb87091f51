package dev.mbi.controlplane.core;

import java.util.Map;

/** Lifecycle hooks for metrics and logs; called after the change, outside any lock. */
public interface SessionListener {
    default void onCreated(SessionSnapshot session) {
    }

    default void onReady(SessionSnapshot session) {
    }

    /**
     * @param launchFailed true when no runner could be started at all
     */
    default void onEnded(SessionSnapshot session, boolean launchFailed, double durationSeconds) {
    }

    /** A new session showed its first frame: how long after it was created (not for sessions taken back after a restart). */
    default void onStarted(SessionSnapshot session, java.time.Duration createToFirstFrame) {
    }

    /** The runner's latest report, as what is new since its previous one. */
    default void onFigures(SessionSnapshot session, RunnerFigures news) {
    }

    /** The session's data policy refused an action (e.g. "download"). */
    default void onBlocked(SessionSnapshot session, String action) {
    }

    /** The session's egress policy refused connections since its last report: counts by rule. */
    default void onEgressBlocked(SessionSnapshot session, Map<String, Long> byRule) {
    }
}
