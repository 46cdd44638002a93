package io.cohortflow.job;

import io.cohortflow.core.contract.AudienceRecord.Granularity;
import io.cohortflow.job.model.AudienceDelta;
import java.io.IOException;
import java.util.EnumMap;
import java.util.Map;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.ValueState;

/**
 * One segment's audience in keyed state (the current key is the segment): the members now, the
 * event time of the newest change, and the entered/exited counts per period. The one rule for
 * counting, used by the streaming counts ({@link AudienceFunction}) and by the backfill that
 * bootstraps them.
 */
public final class AudienceState {
    private final ValueState<Long> size;
    private final ValueState<Long> asOf;
    private final Map<Granularity, MapState<Long, long[]>> series =
            new EnumMap<>(Granularity.class);

    public AudienceState(RuntimeContext ctx) {
        size = ctx.getState(Descriptors.AUDIENCE_SIZE);
        asOf = ctx.getState(Descriptors.AUDIENCE_AS_OF);
        for (Granularity g : Granularity.values()) {
            series.put(g, ctx.getMapState(Descriptors.audienceSeries(g.json())));
        }
    }

    /** Counts a sum of changes; returns the members now. */
    public long add(AudienceDelta d) throws Exception {
        long now = size() + d.entered - d.exited;
        size.update(now);
        asOf.update(Math.max(asOf(), d.newest));
        for (Granularity g : Granularity.values()) {
            MapState<Long, long[]> periods = series.get(g);
            long start = Math.floorDiv(d.minute, g.millis) * g.millis;
            long[] counts = periods.get(start);
            counts = counts == null ? new long[2] : counts;
            counts[0] += d.entered;
            counts[1] += d.exited;
            periods.put(start, counts);
        }
        return now;
    }

    long size() throws IOException {
        Long v = size.value();
        return v == null ? 0 : v;
    }

    /** The event time of the newest change counted; {@link Long#MIN_VALUE} before any. */
    long asOf() throws IOException {
        Long v = asOf.value();
        return v == null ? Long.MIN_VALUE : v;
    }

    MapState<Long, long[]> periods(Granularity g) {
        return series.get(g);
    }
}
