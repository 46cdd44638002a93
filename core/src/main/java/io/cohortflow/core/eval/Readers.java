package io.cohortflow.core.eval;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The segments that read one counter, indexed by the values at which their tests of it can change
 * outcome: when the counter moves from one value to another, only the segments with a pivot between
 * the two (inclusive) are evaluated again, so a counter read by thousands of thresholds (a largest
 * page depth, a revenue sum) costs the thresholds it crossed. Segments whose tests give no pivots
 * are evaluated at every change.
 */
final class Readers {
    private final List<CompiledSegment> all;
    private final List<CompiledSegment> always;

    /**
     * The pivots, ascending, as columns side by side: value, side, segment, the segment's ordinal.
     * They are searched and tested on every change of the counter, and a record per pivot (and the
     * segment behind it, for its ordinal) lay each somewhere else on the heap.
     */
    private final double[] pivotAt;

    private final Pivot.Side[] sideAt;
    private final CompiledSegment[] atPivot;
    private final int[] ordinalAt;

    /**
     * Per pivot, the other counters its segment cannot hold without (see {@link #guards}), null for
     * none: a user's first event moves a largest page depth past half the catalogue's depth
     * thresholds, while the category each of those filters also needs is one the user never saw.
     */
    private final long[] @Nullable [] guardsAt;

    Readers(
            List<CompiledSegment> all,
            List<CompiledSegment> always,
            Pivot[] pivots,
            CompiledSegment[] atPivot,
            long[][] guardsAt) {
        this.all = all;
        this.always = always;
        int n = pivots.length;
        this.pivotAt = new double[n];
        this.sideAt = new Pivot.Side[n];
        this.ordinalAt = new int[n];
        this.guardsAt = new long[n][];
        for (int i = 0; i < n; i++) {
            pivotAt[i] = pivots[i].at();
            sideAt[i] = pivots[i].side();
            ordinalAt[i] = atPivot[i].ordinal();
            this.guardsAt[i] = guardsAt[i].length == 0 ? null : guardsAt[i];
        }
        this.atPivot = atPivot;
    }

    /** Every counter's readers among {@code segments} (the incremental ones). */
    static Map<Long, Readers> of(Collection<CompiledSegment> segments) {
        Map<Long, List<CompiledSegment>> all = new HashMap<>();
        Map<Long, List<CompiledSegment>> always = new HashMap<>();
        Map<Long, List<Map.Entry<Pivot, CompiledSegment>>> pivoted = new HashMap<>();
        Map<Long, Long> storeOf = new HashMap<>();
        for (CompiledSegment s : segments) {
            if (!s.incremental()) {
                continue;
            }
            Map<Long, Boolean> seen = new HashMap<>();
            s.formula()
                    .tests(
                            t -> {
                                long id = t.counter().id();
                                storeOf.put(id, t.counter().store());
                                if (seen.putIfAbsent(id, true) == null) {
                                    all.computeIfAbsent(id, k -> new ArrayList<>()).add(s);
                                }
                                if (t.pivots() == null) {
                                    always.computeIfAbsent(id, k -> new ArrayList<>()).add(s);
                                } else {
                                    for (Pivot p : t.pivots()) {
                                        pivoted.computeIfAbsent(id, k -> new ArrayList<>())
                                                .add(Map.entry(p, s));
                                    }
                                }
                            });
        }
        Map<Long, Readers> out = new HashMap<>();
        for (Map.Entry<Long, List<CompiledSegment>> e : all.entrySet()) {
            List<Map.Entry<Pivot, CompiledSegment>> ps =
                    pivoted.getOrDefault(e.getKey(), new ArrayList<>());
            ps.sort(Comparator.comparingDouble(x -> x.getKey().at()));
            Pivot[] pivots = new Pivot[ps.size()];
            CompiledSegment[] at = new CompiledSegment[ps.size()];
            long[][] guards = new long[ps.size()][];
            long store = storeOf.get(e.getKey());
            for (int i = 0; i < ps.size(); i++) {
                pivots[i] = ps.get(i).getKey();
                at[i] = ps.get(i).getValue();
                guards[i] = guards(at[i].formula(), store);
            }
            out.put(
                    e.getKey(),
                    new Readers(
                            List.copyOf(e.getValue()),
                            List.copyOf(always.getOrDefault(e.getKey(), List.of())),
                            pivots,
                            at,
                            guards));
        }
        return out;
    }

