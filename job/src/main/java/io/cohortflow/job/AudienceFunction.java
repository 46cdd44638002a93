package io.cohortflow.job;

import io.cohortflow.core.contract.AudienceRecord;
import io.cohortflow.core.contract.AudienceRecord.Granularity;
import io.cohortflow.core.contract.Keys;
import io.cohortflow.job.model.AudienceDelta;
import io.cohortflow.job.model.KafkaMessage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Each segment's audience, keyed by workspace/segment: the members now (the sum of the entered and
 * exited changes the segmentation operator counted) and the entered/exited counts per minute, hour
 * and day of event time. It publishes the size at once with every change it receives (one record
 * per segment and checkpoint of each upstream subtask at most), and the series at most once per
 * {@code seriesIntervalMillis} of processing time, pruned to the periods {@link AudienceRecord}
 * keeps. Its state and its records go with the memberships' checkpoints, so the size is exact
 * through failures and rescaling.
 */
public class AudienceFunction extends KeyedProcessFunction<String, AudienceDelta, KafkaMessage> {
    private static final long serialVersionUID = 1L;

    /** How often, at most, a segment's series are published by default. */
    public static final long SERIES_INTERVAL_MILLIS = 30_000;

    private final String topic;
    private final long seriesIntervalMillis;

    private transient AudienceState audience;
    private transient ValueState<Long> publish;

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
        publish = getRuntimeContext().getState(Descriptors.AUDIENCE_PUBLISH);
    }

    @Override
    public void processElement(AudienceDelta d, Context ctx, Collector<KafkaMessage> out)
            throws Exception {
        long now = audience.add(d);
        out.collect(
                message(ctx.getCurrentKey(), now, audience.asOf(), AudienceRecord.NOW, List.of()));
        if (publish.value() == null) {
            long at = ctx.timerService().currentProcessingTime() + seriesIntervalMillis;
            ctx.timerService().registerProcessingTimeTimer(at);
            publish.update(at);
        }
    }

    /**
     * The series, and the size again: a timer the backfill registered for a bootstrapped segment
     * fires at the start and publishes both before any change arrives.
     */
    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<KafkaMessage> out)
            throws Exception {
        publish.clear();
        long newest = Math.max(0, audience.asOf());
        long size = audience.size();
        out.collect(message(ctx.getCurrentKey(), size, newest, AudienceRecord.NOW, List.of()));
        for (Granularity g : Granularity.values()) {
            MapState<Long, long[]> periods = audience.periods(g);
            long oldest = Math.floorDiv(newest, g.millis) * g.millis - (g.kept - 1) * g.millis;
            TreeMap<Long, long[]> kept = new TreeMap<>();
            List<Long> expired = new ArrayList<>();
            for (Map.Entry<Long, long[]> e : periods.entries()) {
                if (e.getKey() < oldest) {
                    expired.add(e.getKey());
                } else {
                    kept.put(e.getKey(), e.getValue());
                }
            }
            for (Long k : expired) {
                periods.remove(k);
            }
            List<AudienceRecord.Point> points = new ArrayList<>(kept.size());
            kept.forEach(
                    (start, c) ->
                            points.add(
                                    new AudienceRecord.Point(
                                            Instant.ofEpochMilli(start).toString(), c[0], c[1])));
            out.collect(message(ctx.getCurrentKey(), size, newest, g.json(), points));
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
                        Instant.ofEpochMilli(newest).toString(),
                        granularity,
                        points);
        return KafkaMessage.json(topic, r.key(), r);
    }
}
