package io.cohortflow.service.limits;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Limits per workspace: requests in any span of one period (a {@link SlidingLog}) and requests in
 * flight (a resilience4j {@link Bulkhead}), the same for every workspace unless one has its own.
 * Neither waits: a request over a limit is refused at once, with how long to wait before retrying.
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
    private final Limit limit;
    private final Map<String, Limit> own;
    private final LongSupplier nanoClock;
    private final Map<String, SlidingLog> rates = new ConcurrentHashMap<>();
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
        this(limit, period, own, System::nanoTime);
    }

    /** ... reading the time from {@code nanoClock} (monotonic nanoseconds). */
    WorkspaceLimits(Limit limit, Duration period, Map<String, Limit> own, LongSupplier nanoClock) {
        this.period = period;
        this.limit = limit;
        this.own = Map.copyOf(own);
        this.nanoClock = nanoClock;
        bulkheads = BulkheadRegistry.of(bulkheadConfig(limit));
    }

    private static BulkheadConfig bulkheadConfig(Limit limit) {
        return BulkheadConfig.custom()
                .maxConcurrentCalls(limit.concurrent())
                .maxWaitDuration(Duration.ZERO)
                .build();
    }

    /** The limits {@code workspace} runs under. */
    public Limit limitOf(String workspace) {
        return own.getOrDefault(workspace, limit);
    }

    private SlidingLog rate(String workspace) {
        return rates.computeIfAbsent(
                workspace, w -> new SlidingLog(limitOf(w).permitsPerPeriod(), period.toNanos()));
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
    public record Refusal(boolean inFlight, long retryAfterSeconds, String message) {
        /** The limit that refused, as the metrics name it: {@code concurrency} or {@code rate}. */
        public String kind() {
            return inFlight ? "concurrency" : "rate";
        }
    }

    /**
     * The one admission rule of every limited route: takes a slot in flight of {@code workspace}
     * (which the caller must {@link #release}), then a request permit, or refuses at once and holds
     * neither: a request refused for being one too many in flight does not use up the rate. {@code
     * what} names the requests in the message ("segmentation requests").
     *
     * @return null when admitted
     */
    public @Nullable Refusal admit(String workspace, String what) {
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
        OptionalLong wait = tryRequest(workspace);
        if (wait.isPresent()) {
            release(workspace);
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
        return null;
    }

    /**
     * Takes one request permit of {@code workspace}.
     *
     * @return empty when allowed, else the seconds to wait before a retry can succeed
     */
    public OptionalLong tryRequest(String workspace) {
        long nanos = rate(workspace).tryAcquire(nanoClock.getAsLong());
        return nanos == 0
                ? OptionalLong.empty()
                : OptionalLong.of(Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L));
    }

    /** Takes one in-flight slot; the caller must {@link #release} it when the response is done. */
    public boolean tryEnter(String workspace) {
        return bulkhead(workspace).tryAcquirePermission();
    }

    public void release(String workspace) {
        bulkhead(workspace).onComplete();
    }
}