    /**
     * The stores other than {@code except} whose absence from a profile makes {@code f} false:
     * those of the tests {@code f} needs (its own, or its conjuncts') that fail on an empty
     * counter.
     */
    static long[] guards(Formula f, long except) {
        java.util.Set<Long> out = new java.util.LinkedHashSet<>();
        collectGuards(f, out);
        out.remove(except);
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    private static void collectGuards(Formula f, java.util.Set<Long> out) {
        if (f instanceof Formula.All a) {
            a.parts().forEach(x -> collectGuards(x, out));
        } else if (f instanceof Formula.Test t && !t.test().test(t.counter().kind().empty())) {
            out.add(t.counter().store());
        }
    }

    /**
     * Whether a segment at pivot {@code i} stays as it is for this user whatever the crossing: not
     * a member, and a store its formula needs is absent, so the formula is false, as it was.
     */
    private boolean guardedOut(int i, UserProfile p, MembershipRows memberships) {
        long[] g = guardsAt[i];
        if (g == null || memberships.isMember(ordinalAt[i])) {
            return false;
        }
        for (long store : g) {
            if (p.counter(store) == null) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether some reader's outcome may differ between values {@code a} and {@code b}: a pivot
     * between them, or a reader without pivots and a change.
     */
    boolean mayFlip(CounterSpec.Kind kind, double a, double b) {
        a = orderable(kind, a);
        b = orderable(kind, b);
        if (Double.isNaN(a) || Double.isNaN(b)) {
            return true;
        }
        if (a == b) {
            return false;
        }
        if (!always.isEmpty()) {
            return true;
        }
        double lo = Math.min(a, b);
        double hi = Math.max(a, b);
        for (int i = firstAtLeast(lo); i < pivotAt.length && pivotAt[i] <= hi; i++) {
            if (Pivot.crossedBy(pivotAt[i], sideAt[i], lo, hi)) {
                return true;
            }
        }
        return false;
    }

    /**
     * For a count falling one by one from {@code from} (entries leaving a window): the largest
     * value below {@code from} at which some reader may answer differently than at {@code from}
     * (the first {@code v} for which {@link #mayFlip} holds), or -1 when none down to 0 does. A
     * count of many entries read by small thresholds would otherwise be tested once per entry.
     */
    long firstFlipFalling(long from) {
        if (from <= 0) {
            return -1;
        }
        if (!always.isEmpty()) {
            return from - 1;
        }
        // A pivot at `at` is crossed on the way down first at the largest integer below it
        // (UPPER: `at` itself belongs above) or at it (LOWER, POINT); never above `at`, so the
        // walk down the sorted pivots stops once they lie at or below the best found.
        long best = -1;
        for (int i = firstAtLeast(Math.nextUp((double) from)) - 1;
                i >= 0 && pivotAt[i] > best;
                i--) {
            double pivot = pivotAt[i];
            Pivot.Side side = sideAt[i];
            long at =
                    side == Pivot.Side.UPPER
                            ? (long) Math.ceil(pivot) - 1
                            : (long) Math.floor(pivot);
            // A count at a POINT's value flips on leaving it, whatever it falls to.
            boolean reached = side == Pivot.Side.LOWER ? pivot < from : pivot <= from;
            if (reached) {
                best = Math.max(best, Math.min(at, from - 1));
            }
        }
        return best;
    }

    /** The first pivot at or above {@code v}. */
    private int firstAtLeast(double v) {
        int lo = 0;
        int hi = pivotAt.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (pivotAt[mid] < v) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private static double orderable(CounterSpec.Kind kind, double v) {
        if (!Double.isNaN(v)) {
            return v;
        }
        return switch (kind) {
            case MAX -> Double.NEGATIVE_INFINITY;
            case MIN -> Double.POSITIVE_INFINITY;
            default -> v;
        };
    }

    /**
     * Adds the readers whose outcome may differ between the counter's values {@code before} and
     * {@code after}. An empty MAX (NaN, which no test of it passes: they all ask for a value above
     * a bound) stands below every pivot, an empty MIN above every pivot.
     */
    void crossing(
            CounterSpec.Kind kind,
            double before,
            double after,
            UserProfile p,
            Collection<CompiledSegment> out) {
        before = orderable(kind, before);
        after = orderable(kind, after);
        if (Double.isNaN(before) || Double.isNaN(after)) {
            out.addAll(all);
            return;
        }
        if (before == after) {
            return;
        }
        out.addAll(always);
        double lo = Math.min(before, after);
        double hi = Math.max(before, after);
        MembershipRows memberships = p.memberships;
        for (int i = firstAtLeast(lo); i < pivotAt.length && pivotAt[i] <= hi; i++) {
            if (Pivot.crossedBy(pivotAt[i], sideAt[i], lo, hi) && !guardedOut(i, p, memberships)) {
                out.add(atPivot[i]);
            }
        }
    }
}
