package io.cohortflow.service.limits;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;
import java.time.Duration;
import java.util.OptionalLong;

/**
 * The spec's limits per workspace: requests a minute (a resilience4j {@link RateLimiter}) and
 * requests in flight (a {@link Bulkhead}). Neither waits: a request over a limit is refused at
 * once, with how long to wait before retrying.
 */
public final class WorkspaceLimits {
    private final RateLimiterRegistry rates;
    private final BulkheadRegistry bulkheads;

    public WorkspaceLimits(int requestsPerMinute, int concurrent) {
        this(requestsPerMinute, Duration.ofMinutes(1), concurrent);
    }

    public WorkspaceLimits(int permitsPerPeriod, Duration period, int concurrent) {
        rates =
                RateLimiterRegistry.of(
                        RateLimiterConfig.custom()
                                .limitForPeriod(permitsPerPeriod)
                                .limitRefreshPeriod(period)
                                .timeoutDuration(Duration.ZERO)
                                .build());
        bulkheads =
                BulkheadRegistry.of(
                        BulkheadConfig.custom()
                                .maxConcurrentCalls(concurrent)
                                .maxWaitDuration(Duration.ZERO)
                                .build());
    }

    /**
     * Takes one request permit of {@code workspace}.
     *
     * @return empty when allowed, else the seconds to wait before a retry can succeed
     */
    public OptionalLong tryRequest(String workspace) {
        RateLimiter rl = rates.rateLimiter(workspace);
        if (rl.acquirePermission()) {
            return OptionalLong.empty();
        }
        // The default implementation knows when the next permit frees up; Retry-After says so.
        long nanos =
                rl instanceof AtomicRateLimiter a
                        ? a.getDetailedMetrics().getNanosToWait()
                        : rl.getRateLimiterConfig().getLimitRefreshPeriod().toNanos();
        return OptionalLong.of(Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L));
    }

    /** Takes one in-flight slot; the caller must {@link #release} it when the response is done. */
    public boolean tryEnter(String workspace) {
        return bulkheads.bulkhead(workspace).tryAcquirePermission();
    }

    public void release(String workspace) {
        bulkheads.bulkhead(workspace).onComplete();
    }
}
