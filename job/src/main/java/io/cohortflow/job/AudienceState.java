package io.cohortflow.job;

import io.cohortflow.core.contract.AudienceRecord.Granularity;
import io.cohortflow.job.model.AudienceDelta;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.streaming.api.TimerService;

/**
 * One segment's audience in keyed state (the current key is the segment): the members now, the
 * event time of the newest change, the entered/exited counts per minute (kept a day) and per hour
 * (kept 30 days; days are summed from hours), and when its size and series are next published. The
 * one rule for counting, used by the streaming counts ({@link AudienceFunction}) and by the
 * backfill that bootstraps them.
 */
public final class AudienceState {
    private final ValueState<Long> size;
    private final ValueState<Long> asOf;
    private final ValueState<Long> nextSize;
    private final ValueState<Long> nextSeries;
    private final MapState<Long, long[]> minutes;
    private final MapState<Long, long[]> hours;

    public AudienceState(RuntimeContext ctx) {
        size = ctx.getState(Descriptors.AUDIENCE_SIZE);
        asOf = ctx.getState(Descriptors.AUDIENCE_AS_OF);
        nextSize = ctx.getState(Descriptors.AUDIENCE_NEXT_SIZE);
        nextSeries = ctx.getState(Descriptors.AUDIENCE_NEXT_SERIES);
        minutes = ctx.getMapState(Descriptors.audienceSeries(Granularity.MINUTE.json()));
        hours = ctx.getMapState(Descriptors.audienceSeries(Granularity.HOUR.json()));
    }

    /** Counts one subtask's sums for the segment; returns the members now. */
    public long add(AudienceDelta d) throws Exception {
        long now = size() + d.net();
        size.update(now);
        asOf.update(Math.max(asOf(), d.newest));
        for (int i = 0; i < d.hours.length; i++) {
            addTo(hours, d.hours[i], d.hourEntered[i], d.hourExited[i]);
        }
        for (int i = 0; i < d.minutes.length; i++) {
            addTo(minutes, d.minutes[i], d.minuteEntered[i], d.minuteExited[i]);
        }
        return now;
    }

    private static void addTo(MapState<Long, long[]> periods, long start, long in, long out)
            throws Exception {
        long[] counts = periods.get(start);
        counts = counts == null ? new long[2] : counts;
        counts[0] += in;
        counts[1] += out;
        periods.put(start, counts);
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

    /**
     * Schedules the size's publication at {@code sizeAt} and the series' at {@code seriesAt}
     * (processing time), each unless one is pending already.
     */
    public void schedule(TimerService timers, long sizeAt, long seriesAt) throws IOException {
        if (nextSize.value() == null) {
            timers.registerProcessingTimeTimer(sizeAt);
            nextSize.update(sizeAt);
        }
        if (nextSeries.value() == null) {
            timers.registerProcessingTimeTimer(seriesAt);
            nextSeries.update(seriesAt);
        }
    }

    /**
     * Counts a deleted segment's sums in its size only: the size, not published while the segment
     * is deleted, keeps the members that have not exited yet (see {@link AudienceFunction}); at 0
     * it goes too. Returns the size now.
     */
    long addDeleted(AudienceDelta d) throws IOException {
        long now = size() + d.net();
        if (now == 0) {
            size.clear();
        } else {
            size.update(now);
        }
        return now;
    }

    /**
     * Forgets the segment's published audience: the series, the newest change and the publication
     * timers pending; the size too when it is 0, else it stays (unpublished) for the members that
     * have not exited. Returns whether an audience was held to forget (any change counted since it
     * was last forgotten: its records may be on the topic).
     */
    boolean forget(TimerService timers) throws Exception {
        boolean held = asOf.value() != null;
        Long sizeAt = nextSize.value();
        if (sizeAt != null) {
            timers.deleteProcessingTimeTimer(sizeAt);
        }
        Long seriesAt = nextSeries.value();
        if (seriesAt != null) {
            timers.deleteProcessingTimeTimer(seriesAt);
        }
        if (size() == 0) {
            size.clear();
        }
        asOf.clear();
        nextSize.clear();
        nextSeries.clear();
        minutes.clear();
        hours.clear();
        return held;
    }

    /** Whether the timer at {@code at} publishes the size (and forgets that it is pending). */
    boolean takeSize(long at) throws IOException {
        return take(nextSize, at);
    }

    /** Whether the timer at {@code at} publishes the series (and forgets that it is pending). */
    boolean takeSeries(long at) throws IOException {
        return take(nextSeries, at);
    }

    private static boolean take(ValueState<Long> next, long at) throws IOException {
        Long due = next.value();
        if (due != null && due <= at) {
            next.clear();
            return true;
        }
        return false;
    }

    /**
     * The periods of a granularity with a change among the last {@code kept} up to the newest
     * change, oldest first; minutes and hours older than any series keeps leave the state.
     */
    TreeMap<Long, long[]> series(Granularity g) throws Exception {
        long newest = Math.max(0, asOf());
        long oldest = Math.floorDiv(newest, g.millis) * g.millis - (g.kept - 1L) * g.millis;
        MapState<Long, long[]> source = g == Granularity.MINUTE ? minutes : hours;
        long keepFrom =
                g == Granularity.MINUTE
                        ? oldest
                        : Math.floorDiv(newest, Granularity.HOUR.millis) * Granularity.HOUR.millis
                                - (Granularity.HOUR.kept - 1L) * Granularity.HOUR.millis;
        TreeMap<Long, long[]> out = new TreeMap<>();
        List<Long> expired = new ArrayList<>();
        for (Map.Entry<Long, long[]> e : source.entries()) {
            if (e.getKey() < keepFrom) {
                expired.add(e.getKey());
                continue;
            }
            long start = Math.floorDiv(e.getKey(), g.millis) * g.millis;
            if (start >= oldest) {
                long[] sum = out.computeIfAbsent(start, k -> new long[2]);
                sum[0] += e.getValue()[0];
                sum[1] += e.getValue()[1];
            }
        }
        for (Long k : expired) {
            source.remove(k);
        }
        return out;
    }
}
