package dev.mbi.controlplane.core;

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
}
