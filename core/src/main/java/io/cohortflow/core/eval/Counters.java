package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Attributes;
import io.cohortflow.core.event.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * A user's counters kept in step with events and time: updated by the events that hit them, evicted
 * as their entries leave every reader's window, rebuilt from the history for new definitions. Each
 * change names the incremental segments whose thresholds it crossed ({@link SegmentEngine}
 * evaluates them), and the instant a counter's value next crosses a threshold is where the user
 * must be woken.
 */
final class Counters {
    private final long horizon;
    private final EngineStats stats;

    // Scratch of onEvent, reused: an engine serves one thread (see SegmentEngine).
    private final List<CounterStore> stores = new ArrayList<>();
    private double[] before = new double[8];

    Counters(long horizon, EngineStats stats) {
        this.horizon = horizon;
        this.stats = stats;
    }

    /**
     * Counts an event (after the history floor) in the stores it hits and adds the segments whose
     * thresholds moved to {@code due}. Returns whether the user's wake-up must be computed again:
     * it was a store's that the event moved later.
     */
    boolean onEvent(UserProfile p, SegmentCatalog catalog, Event e, Set<CompiledSegment> due) {
        boolean recompute = false;
        stores.clear();
        catalog.countersFor(e, stores);
        for (CounterStore store : stores) {
            // Unanchored counters are candidates for every event: test before allocating.
            stats.countersTested++;
            if (!store.hits().test(e)) {
                continue;
            }
            CounterState s = p.counters.get(store.id());
            boolean fresh = s == null;
            if (fresh) {
                s = new CounterState();
            }
            // Each reader's value as formulas read it (entries past their expiry may not have
            // been evicted yet), and the earliest wake-up of its readers.
            List<CounterSpec> views = store.views();
            int n = views.size();
            if (before.length < n) {
                before = new double[n];
            }
            long wakeBefore = Long.MAX_VALUE;
            for (int i = 0; i < n; i++) {
                CounterSpec v = views.get(i);
                int visible = s.firstVisible(v, p.now, p.floor, horizon);
                before[i] = s.valueFrom(v.kind(), visible);
                // Only needed when it may be the user's wake-up: it is never before the first
                // visible entry's expiry.
                if (!fresh
                        && visible < s.size()
                        && s.expiryOf(visible, v, horizon) <= p.nextExpiry) {
                    wakeBefore = Math.min(wakeBefore, wakeFor(catalog, v, s, visible));
                }
            }
            if (!store.add(e, s)) {
                continue;
            }
            stats.countersUpdated++;
            s.evict(store, p.now, p.floor, horizon);
            if (fresh && s.size() > 0) {
                p.counters.put(store.id(), s);
            } else if (!fresh && s.size() == 0) {
                p.counters.remove(store.id());
            }
            long wakeAfter = Long.MAX_VALUE;
            // When this counter held the user's wake-up, whether it moved later must be known
            // exactly; otherwise only a view that may wake the user before it matters.
            boolean held = wakeBefore == p.nextExpiry;
            for (int i = 0; i < n; i++) {
                CounterSpec v = views.get(i);
                int visible = s.firstVisible(v, p.now, p.floor, horizon);
                // A view's wake-up is the expiry of one of its visible entries, so never before
                // its first one's.
                if (visible < s.size()
                        && (held || s.expiryOf(visible, v, horizon) < p.nextExpiry)) {
                    wakeAfter = Math.min(wakeAfter, wakeFor(catalog, v, s, visible));
                }
                // Formulas read counter values only, and a test's outcome changes only where the
                // value reaches one of its pivots: segments whose thresholds the value did not
                // cross (or a count at its retention limit that kept its value) are not due.
                catalog.segmentsCrossing(v, before[i], s.valueFrom(v.kind(), visible), p, due);
            }
            // The user's wake-up is the earliest of all counters': when it was this counter's and
            // moved later (a count at its retention limit, a new maximum), find the next.
            recompute |= wakeBefore == p.nextExpiry && wakeAfter > wakeBefore;
            p.nextExpiry = Math.min(p.nextExpiry, wakeAfter);
        }
        return recompute;
    }

