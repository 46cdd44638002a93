package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Window;
import io.cohortflow.core.event.Event;
import io.cohortflow.core.event.Values;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Predicate;
import javax.annotation.Nullable;

/**
 * An incrementally maintained aggregate over a user's recent events: of the events that satisfy
 * {@code hits} and lie within {@code window} (and the horizon), how many ({@link Kind#COUNT}), the
 * sum of a metric ({@link Kind#SUM}), how many distinct values of a dimension or visits ({@link
 * Kind#DISTINCT}, {@link Kind#VISITS}), or the largest or smallest number a dimension took ({@link
 * Kind#MAX}, {@link Kind#MIN}: one per dimension and window serves every threshold compared with
 * it, where a count per threshold would be touched by every event above it).
 *
 * <p>Counters are shared by every definition that needs the same one: {@code id} is a hash of the
 * canonical description, stable across restarts, and is what user state stores.
 *
 * @param retain for a count that is only compared with small thresholds, how many of the newest
 *     entries are kept (the rest cannot change any answer); {@link Integer#MAX_VALUE} otherwise
 * @param anchors necessary conditions for an event to change the counter, any one of them (none:
 *     any event may); see {@link AnchorIndex}
 */
record CounterSpec(
        long id,
        String key,
        Kind kind,
        @Nullable String field,
        Predicate<Event> hits,
        @Nullable Window window,
        List<Anchor> anchors,
        int retain) {

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
            int retain) {
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
                hash(key), key, kind, field, hits, window, List.copyOf(anchors), retain);
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

    /** When an entry at {@code time} stops counting. */
    long expiry(long time, long horizonMillis) {
        long byHorizon = time + horizonMillis;
        return window == null ? byHorizon : Math.min(byHorizon, window.expiry(time));
    }

    /**
     * Adds the entries an event contributes, returning whether any was added: for COUNT one (value
     * 1), for SUM one with the metric's value (none when 0), for DISTINCT one per value of the
     * dimension, for VISITS its visit, for MAX and MIN the extreme number among the dimension's
     * elements (none without one).
     */
    boolean contribute(Event e, CounterState state) {
        return hits.test(e) && add(e, state);
    }

    /** Adds an event known to hit; whether the state changed. */
    boolean add(Event e, CounterState state) {
        switch (kind) {
            case COUNT:
                return state.add(e.time(), 1, null, retain);
            case SUM:
                {
                    double v = Metrics.perEvent(e, field);
                    return v != 0 && state.add(e.time(), v, null, retain);
                }
            case VISITS:
                return state.add(e.time(), 0, Metrics.visitKey(e), retain);
            case MAX:
            case MIN:
                {
                    // MIN keeps the negated numbers in the same staircase as MAX.
                    double sign = kind == Kind.MAX ? 1 : -1;
                    double best = Double.NaN;
                    Object v = Values.dimension(e, field);
                    if (v != null) {
                        for (Object x : Values.elements(v)) {
                            Double d = x instanceof List ? null : Values.number(x);
                            if (d != null && !(sign * d <= best)) {
                                best = sign * d;
                            }
                        }
                    }
                    return !Double.isNaN(best) && state.addExtreme(e.time(), best);
                }
            default:
                {
                    Object v = Values.dimension(e, field);
                    boolean added = false;
                    if (v != null) {
                        for (Object x : Values.elements(v)) {
                            String k = Metrics.distinctKey(x);
                            if (k != null) {
                                added |= state.add(e.time(), 0, k, retain);
                            }
                        }
                    }
                    return added;
                }
        }
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
