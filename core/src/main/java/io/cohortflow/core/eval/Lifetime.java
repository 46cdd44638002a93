package io.cohortflow.core.eval;

/**
 * When a counter entry stops counting: for a reader, by its window; for storage, by the longest.
 */
interface Lifetime {
    /** The instant an entry at {@code time} stops counting (window or horizon, the earlier). */
    long expiry(long time, long horizonMillis);
}
