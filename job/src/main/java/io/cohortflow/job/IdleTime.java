package io.cohortflow.job;

import java.io.Serializable;
import java.time.Duration;

/**
 * The rule for event time when the events stop (docs/job.md, "Event time"): once there has been no
 * event for the idleness period, a stream that was live follows the wall clock less the allowed
 * out-of-order delay. Live means its latest event was at most {@link #LIVE_LAG} (or the idleness
 * period, if longer) behind the clock, which leaves room for clients that send their events in
 * batches; a stream replaying older events keeps their time, so the timers of users whose older
 * events are still to come do not fire early. Used by the sources' watermark generators ({@link
 * IdleAwareWatermarks}) and, after a restore, by the operator ({@link RestoredEventTime}).
 *
 * @param delayMillis the allowed out-of-order delay ({@link JobConfig#OUT_OF_ORDERNESS})
 * @param idlenessMillis how long without events before the clock takes over ({@link
 *     JobConfig#IDLENESS})
 */
record IdleTime(long delayMillis, long idlenessMillis) implements Serializable {
    /** How far behind the clock a stream's events may be for it to count as live. */
    static final Duration LIVE_LAG = Duration.ofMinutes(10);

    static IdleTime of(JobConfig c) {
        return new IdleTime(c.outOfOrderness().toMillis(), c.idleness().toMillis());
    }

    static IdleTime of(Duration outOfOrderness, Duration idleness) {
        return new IdleTime(outOfOrderness.toMillis(), idleness.toMillis());
    }

    /** Whether events {@code lagMillis} behind the clock when they arrived make a live stream. */
    boolean live(long lagMillis) {
        return lagMillis <= Math.max(idlenessMillis, LIVE_LAG.toMillis());
    }

    /** Whether a stream with no event since {@code lastEventAt} is idle at {@code now}. */
    boolean idle(long lastEventAt, long now) {
        return now - lastEventAt >= idlenessMillis;
    }

    /** The watermark of an idle live stream at {@code now}: the clock less the delay. */
    long clockWatermark(long now) {
        return now - delayMillis - 1;
    }

    /** The watermark of a stream whose latest event time is {@code maxTimestamp}. */
    long eventWatermark(long maxTimestamp) {
        return maxTimestamp - delayMillis - 1;
    }
}