    /**
     * Evicts every counter and collects the segments affected. Formulas last read the counters as
     * of {@code previousNow} and {@code previousFloor} (every flip before then woke the user at its
     * instant): each reader's value since then spans the range from that value to the value now,
     * entries leaving oldest first.
     */
    void sweep(
            UserProfile p,
            SegmentCatalog catalog,
            Set<CompiledSegment> due,
            long previousNow,
            long previousFloor) {
        for (int i = 0; i < p.counters.size(); i++) {
            CounterStore store = catalog.counterStore(p.counters.key(i));
            if (store == null) {
                p.counters.removeAt(i--); // its definitions are gone
                continue;
            }
            CounterState s = p.counters.value(i);
            if (p.floor == previousFloor
                    && s.size() > 0
                    && s.time(0) > p.floor
                    && store.firstExpiry(s.time(0), horizon) > p.now) {
                // Its oldest entry still counts for every reader, so every later one does: no
                // reader's value moved since formulas last read it, and nothing is evicted. Most
                // of a user's counters at a wake-up, which is for one of them.
                continue;
            }
            for (CounterSpec v : store.views()) {
                int was = s.firstVisible(v, previousNow, previousFloor, horizon);
                int is = s.firstVisible(v, p.now, p.floor, horizon);
                if (is == was) {
                    continue;
                }
                double before = s.valueFrom(v.kind(), was);
                if (v.kind() == CounterSpec.Kind.SUM) {
                    // A sum may rise and fall on the way: its range is taken over every step,
                    // each step's sum by subtraction and widened by how far that can lie from the
                    // sum a formula reads (see sumSlack), and the end's as formulas read it.
                    double slack = sumSlack(s, was);
                    double after = s.valueFrom(v.kind(), is);
                    double x = before;
                    double lo = Math.min(before, after);
                    double hi = Math.max(before, after);
                    for (int j = was; j < is - 1; j++) {
                        x -= s.value(j);
                        lo = Math.min(lo, x - slack);
                        hi = Math.max(hi, x + slack);
                    }
                    catalog.segmentsCrossing(v, lo, hi, p, due);
                } else {
                    // The other kinds only fall (MIN: rise): the two ends span the range.
                    catalog.segmentsCrossing(v, before, s.valueFrom(v.kind(), is), p, due);
                }
            }
            if (s.evict(store, p.now, p.floor, horizon) && s.size() == 0) {
                p.counters.removeAt(i--);
            }
        }
    }

    /**
     * Rebuilds the stores {@code segment} reads (each once per call, as {@code rebuilt} records): a
     * new reader may read a longer window or more entries than a store kept for the others. {@code
     * view} gives the visible history, read only when a store needs it.
     */
    void rebuild(
            UserProfile p,
            SegmentCatalog catalog,
            CompiledSegment segment,
            Set<Long> rebuilt,
            Supplier<List<Event>> view) {
        for (CounterSpec spec : segment.counters()) {
            CounterStore store = catalog.counterStore(spec.store());
            if (rebuilt.add(store.id())) {
                build(p, store, view);
            }
        }
    }

    /** Builds the user's {@code store} from their history (or without it, when that is exact). */
    private void build(UserProfile p, CounterStore store, Supplier<List<Event>> view) {
        if (buildWithoutHistory(p, store)) {
            return;
        }
        CounterState s = new CounterState();
        for (Event e : view.get()) {
            store.contribute(e, s);
        }
        keep(p, store, s);
    }

    /**
     * A catch-up over many changed segments (see {@link CatchUpCandidates}): rebuilds the stores a
     * changed segment reads that the user's events or counters reach, then adds to {@code due} the
     * changed segments whose tests those stores' values crossed from an empty store's value (all
     * stores built first: a crossing's guards read the user's other counters).
     */
    void rebuildReached(
            UserProfile p,
            SegmentCatalog catalog,
            Set<String> changed,
            Supplier<List<Event>> view,
            Set<Long> rebuilt,
            Set<CompiledSegment> due) {
        List<CounterStore> built = new ArrayList<>();
        Set<Long> read = catalog.storesReadBy(changed);
        for (long id : CatchUpCandidates.reachedStores(p, catalog, view)) {
            CounterStore store = catalog.counterStore(id);
            if (store == null || !read.contains(id)) {
                continue; // read by unchanged segments only: kept in step by every event
            }
            if (rebuilt.add(id)) {
                build(p, store, view);
            }
            built.add(store);
        }
        List<CompiledSegment> crossed = new ArrayList<>();
        for (CounterStore store : built) {
            CounterState s = p.counters.get(store.id());
            for (CounterSpec v : store.views()) {
                double from = v.kind().empty();
                double to =
                        s == null
                                ? from
                                : s.valueFrom(v.kind(), s.firstVisible(v, p.now, p.floor, horizon));
                crossed.clear();
                catalog.segmentsCrossing(v, from, to, p, crossed);
                CatchUpCandidates.addChanged(crossed, changed, due);
            }
        }
    }

    /**
     * Builds a store without reading the history when that is exact: a store anchored on event
     * names the history does not hold is empty, and a "latest event" store (any event, newest entry
     * only) holds just the latest event inserted. Returns false when the history is needed.
     */
    private boolean buildWithoutHistory(UserProfile p, CounterStore store) {
        Anchor.Equals a =
                store.anchors().size() != 1
                        ? null
                        : store.anchors().get(0) instanceof Anchor.EqualsBoth b
                                ? b.first()
                                : store.anchors().get(0) instanceof Anchor.Equals e ? e : null;
        if (a != null && a.path().equals(Attributes.NAME)) {
            for (String v : a.values()) {
                if (p.names.contains(v)) {
                    return false;
                }
            }
            p.counters.remove(store.id());
            return true;
        }
        if (store.kind() == CounterSpec.Kind.COUNT
                && store.retain() == 1
                && store.views().get(0).key().endsWith("|*")) {
            CounterState s = new CounterState();
            if (!p.names.isEmpty()) {
                s.add(p.lastEventTime, 1, null, 1);
            }
            keep(p, store, s);
            return true;
        }
        return false;
    }

