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

    /** The session's egress policy refused connections since its last report: counts by rule. */
    default void onEgressBlocked(SessionSnapshot session, Map<String, Long> byRule) {
    }
}
