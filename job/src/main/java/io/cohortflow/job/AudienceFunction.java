package io.cohortflow.job;

import io.cohortflow.core.contract.AudienceRecord;
import io.cohortflow.core.contract.AudienceRecord.Granularity;
import io.cohortflow.core.contract.Keys;
import io.cohortflow.job.model.AudienceDelta;
import io.cohortflow.job.model.KafkaMessage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
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

    private transient ValueState<Long> size;
    private transient ValueState<Long> asOf;
    private transient ValueState<Long> publish;
    private transient Map<Granularity, MapState<Long, long[]>> series;

    public AudienceFunction(String topic) {
        this(topic, SERIES_INTERVAL_MILLIS);
    }

    public AudienceFunction(String topic, long seriesIntervalMillis) {
        this.topic = topic;
        this.seriesIntervalMillis = seriesIntervalMillis;
    }

    @Override
    public void open(OpenContext openContext) {
        size = getRuntimeContext().getState(Descriptors.AUDIENCE_SIZE);
        asOf = getRuntimeContext().getState(Descriptors.AUDIENCE_AS_OF);
        publish = getRuntimeContext().getState(Descriptors.AUDIENCE_PUBLISH);
        series = new EnumMap<>(Granularity.class);
        for (Granularity g : Granularity.values()) {
            series.put(g, getRuntimeContext().getMapState(Descriptors.audienceSeries(g.json())));
        }
    }

    @Override
    public void processElement(AudienceDelta d, Context ctx, Collector<KafkaMessage> out)
            throws Exception {
        long now = value(size) + d.entered - d.exited;
        long newest = Math.max(asOf.value() == null ? Long.MIN_VALUE : asOf.value(), d.newest);
        size.update(now);
        asOf.update(newest);
        for (Granularity g : Granularity.values()) {
            MapState<Long, long[]> periods = series.get(g);
            long start = Math.floorDiv(d.minute, g.millis) * g.millis;
            long[] counts = periods.get(start);
            counts = counts == null ? new long[2] : counts;
            counts[0] += d.entered;
            counts[1] += d.exited;
            periods.put(start, counts);
        }
        out.collect(message(ctx.getCurrentKey(), now, newest, AudienceRecord.NOW, List.of()));
        if (publish.value() == null) {
            long at = ctx.timerService().currentProcessingTime() + seriesIntervalMillis;
            ctx.timerService().registerProcessingTimeTimer(at);
            publish.update(at);
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<KafkaMessage> out)
            throws Exception {
        publish.clear();
        long newest = asOf.value() == null ? 0 : asOf.value();
        for (Granularity g : Granularity.values()) {
            MapState<Long, long[]> periods = series.get(g);
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
            out.collect(message(ctx.getCurrentKey(), value(size), newest, g.json(), points));
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

    private static long value(ValueState<Long> state) throws java.io.IOException {
        Long v = state.value();
        return v == null ? 0 : v;
    }
}