    /** Stores {@code s} as the user's {@code store}, evicted to now; an empty one is not kept. */
    private void keep(UserProfile p, CounterStore store, CounterState s) {
        s.evict(store, p.now, p.floor, horizon);
        if (s.size() > 0) {
            p.counters.put(store.id(), s);
        } else {
            p.counters.remove(store.id());
        }
    }

    /**
     * When the user's counters next matter: {@code wake}, the earliest instant some counter's value
     * crosses a threshold a segment tests ({@link Long#MAX_VALUE} for none); {@code cleanup}, the
     * instant every entry has expired ({@link Long#MIN_VALUE} for none).
     */
    record Instants(long wake, long cleanup) {}

    Instants nextInstants(UserProfile p, SegmentCatalog catalog) {
        long next = Long.MAX_VALUE;
        long cleanup = Long.MIN_VALUE;
        for (int i = 0; i < p.counters.size(); i++) {
            CounterStore store = catalog.counterStore(p.counters.key(i));
            CounterState s = p.counters.value(i);
            if (store != null && s.size() > 0) {
                List<CounterSpec> views = store.views();
                for (int k = 0; k < views.size(); k++) {
                    CounterSpec v = views.get(k);
                    int from = s.firstVisible(v, p.now, p.floor, horizon);
                    // A view's wake-up is the expiry of one of its visible entries, so never
                    // before its first one's: most views are passed over once one is found.
                    if (from < s.size() && s.expiryOf(from, v, horizon) < next) {
                        next = Math.min(next, wakeFor(catalog, v, s, from));
                    }
                }
                cleanup = Math.max(cleanup, s.expiryOf(s.size() - 1, store, horizon));
            }
        }
        return new Instants(next, cleanup);
    }

    /**
     * How far a sum of {@code s}'s entries from {@code from} on, computed by subtracting the
     * leaving entries one by one from their total, may lie from the same sum added up from left to
     * right, which is what a formula reads ({@link CounterState#valueFrom}): in floating point the
     * two differ (19.99 + 5.01 less both is 1.8e-15, not 0), and a range built from the first
     * missed a threshold the second crosses, so a membership lapsed late or never. Each of the
     * {@code m} additions and subtractions is off by at most half an ulp of the sum of the
     * magnitudes; four ulps per entry covers both sums. Infinite when the entries overflow (every
     * threshold may then be crossed, and is tested).
     */
    private static double sumSlack(CounterState s, int from) {
        double magnitude = 0;
        for (int j = from; j < s.size(); j++) {
            magnitude += Math.abs(s.value(j));
        }
        if (!Double.isFinite(magnitude)) {
            return Double.POSITIVE_INFINITY;
        }
        return 4.0 * (s.size() - from + 1) * Math.ulp(magnitude);
    }

    /**
     * The first expiry instant of {@code s} at which a segment reading it through {@code spec} may
     * answer differently than now, or {@link Long#MAX_VALUE}; {@code from} is its first entry
     * visible now.
     */
    private long wakeFor(SegmentCatalog catalog, CounterSpec spec, CounterState s, int from) {
        CounterSpec.Kind kind = spec.kind();
        Readers readers = catalog.readers(spec.id());
        if (from >= s.size() || readers == null) {
            return Long.MAX_VALUE;
        }
        if (kind == CounterSpec.Kind.SUM) {
            // Not monotone: the values passed through since now, as entries leave one by one,
            // each by subtraction and widened as in the sweep; with none left, exactly 0.
            double slack = sumSlack(s, from);
            double v = s.valueFrom(kind, from);
            double lo = v;
            double hi = v;
            for (int j = from; j < s.size(); j++) {
                boolean last = j == s.size() - 1;
                v = last ? 0 : v - s.value(j);
                lo = Math.min(lo, last ? v : v - slack);
                hi = Math.max(hi, last ? v : v + slack);
                if (readers.mayFlip(kind, lo, hi)) {
                    return s.expiryOf(j, spec, horizon);
                }
            }
            return Long.MAX_VALUE;
        }
        if (kind == CounterSpec.Kind.COUNT
                || kind == CounterSpec.Kind.DISTINCT
                || kind == CounterSpec.Kind.VISITS) {
            // One entry per unit counted: the value from entry j on is size - j, so the first
            // flip is found among the pivots, not by trying each entry.
            long flip = readers.firstFlipFalling(s.size() - from);
            return flip < 0 ? Long.MAX_VALUE : s.expiryOf(s.size() - (int) flip - 1, spec, horizon);
        }
        // The other kinds only fall (or, for MIN, rise) as entries leave, oldest first.
        double v0 = s.valueFrom(kind, from);
        for (int j = from + 1; j <= s.size(); j++) {
            if (readers.mayFlip(kind, v0, s.valueFrom(kind, j))) {
                return s.expiryOf(j - 1, spec, horizon);
            }
        }
        return Long.MAX_VALUE;
    }
}
