package io.cohortflow.service.limits;

/**
 * At most {@code limit} admissions in any span of one {@code period}, however placed: the times of
 * the admissions still inside the period, oldest first, in a ring that grows to at most {@code
 * limit} entries. A fixed window (a counter reset every period) lets twice the limit through across
 * its boundary; slices of the period still let nearly twice through when the requests bunch at a
 * slice's edges. The cost is a long per admission in the last period, and only for a workspace that
 * sends them.
 */
final class SlidingLog {
    private final int limit;
    private final long periodNanos;
    private long[] times = new long[4];
    private int head;
    private int size;

    SlidingLog(int limit, long periodNanos) {
        if (limit < 1 || periodNanos < 1) {
            throw new IllegalArgumentException("limit and period must be positive");
        }
        this.limit = limit;
        this.periodNanos = periodNanos;
    }

    /**
     * Admits one at {@code now} (nanoseconds, monotonic).
     *
     * @return 0 when admitted, else the nanoseconds until an admission leaves the period (at least
     *     1)
     */
    synchronized long tryAcquire(long now) {
        while (size > 0 && now - times[head] >= periodNanos) {
            head = (head + 1) % times.length;
            size--;
        }
        if (size >= limit) {
            return Math.max(1, times[head] + periodNanos - now);
        }
        if (size == times.length) {
            grow();
        }
        times[(head + size) % times.length] = now;
        size++;
        return 0;
    }

    private void grow() {
        long[] next = new long[(int) Math.min(limit, 2L * times.length)];
        for (int i = 0; i < size; i++) {
            next[i] = times[(head + i) % times.length];
        }
        times = next;
        head = 0;
    }

    /** For tests: the ring never holds more than the limit. */
    synchronized int capacity() {
        return times.length;
    }
}
