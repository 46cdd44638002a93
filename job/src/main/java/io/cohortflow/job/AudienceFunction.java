package io.cohortflow.job;

import io.cohortflow.core.contract.AudienceRecord;
import io.cohortflow.core.contract.AudienceRecord.Granularity;
import io.cohortflow.core.contract.Keys;
import io.cohortflow.core.event.IsoTimes;
import io.cohortflow.job.model.AudienceDelta;
import io.cohortflow.job.model.KafkaMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Each segment's audience, keyed by workspace/segment: the members now (the sum of the entered and
 * exited changes the segmentation operator counted) and the entered/exited counts per minute, hour
 * and day of event time ({@link AudienceState}). It publishes a changed segment's size at most
 * every {@link #SIZE_INTERVAL_MILLIS} and its series at most every {@code seriesIntervalMillis} of
 * processing time, so its records follow the segments that change, not the changes. Its state and
 * records go with the memberships' checkpoints, so the size is exact through failures and
 * rescaling.
 *
 * <p>A deleted segment's audience goes with the first record that says it is deleted (see {@link
 * AudienceDeltas}): its series, newest change and timers are cleared, and a tombstone under each of
 * its keys tells the topic's readers (the service) to forget it too. Its size alone is kept,
 * unpublished, until the exits of its members still to come bring it to 0. Should the segment come
 * back (a rollback), its audience starts again from that size: 0 once every member exited, else the
 * members that never did.
 */
public class AudienceFunction extends KeyedProcessFunction<String, AudienceDelta, KafkaMessage> {
    private static final long serialVersionUID = 1L;

    /** How often, at most, a segment's series are published by default. */
    public static final long SERIES_INTERVAL_MILLIS = 30_000;

    /** How often, at most, a changed segment's size is published. */
    static final long SIZE_INTERVAL_MILLIS = 1_000;

    private final String topic;
    private final long seriesIntervalMillis;

    private transient AudienceState audience;

    public AudienceFunction(String topic) {
        this(topic, SERIES_INTERVAL_MILLIS);
    }

    public AudienceFunction(String topic, long seriesIntervalMillis) {
        this.topic = topic;
        this.seriesIntervalMillis = seriesIntervalMillis;
    }

    @Override
    public void open(OpenContext openContext) {
        audience = new AudienceState(getRuntimeContext());
    }

    @Override
    public void processElement(AudienceDelta d, Context ctx, Collector<KafkaMessage> out)
            throws Exception {
        if (d.deleted) {
            // A deleted segment has no audience: it goes from the topic at once, whatever the
            // size. Waiting for the size to reach 0 kept it there for good when a member never
            // exits: one erased while their state could not be read (no exit can be written), or
            // one whose state the sweep cannot evaluate. The size alone stays, unpublished, while
            // it is not 0: the exits still to come count against it (it would go below 0 and be
            // published again otherwise), and a rollback before the sweep has visited the members
            // finds them still members (their membership goes on without a record), so it counts
            // them. State that can leak: that one number, for a member whose exit is never
            // counted (the erased one).
            audience.addDeleted(d);
            if (audience.forget(ctx.timerService())) {
                String key = ctx.getCurrentKey();
                for (String k : AudienceRecord.keys(Keys.workspace(key), Keys.id(key))) {
                    out.collect(KafkaMessage.tombstone(topic, k));
                }
            }
            return;
        }
        if (!d.counts()) {
            return;
        }
        audience.add(d);
        long now = ctx.timerService().currentProcessingTime();
        audience.schedule(
                ctx.timerService(),
                now + Math.min(SIZE_INTERVAL_MILLIS, seriesIntervalMillis),
                now + seriesIntervalMillis);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<KafkaMessage> out)
            throws Exception {
        boolean size = audience.takeSize(timestamp);
        boolean series = audience.takeSeries(timestamp);
        if (!size && !series) {
            return;
        }
        String key = ctx.getCurrentKey();
        long members = audience.size();
        long newest = Math.max(0, audience.asOf());
        out.collect(message(key, members, newest, AudienceRecord.NOW, List.of()));
        if (!series) {
            return;
        }
        for (Granularity g : Granularity.values()) {
            List<AudienceRecord.Point> points = new ArrayList<>();
            for (Map.Entry<Long, long[]> e : audience.series(g).entrySet()) {
                points.add(
                        new AudienceRecord.Point(
                                IsoTimes.format(e.getKey()), e.getValue()[0], e.getValue()[1]));
            }
            out.collect(message(key, members, newest, g.json(), points));
        }
    }

    private KafkaMessage message(
            String segmentKey,
            long members,
            long newest,
            String granularity,
            List<AudienceRecord.Point> points) {
        AudienceRecord r =
                new AudienceRecord(
                        Keys.workspace(segmentKey),
                        Keys.id(segmentKey),
                        members,
                        IsoTimes.format(newest),
                        granularity,
                        points);
        return KafkaMessage.json(topic, r.key(), r);
    }
}
