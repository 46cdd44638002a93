package io.cohortflow.job;

import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.core.event.Event;
import java.io.Serializable;

/**
 * What {@link SegmentationFunction} needs from the job's configuration; serializable with the
 * function.
 *
 * @param orderedState keyed state is RocksDB's: map state iterates in key order, and a value read
 *     is a deserialized copy (a heap backend hands out the stored object itself)
 * @param countFrom events before this instant are skipped: a backfill counted them (the cut-over of
 *     a bootstrapped job), or they are outside a backfill's range
 * @param countUntil events at or after this instant are skipped (a backfill's end)
 * @param asOf a backfill's end: lapses up to it are applied, later ones left to the streaming job,
 *     and at it each user's memberships and state are emitted ({@link Descriptors#SNAPSHOT}, {@link
 *     Descriptors#STATE}); {@code Long.MAX_VALUE} when streaming
 * @param idempotencyWindowMillis how long a request's answer is kept for a retry with the same
 *     idempotency key
 */
public record SegmentationSettings(
        long horizonMillis,
        int historyCap,
        long maxFutureSkewMillis,
        TopicNames topics,
        long definitionsEndOffset,
        boolean orderedState,
        long countFrom,
        long countUntil,
        long asOf,
        int poisonAttempts,
        long idempotencyWindowMillis)
        implements Serializable {

    /** Failed attempts after which a record that keeps failing its task is skipped. */
    public static final int DEFAULT_POISON_ATTEMPTS = 3;

    /** How long an answer is kept for a retry, when not configured. */
    public static final java.time.Duration DEFAULT_IDEMPOTENCY_WINDOW =
            java.time.Duration.ofHours(24);

    /** The streaming job. */
    public static SegmentationSettings of(
            JobConfig c, long definitionsEndOffset, boolean orderedState) {
        return new SegmentationSettings(
                c.horizon().toMillis(),
                c.historyCap(),
                c.maxFutureSkew().toMillis(),
                c.topics(),
                definitionsEndOffset,
                orderedState,
                Long.MIN_VALUE,
                Long.MAX_VALUE,
                Long.MAX_VALUE,
                c.poisonAttempts(),
                c.idempotencyWindow().toMillis());
    }

    /**
     * A backfill over events in {@code [from, until)}, with memberships as of {@code until}. In
     * batch mode definitions are read before any event, so nothing waits for them (end offset 0),
     * and keyed state is an unordered hash map.
     */
    public static SegmentationSettings backfill(JobConfig c, long from, long until) {
        return of(c, 0, false).counting(from, until, until);
    }

    /** The streaming job bootstrapped by a backfill that counted events before {@code t}. */
    public SegmentationSettings countingFrom(long t) {
        return counting(t, countUntil, asOf);
    }

    private SegmentationSettings counting(long from, long until, long end) {
        return new SegmentationSettings(
                horizonMillis,
                historyCap,
                maxFutureSkewMillis,
                topics,
                definitionsEndOffset,
                orderedState,
                from,
                until,
                end,
                poisonAttempts,
                idempotencyWindowMillis);
    }

    boolean backfill() {
        return asOf != Long.MAX_VALUE;
    }

    boolean counts(Event e) {
        return e.time() >= countFrom && e.time() < countUntil;
    }
}
