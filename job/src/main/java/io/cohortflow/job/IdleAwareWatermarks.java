package io.cohortflow.job;

import io.cohortflow.job.model.Inbound;
import java.util.function.LongSupplier;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;

/**
 * Event time of one events partition: the latest event time seen less the allowed out-of-order
 * delay, and, once the partition has had no event for the idleness period and was live, the wall
 * clock less that delay ({@link IdleTime}, the rule). Without the second rule, time would stop with
 * the traffic: a one-minute cohort would keep an idle stream's users for good, and a lookup would
 * still answer memberships that lapsed. The operator's watermark is the least of its partitions'.
 *
 * <p>A generator that has seen no event (a partition without traffic, or the source reader's own
 * generator, which Flink keeps beside the partitions' and records never reach) declares itself
 * idle, so that it holds nothing back and moves nothing forward. Generators keep nothing across a
 * restore: the operator carries the stream's liveness over ({@link RestoredEventTime}). Records
 * without events (lookups) carry no event time and do not count as activity.
 */
final class IdleAwareWatermarks implements WatermarkGenerator<Inbound> {
    private final IdleTime rule;
    private final LongSupplier clock;
    private long maxTimestamp = Long.MIN_VALUE;

    /** The clock when the latest event arrived, and how far behind it the latest time was. */
    private long lastEventAt;

    private long lagAtLastEvent = Long.MAX_VALUE;
    private long emitted = Long.MIN_VALUE;

    IdleAwareWatermarks(IdleTime rule, LongSupplier clock) {
        this.rule = rule;
        this.clock = clock;
        this.lastEventAt = clock.getAsLong();
    }

    @Override
    public void onEvent(Inbound in, long timestamp, WatermarkOutput out) {
        if (timestamp == Long.MIN_VALUE) {
            return;
        }
        maxTimestamp = Math.max(maxTimestamp, timestamp);
        if (timestamp <= emitted) {
            // Late whatever the partition does: it says nothing of whether the partition is
            // replaying older events (a backlog's events are ahead of its watermark), nor that it
            // is busy. It leaves the partition live or not, and idle or not, as it was. A partition
            // following the clock that got a straggler from a mobile client would otherwise have
            // stopped following it (and held back event time for every user until its next fresh
            // event), and one that got a straggler every few seconds would have held it for good.
            return;
        }
        lastEventAt = clock.getAsLong();
        lagAtLastEvent = lastEventAt - maxTimestamp;
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput out) {
        long now = clock.getAsLong();
        boolean idle = rule.idle(lastEventAt, now);
        if (maxTimestamp == Long.MIN_VALUE) {
            if (idle) {
                out.markIdle();
            }
            return;
        }
        long next = rule.eventWatermark(maxTimestamp);
        if (idle && rule.live(lagAtLastEvent)) {
            next = Math.max(next, rule.clockWatermark(now));
        }
        if (next > emitted) {
            emitted = next;
            out.emitWatermark(new Watermark(next));
        }
    }
}
