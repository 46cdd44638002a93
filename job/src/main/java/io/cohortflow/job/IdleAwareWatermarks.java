package io.cohortflow.job;

import io.cohortflow.job.model.Inbound;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;

/**
 * Event time of one events partition: the latest event time seen less the allowed out-of-order
 * delay, and, once the partition has had no event for the idleness period, the wall clock less that
 * delay. Without the second rule, time would stop with the traffic: a one-minute cohort would keep
 * an idle stream's users for good, and a lookup would still answer memberships that lapsed.
 *
 * <p>Only a partition that was live follows the wall clock: its last event was at most {@link
 * #LIVE_LAG} (or the idleness period, if longer) behind the clock when it arrived, which leaves
 * room for clients that send their events in batches. One whose events were older (a replay of
 * history, a restart catching up days of backlog) keeps its events' time, so the timers of users
 * whose older events are still to come do not fire early; and the operator's watermark is the least
 * of its partitions'. A generator that has seen no event (a partition without traffic, or the
 * source reader's own generator, which Flink keeps beside the partitions' and records never reach)
 * declares itself idle, so that it holds nothing back and moves nothing forward. Records without
 * events (lookups) carry no event time and do not count as activity.
 */
final class IdleAwareWatermarks implements WatermarkGenerator<Inbound> {
    /** How far behind the clock a partition's events may be for it to count as live. */
    static final Duration LIVE_LAG = Duration.ofMinutes(10);

    private final long delay;
    private final long idleness;
    private final long liveLag;
    private final LongSupplier clock;
    private long maxTimestamp = Long.MIN_VALUE;

    /** The clock when the latest event arrived, and how far behind it the latest time was. */
    private long lastEventAt;

    private long lagAtLastEvent = Long.MAX_VALUE;
    private long emitted = Long.MIN_VALUE;

    IdleAwareWatermarks(Duration outOfOrderness, Duration idleness, LongSupplier clock) {
        this.delay = outOfOrderness.toMillis();
        this.idleness = idleness.toMillis();
        this.liveLag = Math.max(this.idleness, LIVE_LAG.toMillis());
        this.clock = clock;
        this.lastEventAt = clock.getAsLong();
    }

    @Override
    public void onEvent(Inbound in, long timestamp, WatermarkOutput out) {
        if (timestamp == Long.MIN_VALUE) {
            return;
        }
        maxTimestamp = Math.max(maxTimestamp, timestamp);
        lastEventAt = clock.getAsLong();
        lagAtLastEvent = lastEventAt - maxTimestamp;
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput out) {
        long now = clock.getAsLong();
        boolean idle = now - lastEventAt >= idleness;
        if (maxTimestamp == Long.MIN_VALUE) {
            if (idle) {
                out.markIdle();
            }
            return;
        }
        long next = maxTimestamp - delay - 1;
        if (idle && lagAtLastEvent <= liveLag) {
            next = Math.max(next, now - delay - 1);
        }
        if (next > emitted) {
            emitted = next;
            out.emitWatermark(new Watermark(next));
        }
    }
}
