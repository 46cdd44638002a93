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
 * <p>Only an idle partition follows the wall clock: one with a backlog (a replay, a restart
 * catching up) keeps its events' time, so the timers of users whose older events are still to come
 * do not fire early; and the operator's watermark is the least of its partitions'. Records without
 * events (lookups) carry no event time and do not count as activity.
 */
final class IdleAwareWatermarks implements WatermarkGenerator<Inbound> {
    private final long delay;
    private final long idleness;
    private final LongSupplier clock;
    private long maxTimestamp = Long.MIN_VALUE;
    private long lastEventAt;
    private long emitted = Long.MIN_VALUE;

    IdleAwareWatermarks(Duration outOfOrderness, Duration idleness, LongSupplier clock) {
        this.delay = outOfOrderness.toMillis();
        this.idleness = idleness.toMillis();
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
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput out) {
        long now = clock.getAsLong();
        long next = maxTimestamp == Long.MIN_VALUE ? Long.MIN_VALUE : maxTimestamp - delay - 1;
        if (now - lastEventAt >= idleness) {
            next = Math.max(next, now - delay - 1);
        }
        if (next > emitted) {
            emitted = next;
            out.emitWatermark(new Watermark(next));
        }
    }
}
