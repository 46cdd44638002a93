package io.cohortflow.core.definition;

/**
 * The rolling time window extension: a container with {@code "window":{"count":30,"unit":"day"}}
 * sees only events whose time lies in {@code (now - 30 days, now]}, where now is the latest event
 * time of the user (or the watermark). Any length from one minute to years.
 */
public record Window(int count, TimeUnit unit) {

    /**
     * When an event at {@code eventTime} leaves the window. An event is visible while {@code now <
     * expiry(time)}; defining visibility by expiry (rather than by {@code now - length}) keeps
     * calendar units exact and makes the exit instant of a membership computable.
     */
    public long expiry(long eventTime) {
        return unit.plus(eventTime, count);
    }

    public boolean visible(long eventTime, long now) {
        return now < expiry(eventTime);
    }
}
