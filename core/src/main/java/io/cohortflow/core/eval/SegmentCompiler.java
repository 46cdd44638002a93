package io.cohortflow.core.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cohortflow.core.definition.Attributes;
import io.cohortflow.core.definition.Definition;
import io.cohortflow.core.definition.DefinitionWriter;
import io.cohortflow.core.definition.Pred;
import io.cohortflow.core.definition.Val;
import io.cohortflow.core.definition.Visitor;
import io.cohortflow.core.definition.Window;
import io.cohortflow.core.event.Event;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.DoublePredicate;
import java.util.function.LongToIntFunction;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * Compiles a resolved definition. Visitor- and hit-level logic (comparisons, exists, event-exists,
 * metrics, distinct counts, nested hit and visitor containers, windows, and/or/not) becomes a
 * formula over counters; visit containers and sequences, whose answer depends on how events group
 * and order, are evaluated over the history instead.
 */
final class SegmentCompiler {
    /** A profile without events: every counter reads 0. Never written. */
    private static final UserProfile EMPTY = new UserProfile();

    /** Whether {@code f} holds for a user with no events: every counter it reads is zero. */
    static boolean holdsOnEmpty(Formula f) {
        return Formula.holds(f, EMPTY, 0);
    }

    /** Thrown where a definition needs its history: it is then evaluated over it. */
    static final class NotIncremental extends RuntimeException {
        NotIncremental() {
            super(null, null, false, false);
        }
    }

    private final Map<Long, CounterSpec> counters = new LinkedHashMap<>();

    /** The workspace's numbering of counter stores (see {@link SegmentOrdinals}). */
    private final LongToIntFunction storeNumbers;

    private SegmentCompiler(LongToIntFunction storeNumbers) {
        this.storeNumbers = storeNumbers;
    }

    /**
     * Compiles a resolved definition; {@code storeNumbers} gives each counter store the segment
     * reads its number in the workspace, from the store's hash.
     */
    static CompiledSegment compile(
            String id,
            int ordinal,
            long version,
            Definition resolved,
            LongToIntFunction storeNumbers) {
        SegmentCompiler c = new SegmentCompiler(storeNumbers);
        List<Window> windows = new ArrayList<>();
        Visitor.walk(
                resolved.container(),
                p -> {
                    if (p instanceof Pred.Container k && k.window() != null) {
                        windows.add(k.window());
                    }
                });
        try {
            Formula f = c.container(resolved.container(), null);
            return new CompiledSegment(
                    id,
                    ordinal,
                    version,
                    resolved,
                    f,
                    List.copyOf(c.counters.values()),
                    null,
                    List.of(),
                    null,
                    false,
                    null,
                    false,
                    List.of(),
                    0,
                    null);
        } catch (NotIncremental e) {
            return new CompiledSegment(
                    id,
                    ordinal,
                    version,
                    resolved,
                    null,
                    List.of(),
                    RelevantNames.of(resolved.container()),
                    List.copyOf(windows),
                    RelevantNames.visitGate(resolved.container()),
                    AppendRules.monotone(resolved.container()),
                    AppendRules.completingNames(resolved.container()),
                    AppendRules.visitLocal(resolved.container()),
                    RequiredNames.of(resolved.container()),
                    AppendRules.visitMinHits(resolved.container()),
                    PairSequence.of(resolved.container()));
        }
    }

    // ---- incremental plan ------------------------------------------------------------------

    private Formula container(Pred.Container c, @Nullable Window outer) {
        Window w = intersect(outer, c.window());
        switch (c.context()) {
            case VISITORS:
                if (c.atLeast() > 1) {
                    return new Formula.Any(List.of()); // one visitor can never be N > 1 units
                }
                Formula pred = visitor(c.pred(), w);
                // The container needs the visitor present (an event in the window). Without one,
                // every counter the predicate reads (windows within w) is 0, so where the predicate
                // is false on an empty profile the presence test is implied and dropped: exact,
                // and it keeps a user's first event (or a lapse of presence) from making every
                // such segment due.
                if (!holdsOnEmpty(pred)) {
                    return pred;
                }
                return new Formula.All(
                        List.of(
                                test(
                                        counter(CounterSpec.Kind.COUNT, null, null, w, 1),
                                        v -> v >= 1,
                                        Pivot.upper(1)),
                                pred));
            case HITS:
                {
                    int n = c.atLeast();
                    return test(
                            counter(CounterSpec.Kind.COUNT, null, c.pred(), w, n),
                            v -> v >= n,
                            Pivot.upper(n));
                }
            default:
                throw new NotIncremental();
        }
    }

