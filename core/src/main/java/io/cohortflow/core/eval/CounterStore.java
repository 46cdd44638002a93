package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Window;
import io.cohortflow.core.event.Event;
import io.cohortflow.core.event.Values;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The stored entries behind every {@link CounterSpec} that counts the same events the same way,
 * whatever its window or retention: "3+ sport page views in 7 days" and "1+ in 30 days" read one
 * store, each through its own window. An event updates a store once however many windows read it,
 * and a user keeps one list of entries: those of the longest window that reads it, and as many of
 * the newest as the most demanding count needs.
 *
 * @param id the stored counter's key in a profile: its number in the workspace, given to the hash
 *     of kind, field and hit predicate (see {@link SegmentOrdinals})
 * @param windows the windows its readers read through, or null when one reads up to the horizon
 * @param views the counters read through this store, one per window and retention
 */
record CounterStore(
        long id,
        CounterSpec.Kind kind,
        @Nullable String field,
        Predicate<Event> hits,
        List<Anchor> anchors,
        int retain,
        @Nullable List<Window> windows,
        List<CounterSpec> views)
        implements Lifetime {

    /** The store of {@code views}, which share one {@link CounterSpec#store()}. */
    static CounterStore of(List<CounterSpec> views) {
        CounterSpec first = views.get(0);
        int retain = 0;
        Set<Window> windows = new LinkedHashSet<>();
        boolean unbounded = false;
        for (CounterSpec v : views) {
            retain = Math.max(retain, v.retain());
            if (v.window() == null) {
                unbounded = true;
            } else {
                windows.add(v.window());
            }
        }
        return new CounterStore(
                first.store(),
                first.kind(),
                first.field(),
                first.hits(),
                first.anchors(),
                retain,
                unbounded ? null : List.copyOf(windows),
                List.copyOf(views));
    }

    /** Identity is the id: the record's default hash would walk the predicate's lambdas. */
    @Override
    public boolean equals(Object o) {
        return o instanceof CounterStore c && c.id == id;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(id);
    }

    /** When an entry of {@code time} first stops counting for one of the readers. */
    long firstExpiry(long time, long horizonMillis) {
        long first = Long.MAX_VALUE;
        // By index, here and in expiry: asked per counter per event and per wake-up, an
        // iterator each was a sixth of the engine's garbage.
        for (int i = 0; i < views.size(); i++) {
            first = Math.min(first, views.get(i).expiry(time, horizonMillis));
        }
        return first;
    }

    /** An entry counts while some reader's window (and the horizon) still holds it. */
    @Override
    public long expiry(long time, long horizonMillis) {
        long byHorizon = time + horizonMillis;
        if (windows == null) {
            return byHorizon;
        }
        long latest = Long.MIN_VALUE;
        for (int i = 0; i < windows.size(); i++) {
            latest = Math.max(latest, windows.get(i).expiry(time));
        }
        return Math.min(byHorizon, latest);
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
                    double sign = kind == CounterSpec.Kind.MAX ? 1 : -1;
                    double best = Double.NaN;
                    Object v = Values.dimension(e, field);
                    if (v instanceof List<?> xs) {
                        for (int i = 0; i < xs.size(); i++) {
                            best = extreme(sign, best, xs.get(i));
                        }
                    } else if (v != null) {
                        best = extreme(sign, best, v); // most values: no list to make
                    }
                    return !Double.isNaN(best) && state.addExtreme(e.time(), best);
                }
            default:
                {
                    Object v = Values.dimension(e, field);
                    if (!(v instanceof List<?> xs)) {
                        return v != null && addDistinct(e, v, state);
                    }
                    boolean added = false;
                    for (int i = 0; i < xs.size(); i++) {
                        added |= addDistinct(e, xs.get(i), state);
                    }
                    return added;
                }
        }
    }

    /** The larger of {@code best} and {@code sign * x} when x is a number, else {@code best}. */
    private static double extreme(double sign, double best, Object x) {
        Double d = x instanceof List ? null : Values.number(x);
        return d != null && !(sign * d <= best) ? sign * d : best;
    }

    /** Adds one value of a distinct count's dimension (none for a value it does not count). */
    private boolean addDistinct(Event e, Object x, CounterState state) {
        String k = Metrics.distinctKey(x);
        return k != null && state.add(e.time(), 0, k, retain);
    }

    /** Groups counters by store, in their order. */
    static List<CounterStore> group(Iterable<CounterSpec> specs) {
        java.util.Map<Long, List<CounterSpec>> byStore = new java.util.LinkedHashMap<>();
        for (CounterSpec s : specs) {
            byStore.computeIfAbsent(s.store(), k -> new ArrayList<>()).add(s);
        }
        List<CounterStore> out = new ArrayList<>();
        byStore.values().forEach(v -> out.add(of(v)));
        return out;
    }
}
