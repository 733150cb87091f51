package dev.mbi.edge;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Per-caller token buckets for the costly calls (creating a session starts a Chromium; an offer
 * sets up a WebRTC peer): each caller may make {@code perMinute} of one kind in a burst, refilled
 * evenly over a minute. Over the limit a call is refused with 429 and how long to wait, and
 * counted. Buckets that have refilled are forgotten (a new one is the same), so callers that come
 * and go cost nothing.
 */
final class RateLimits implements AutoCloseable {
    /** One limited kind of call. */
    final class Limit {
        private final String route;
        private final long perMinute;
        private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

        private Limit(String route, long perMinute) {
            this.route = route;
            this.perMinute = perMinute;
        }

        /** Takes one call from this caller's bucket, or refuses it with 429 and Retry-After. */
        void take(String caller) throws ApiException {
            if (perMinute <= 0) {
                return;
            }
            Bucket bucket = buckets.computeIfAbsent(caller, k -> Bucket.builder()
                    .addLimit(Bandwidth.builder().capacity(perMinute).refillGreedy(perMinute, Duration.ofMinutes(1)).build())
                    .build());
            ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
            if (!probe.isConsumed()) {
                metrics.rateLimited(route);
                long seconds = Math.max(1, (probe.getNanosToWaitForRefill() + 999_999_999L) / 1_000_000_000L);
                throw new ApiException(429, "too many requests: at most " + perMinute + " " + route
                        + " calls a minute; try again in " + seconds + " s")
                        .header("Retry-After", Long.toString(seconds));
            }
        }

        private void forgetFull() {
            buckets.values().removeIf(b -> b.getAvailableTokens() >= perMinute);
        }
    }

    private final EdgeMetrics metrics;
    final Limit create;
    final Limit offer;
    /** DevTools connections (each attaches to a browser) and control handovers. */
    final Limit cdp;
    final Limit control;
    /** Downloads read and uploads sent. */
    final Limit transfer;
    private final ScheduledFuture<?> sweep;

    RateLimits(int createPerMinute, int offerPerMinute, EdgeMetrics metrics, ScheduledExecutorService timer) {
        this.metrics = metrics;
        this.create = new Limit("create", createPerMinute);
        this.offer = new Limit("offer", offerPerMinute);
        this.cdp = new Limit("cdp", Math.max(offerPerMinute, 60));
        this.control = new Limit("control", 120);
        this.transfer = new Limit("transfer", 120);
        this.sweep = timer.scheduleAtFixedRate(() -> {
            create.forgetFull();
            offer.forgetFull();
            cdp.forgetFull();
            control.forgetFull();
            transfer.forgetFull();
        }, 1, 1, TimeUnit.MINUTES);
    }

    @Override
    public void close() {
        sweep.cancel(false);
    }
}