    /** {@code p} over the visitor's events within window {@code w}. */
    private Formula visitor(Pred p, @Nullable Window w) {
        if (p instanceof Pred.Container c) {
            return container(c, w);
        }
        if (p instanceof Pred.And a) {
            List<Formula> parts = new ArrayList<>();
            a.preds().forEach(x -> parts.add(visitor(x, w)));
            return new Formula.All(List.copyOf(parts));
        }
        if (p instanceof Pred.Or o) {
            List<Formula> parts = new ArrayList<>();
            o.preds().forEach(x -> parts.add(visitor(x, w)));
            return new Formula.Any(List.copyOf(parts));
        }
        if (p instanceof Pred.Not n) {
            return new Formula.Not(visitor(n.pred(), w));
        }
        if (p instanceof Pred.Without n) {
            return new Formula.Not(visitor(n.pred(), w));
        }
        if (p instanceof Pred.Compare c) {
            if (c.val().aggregate()) {
                return aggregate(
                        c.val(),
                        w,
                        v -> Comparisons.testNumber(c, v),
                        Thresholds.pivots(c),
                        Thresholds.retainFor(c));
            }
            Formula extreme = extreme(c, w);
            if (extreme != null) {
                return extreme;
            }
            return test(
                    counter(CounterSpec.Kind.COUNT, null, p, w, 1), v -> v >= 1, Pivot.upper(1));
        }
        if (p instanceof Pred.Exists x) {
            if (x.val().aggregate()) {
                boolean neg = x.negated();
                return aggregate(x.val(), w, v -> (v != 0) != neg, new Pivot[] {Pivot.point(0)}, 1);
            }
            return test(
                    counter(CounterSpec.Kind.COUNT, null, p, w, 1), v -> v >= 1, Pivot.upper(1));
        }
        if (p instanceof Pred.EventExists x) {
            Pred positive = new Pred.EventExists(x.event(), false, null);
            // "< 1", not "== 0": the same on a count, and constant on each side of the pivot as a
            // test's outcomes are taken to be (see Formula.Outcomes).
            DoublePredicate t = x.negated() ? v -> v < 1 : v -> v >= 1;
            return test(counter(CounterSpec.Kind.COUNT, null, positive, w, 1), t, Pivot.upper(1));
        }
        throw new NotIncremental(); // sequences
    }

    /**
     * "Some event in the window has a number above (below) N" as the largest (smallest) number of
     * the dimension in the window, compared with N: one counter per dimension and window for every
     * threshold. Null for other comparisons.
     */
    @Nullable
    private Formula extreme(Pred.Compare c, @Nullable Window w) {
        String path = Attributes.dimension(((Val.Attr) c.val()).name());
        double n = c.num() == null ? Double.NaN : c.num();
        return switch (c.op()) {
            case GT ->
                    test(extremeCounter(CounterSpec.Kind.MAX, path, w), v -> v > n, Pivot.lower(n));
            case GE ->
                    test(
                            extremeCounter(CounterSpec.Kind.MAX, path, w),
                            v -> v >= n,
                            Pivot.upper(n));
            case LT ->
                    test(extremeCounter(CounterSpec.Kind.MIN, path, w), v -> v < n, Pivot.upper(n));
            case LE ->
                    test(
                            extremeCounter(CounterSpec.Kind.MIN, path, w),
                            v -> v <= n,
                            Pivot.lower(n));
            default -> null;
        };
    }

    private CounterSpec extremeCounter(CounterSpec.Kind kind, String path, @Nullable Window w) {
        return register(
                CounterSpec.of(
                        kind,
                        path,
                        "*",
                        e -> true,
                        w,
                        Anchors.presence(path).map(List::<Anchor>of).orElse(List.of()),
                        Integer.MAX_VALUE,
                        storeNumbers));
    }

