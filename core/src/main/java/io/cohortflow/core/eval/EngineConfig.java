package io.cohortflow.core.eval;

import java.time.Duration;

/**
 * Limits of per-user state, shared by the streaming job, the backfill and the synchronous API so
 * they agree.
 *
 * @param horizon how long an event stays in a user's history; no window sees further back. An event
 *     older than the horizon (relative to the user's latest event) changes no state.
 * @param historyCap the most events kept per user; beyond it the oldest are dropped (all events of
 *     the oldest millisecond at once), and nothing sees them any more.
 * @param maxFutureSkew how far ahead of the wall clock an event time may be before it is rejected
 *     (client clocks are not trusted blindly).
 */
public record EngineConfig(Duration horizon, int historyCap, Duration maxFutureSkew) {

    public static final EngineConfig DEFAULT =
            new EngineConfig(Duration.ofDays(90), 1_000, Duration.ofMinutes(5));

    public EngineConfig {
        if (horizon.isNegative() || horizon.isZero()) {
            throw new IllegalArgumentException("horizon must be positive: " + horizon);
        }
        if (historyCap < 1) {
            throw new IllegalArgumentException("historyCap must be at least 1: " + historyCap);
        }
        if (maxFutureSkew.isNegative()) {
            throw new IllegalArgumentException("maxFutureSkew must not be negative");
        }
    }

    public long horizonMillis() {
        return horizon.toMillis();
    }
}
