package io.cohortflow.service.segments;

import io.cohortflow.core.contract.AudienceRecord;
import io.cohortflow.core.contract.AudienceRecord.Granularity;
import io.cohortflow.core.contract.Keys;
import io.cohortflow.service.kafka.CompactedTable;
import io.cohortflow.service.kafka.Follower;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Each segment's audience as the job publishes it on the compacted audiences topic ({@link
 * AudienceRecord}): the size now, and the entered/exited series from which the size at the end of
 * every period is worked back from the size the series was published with. The service only reads
 * the topic; the job is its one writer.
 */
public final class Audiences implements AutoCloseable {
    private final CompactedTable<AudienceRecord> table;

    /** A segment's audience: the size now and one period per step of the range asked for. */
    public record Audience(
            long size, @Nullable Instant asOf, Granularity granularity, List<Period> series) {}

    /** One period: its start, the memberships entered and exited in it, the size at its end. */
    public record Period(Instant start, long entered, long exited, long size) {}

    public Audiences(String bootstrap, String topic, Duration writeTimeout) {
        // The job writes each key's latest value: the newest record is the value.
        this.table =
                new CompactedTable<>(
                        bootstrap,
                        topic,
                        AudienceRecord.class,
                        (current, newer) -> newer,
                        writeTimeout);
    }

    public void start(Duration timeout) {
        table.start(timeout);
    }

    public Follower<String, byte[]> follower() {
        return table.follower();
    }

    /** The members now, 0 for a segment the job has counted no member of. */
    public long size(String workspace, String id) {
        return table.get(Keys.of(workspace, id)).map(AudienceRecord::size).orElse(0L);
    }

    /**
     * The audience of a segment: the size now and the series at {@code granularity} over [{@code
     * from}, {@code to}) (defaults: the periods the job keeps, up to its newest change), one period
     * per step, those without a change included.
     */
    public Audience audience(
            String workspace,
            String id,
            Granularity granularity,
            @Nullable Instant from,
            @Nullable Instant to) {
        Optional<AudienceRecord> now = table.get(Keys.of(workspace, id));
        Optional<AudienceRecord> series =
                table.get(Keys.of(workspace, id) + "/" + granularity.json());
        long size = now.map(AudienceRecord::size).orElse(0L);
        Instant asOf = now.map(r -> Instant.parse(r.asOf())).orElse(null);
        if (series.isEmpty()) {
            return new Audience(size, asOf, granularity, List.of());
        }
        return new Audience(size, asOf, granularity, periods(series.get(), granularity, from, to));
    }

    /** What entered and exited over a segment's last day. */
    public record Day(long entered, long exited) {}

    /**
     * Entered and exited over the newest day of the hourly series: its newest hour (event time) and
     * the 23 before, 24 in all. One answer per segment for a list, where a request per row used up
     * a workspace's rate limit in a few page views.
     */
    public Day lastDay(String workspace, String id) {
        Optional<AudienceRecord> series =
                table.get(Keys.of(workspace, id) + "/" + Granularity.HOUR.json());
        if (series.isEmpty()) {
            return new Day(0, 0);
        }
        long newest = Instant.parse(series.get().asOf()).toEpochMilli();
        long last = Math.floorDiv(newest, Granularity.HOUR.millis) * Granularity.HOUR.millis;
        long entered = 0;
        long exited = 0;
        for (Period p :
                periods(
                        series.get(),
                        Granularity.HOUR,
                        Instant.ofEpochMilli(last - 23 * Granularity.HOUR.millis),
                        null)) {
            entered += p.entered();
            exited += p.exited();
        }
        return new Day(entered, exited);
    }

    /**
     * The periods of a published series over [from, to), dense, each with the size at its end: the
     * series' size less what the periods after it added.
     */
    static List<Period> periods(
            AudienceRecord series, Granularity g, @Nullable Instant from, @Nullable Instant to) {
        long newest = Instant.parse(series.asOf()).toEpochMilli();
        long last = Math.floorDiv(newest, g.millis) * g.millis;
        long first = last - (g.kept - 1L) * g.millis;
        long start =
                from == null
                        ? first
                        : Math.max(first, Math.floorDiv(from.toEpochMilli(), g.millis) * g.millis);
        long end = to == null ? last + g.millis : Math.min(last + g.millis, to.toEpochMilli());
        TreeMap<Long, AudienceRecord.Point> byStart = new TreeMap<>();
        for (AudienceRecord.Point p : series.points()) {
            byStart.put(Instant.parse(p.start()).toEpochMilli(), p);
        }
        // Work back from the size the series was published with.
        long size = series.size();
        List<Period> reversed = new ArrayList<>();
        for (long p = last; p >= start; p -= g.millis) {
            AudienceRecord.Point point = byStart.get(p);
            long entered = point == null ? 0 : point.entered();
            long exited = point == null ? 0 : point.exited();
            if (p < end) {
                reversed.add(new Period(Instant.ofEpochMilli(p), entered, exited, size));
            }
            size -= entered - exited;
        }
        List<Period> out = new ArrayList<>(reversed.size());
        for (int i = reversed.size() - 1; i >= 0; i--) {
            out.add(reversed.get(i));
        }
        return out;
    }

    @Override
    public void close() {
        table.close();
    }
}