    private Formula aggregate(
            Val val, @Nullable Window w, DoublePredicate t, Pivot[] pivots, int retain) {
        if (val instanceof Val.TotalDistinct td) {
            String path = Attributes.dimension(td.field());
            return test(
                    register(
                            CounterSpec.of(
                                    CounterSpec.Kind.DISTINCT,
                                    path,
                                    "*",
                                    e -> true,
                                    w,
                                    Anchors.presence(path).map(List::<Anchor>of).orElse(List.of()),
                                    Integer.MAX_VALUE,
                                    storeNumbers)),
                    t,
                    pivots);
        }
        String metric =
                val instanceof Val.Total tot
                        ? tot.metric()
                        : Attributes.metric(((Val.Attr) val).name());
        switch (metric) {
            case Attributes.OCCURRENCES:
                return test(counter(CounterSpec.Kind.COUNT, null, null, w, retain), t, pivots);
            case Attributes.VISITS:
                return test(
                        counter(CounterSpec.Kind.VISITS, null, null, w, Integer.MAX_VALUE),
                        t,
                        pivots);
            case Attributes.VISITORS:
                return test(
                        counter(CounterSpec.Kind.COUNT, null, null, w, 1),
                        v -> t.test(Math.min(v, 1)),
                        (Pivot[]) null); // tested on min(v, 1): any change may matter
            default:
                return test(
                        register(
                                CounterSpec.of(
                                        CounterSpec.Kind.SUM,
                                        metric,
                                        "*",
                                        e -> true,
                                        w,
                                        sumAnchors(metric),
                                        Integer.MAX_VALUE,
                                        storeNumbers)),
                        t,
                        pivots);
        }
    }

    /**
     * An event adds to the sum of metric {@code m} when its property {@code m} is a number, or when
     * it is named {@code m} (see {@link Metrics#perEvent}): both are anchors. A metric named like a
     * dimension of its own (name, view or session id) reads the property while the index would read
     * the dimension, so it stays unanchored.
     */
    private static List<Anchor> sumAnchors(String metric) {
        if (special(metric)) {
            return List.of();
        }
        return List.of(
                new Anchor.Equals(Attributes.NAME, Set.of(metric)), new Anchor.Present(metric));
    }

    private static boolean special(String path) {
        return path.equals(Attributes.NAME)
                || path.equals(Attributes.VIEW_ID)
                || path.equals(Attributes.SESSION_ID);
    }

    /**
     * A test of a counter's value whose outcome can change only when the value reaches or passes
     * one of {@code pivots} (null: at any change), so that a counter that moved re-evaluates just
     * the segments whose thresholds it crossed.
     */
    private static Formula test(CounterSpec c, DoublePredicate t, @Nullable Pivot... pivots) {
        return new Formula.Test(c, t, pivots);
    }

    private CounterSpec counter(
            CounterSpec.Kind kind,
            @Nullable String field,
            @Nullable Pred hitPred,
            @Nullable Window w,
            int retain) {
        Predicate<Event> hits = hitPred == null ? e -> true : HitPredicates.of(hitPred);
        String key = hitPred == null ? "*" : canonical(hitPred);
        Anchor anchor = hitPred == null ? null : Anchors.of(hitPred);
        return register(
                CounterSpec.of(
                        kind,
                        field,
                        key,
                        hits,
                        w,
                        anchor == null ? List.of() : List.of(anchor),
                        retain,
                        storeNumbers));
    }

    /** One counter per identity, shared by every part of the definition that needs it. */
    private CounterSpec register(CounterSpec spec) {
        CounterSpec existing = counters.putIfAbsent(spec.id(), spec);
        return existing == null ? spec : existing;
    }

    /** Windows nest: an event counts only when visible in both. */
    @Nullable
    private static Window intersect(@Nullable Window a, @Nullable Window b) {
        if (a == null) {
            return b;
        }
        if (b == null || a.equals(b)) {
            return a;
        }
        if (a.unit() == b.unit()) {
            return a.count() <= b.count() ? a : b;
        }
        boolean fixed = isFixed(a) && isFixed(b);
        if (!fixed) {
            throw new NotIncremental(); // calendar and fixed lengths do not order
        }
        return a.unit().approxMillis(a.count()) <= b.unit().approxMillis(b.count()) ? a : b;
    }

    private static boolean isFixed(Window w) {
        return switch (w.unit()) {
            case MONTH, QUARTER, YEAR -> false;
            default -> true;
        };
    }

    /** The canonical JSON of a predicate without descriptions: what identifies a counter. */
    static String canonical(Pred p) {
        ObjectNode o = DefinitionWriter.pred(p);
        stripDescriptions(o);
        return o.toString();
    }

    private static void stripDescriptions(JsonNode n) {
        if (n instanceof ObjectNode o) {
            o.remove("description");
        }
        n.forEach(SegmentCompiler::stripDescriptions);
    }
}
