package dev.mbi.relay;

import java.time.Instant;

/** Wall-clock time in microseconds since the epoch: the unit of the times a frame carries on its way. */
public final class UnixMicros {
    private UnixMicros() {
    }

    public static long now() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
    }
}
