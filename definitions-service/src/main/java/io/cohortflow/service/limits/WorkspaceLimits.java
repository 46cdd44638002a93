package io.cohortflow.service.limits;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * Limits per workspace: requests a period (a resilience4j {@link RateLimiter}) and requests in
 * flight (a {@link Bulkhead}), the same for every workspace unless one has its own. Neither waits:
 * a request over a limit is refused at once, with how long to wait before retrying.
 */
public final class WorkspaceLimits {
    /** One workspace's limits: requests a period and requests in flight. */
    public record Limit(int permitsPerPeriod, int concurrent) {
        public Limit {
            if (permitsPerPeriod < 1 || concurrent < 1) {
                throw new IllegalArgumentException(
                        "limits must be at least 1: " + permitsPerPeriod + ", " + concurrent);
            }
        }
    }

    private final Duration period;
    private final Map<String, Limit> own;
    private final RateLimiterRegistry rates;
    private final BulkheadRegistry bulkheads;

    public WorkspaceLimits(int requestsPerMinute, int concurrent) {
        this(requestsPerMinute, Duration.ofMinutes(1), concurrent);
    }

    public WorkspaceLimits(int permitsPerPeriod, Duration period, int concurrent) {
        this(new Limit(permitsPerPeriod, concurrent), period, Map.of());
    }

    /**
     * @param own workspaces with limits of their own
     */
    public WorkspaceLimits(Limit limit, Duration period, Map<String, Limit> own) {
        this.period = period;
        this.own = Map.copyOf(own);
        rates = RateLimiterRegistry.of(rateConfig(limit));
        bulkheads = BulkheadRegistry.of(bulkheadConfig(limit));
    }

    private RateLimiterConfig rateConfig(Limit limit) {
        return RateLimiterConfig.custom()
                .limitForPeriod(limit.permitsPerPeriod())
                .limitRefreshPeriod(period)
                .timeoutDuration(Duration.ZERO)
                .build();
    }

    private static BulkheadConfig bulkheadConfig(Limit limit) {
        return BulkheadConfig.custom()
                .maxConcurrentCalls(limit.concurrent())
                .maxWaitDuration(Duration.ZERO)
                .build();
    }

    /** The limits {@code workspace} runs under. */
    public Limit limitOf(String workspace) {
        Limit l = own.get(workspace);
        if (l != null) {
            return l;
        }
        RateLimiterConfig r = rates.getDefaultConfig();
        return new Limit(
                r.getLimitForPeriod(), bulkheads.getDefaultConfig().getMaxConcurrentCalls());
    }

    private RateLimiter rateLimiter(String workspace) {
        Limit l = own.get(workspace);
        return l == null
                ? rates.rateLimiter(workspace)
                : rates.rateLimiter(workspace, () -> rateConfig(l));
    }

    private Bulkhead bulkhead(String workspace) {
        Limit l = own.get(workspace);
        return l == null
                ? bulkheads.bulkhead(workspace)
                : bulkheads.bulkhead(workspace, () -> bulkheadConfig(l));
    }

    /**
     * Why a request was refused: over the workspace's rate ({@code inFlight} false) or its requests
     * in flight; {@code retryAfterSeconds} for the Retry-After header; {@code message} for the
     * error body.
     */
    public record Refusal(boolean inFlight, long retryAfterSeconds, String message) {}

    /**
     * The one admission rule of every limited route: takes a request permit of {@code workspace},
     * then a slot in flight (which the caller must {@link #release}), or refuses at once. {@code
     * what} names the requests in the message ("segmentation requests").
     *
     * @return null when admitted
     */
    public @Nullable Refusal admit(String workspace, String what) {
        OptionalLong wait = tryRequest(workspace);
        if (wait.isPresent()) {
            return new Refusal(
                    false,
                    wait.getAsLong(),
                    "more than "
                            + limitOf(workspace).permitsPerPeriod()
                            + " "
                            + what
                            + (period.equals(Duration.ofMinutes(1))
                                    ? " a minute"
                                    : period.equals(Duration.ofSeconds(1))
                                            ? " a second"
                                            : " per " + period)
                            + " for org "
                            + workspace
                            + "; retry after "
                            + wait.getAsLong()
                            + " s");
        }
        if (!tryEnter(workspace)) {
            return new Refusal(
                    true,
                    1,
                    "more than "
                            + limitOf(workspace).concurrent()
                            + " "
                            + what
                            + " in flight for org "
                            + workspace);
        }
        return null;
    }

    /**
     * Takes one request permit of {@code workspace}.
     *
     * @return empty when allowed, else the seconds to wait before a retry can succeed
     */
    public OptionalLong tryRequest(String workspace) {
        RateLimiter rl = rateLimiter(workspace);
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
        return bulkhead(workspace).tryAcquirePermission();
    }

    public void release(String workspace) {
        bulkhead(workspace).onComplete();
    }
}
