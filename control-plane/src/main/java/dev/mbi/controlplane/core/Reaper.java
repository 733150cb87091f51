package dev.mbi.controlplane.core;

import java.time.Clock;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Ends ready sessions that nobody watched or touched for the idle timeout and pending sessions
 * whose runner never became ready, and forgets ended sessions after the retention period.
 */
final class Reaper {
    private final SessionRegistry.Settings settings;
    private final SessionStore store;
    private final Clock clock;
    private final LongSupplier nanoTime;
    private final RunnerLifecycle.Ending ending;

    Reaper(SessionRegistry.Settings settings, SessionStore store, Clock clock, LongSupplier nanoTime,
           RunnerLifecycle.Ending ending) {
        this.settings = settings;
        this.store = store;
        this.clock = clock;
        this.nanoTime = nanoTime;
        this.ending = ending;
    }

    void reap() {
        long now = nanoTime.getAsLong();
        for (Session s : store.all()) {
            Session.Idleness state = s.idleness(now);
            long ageNanos = now - s.createdNanos;
            switch (state.status()) {
                case TERMINATED, ERROR -> {
                    if (clock.instant().isAfter(state.endedAt().plus(settings.endedRetention()))) {
                        store.forget(s);
                    }
                }
                case PENDING -> {
                    if (ageNanos > settings.startTimeout().toNanos()) {
                        ending.end(s, SessionStatus.ERROR, "runner did not become ready within "
                                + settings.startTimeout().toSeconds() + " s", false);
                    }
                }
                case READY -> {
                    if (!state.watched() && state.idleNanos() > settings.idleTimeout().toNanos()) {
                        ending.end(s, SessionStatus.TERMINATED, "idle for " + Duration.ofNanos(state.idleNanos()).toSeconds()
                                + " s with no viewer and no input", false);
                    }
                }
            }
        }
    }
}
