package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Window;
import io.cohortflow.core.event.Event;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.LongToIntFunction;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * An incrementally maintained aggregate over a user's recent events: of the events that satisfy
 * {@code hits} and lie within {@code window} (and the horizon), how many ({@link Kind#COUNT}), the
 * sum of a metric ({@link Kind#SUM}), how many distinct values of a dimension or visits ({@link
 * Kind#DISTINCT}, {@link Kind#VISITS}), or the largest or smallest number a dimension took ({@link
 * Kind#MAX}, {@link Kind#MIN}: one per dimension and window serves every threshold compared with
 * it, where a count per threshold would be touched by every event above it).
 *
 * <p>Counters are shared by every definition that needs the same one: {@code id} is a hash of the
 * canonical description, stable across restarts. Counters that count the same events the same way,
 * through different windows or retentions, read one {@link CounterStore}, which is what user state
 * stores: {@code store} is its number in the workspace ({@link SegmentOrdinals}), given to the hash
 * of the description without window and retention.
 *
 * @param retain for a count that is only compared with small thresholds, how many of the newest
 *     entries are kept (the rest cannot change any answer); {@link Integer#MAX_VALUE} otherwise
 * @param anchors necessary conditions for an event to change the counter, any one of them (none:
 *     any event may); see {@link AnchorIndex}
 */
record CounterSpec(
        long id,
        long store,
        String key,
        Kind kind,
        @Nullable String field,
        Predicate<Event> hits,
        @Nullable Window window,
        List<Anchor> anchors,
        int retain)
        implements Lifetime {

    enum Kind {
        COUNT,
        SUM,
        DISTINCT,
        VISITS,
        MAX,
        MIN;

        /** The value without entries: no number at all for MAX and MIN, so every test fails. */
        double empty() {
            return this == MAX || this == MIN ? Double.NaN : 0;
        }
    }

    static CounterSpec of(
            Kind kind,
            @Nullable String field,
            String hitKey,
            Predicate<Event> hits,
            @Nullable Window window,
            List<Anchor> anchors,
            int retain,
            LongToIntFunction storeNumbers) {
        String stored = kind + "|" + (field == null ? "" : field) + "|" + hitKey;
        String key =
                kind
                        + "|"
                        + (field == null ? "" : field)
                        + "|"
                        + (window == null ? "" : window.count() + " " + window.unit().json())
                        + "|"
                        + (retain == Integer.MAX_VALUE ? "" : retain)
                        + "|"
                        + hitKey;
        return new CounterSpec(
                hash(key),
                storeNumbers.applyAsInt(hash(stored)),
                key,
                kind,
                field,
                hits,
                window,
                List.copyOf(anchors),
                retain);
    }

    /** Identity is the id: the record's default hash would walk the predicate's lambdas. */
    @Override
    public boolean equals(Object o) {
        return o instanceof CounterSpec c && c.id == id;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(id);
    }

    /** When an entry at {@code time} stops counting for this counter's readers. */
    @Override
    public long expiry(long time, long horizonMillis) {
        long byHorizon = time + horizonMillis;
        return window == null ? byHorizon : Math.min(byHorizon, window.expiry(time));
    }

    /** 64-bit FNV-1a followed by a murmur finaliser: ids must not collide across counters. */
    static long hash(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b;
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}
