package io.cohortflow.core.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cohortflow.core.definition.Attributes;
import io.cohortflow.core.definition.Context;
import io.cohortflow.core.definition.Definition;
import io.cohortflow.core.definition.DefinitionWriter;
import io.cohortflow.core.definition.Op;
import io.cohortflow.core.definition.Pred;
import io.cohortflow.core.definition.SeqItem;
import io.cohortflow.core.definition.Val;
import io.cohortflow.core.definition.Visitor;
import io.cohortflow.core.definition.Window;
import io.cohortflow.core.event.Event;
import io.cohortflow.core.event.Values;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.DoublePredicate;
import java.util.function.Predicate;
import javax.annotation.Nullable;

/**
 * Compiles a resolved definition. Visitor- and hit-level logic (comparisons, exists, event-exists,
 * metrics, distinct counts, nested hit and visitor containers, windows, and/or/not) becomes a
 * formula over counters; visit containers and sequences, whose answer depends on how events group
 * and order, are evaluated over the history instead.
 */
final class SegmentCompiler {
    /** Evaluator for predicates without windows, where "now" does not matter. */
    private static final ReferenceEvaluator TIMELESS = new ReferenceEvaluator(0);

    /** Counts compared with thresholds above this keep all their entries. */
    private static final int MAX_RETAIN = 1_000;

    private static final class NotIncremental extends RuntimeException {
        NotIncremental() {
            super(null, null, false, false);
        }
    }

    private final Map<Long, CounterSpec> counters = new LinkedHashMap<>();

    private SegmentCompiler() {}

    static CompiledSegment compile(String id, long version, Definition resolved) {
        SegmentCompiler c = new SegmentCompiler();
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
                    id, version, resolved, f, List.copyOf(c.counters.values()), null, List.of());
        } catch (NotIncremental e) {
            return new CompiledSegment(
                    id,
                    version,
                    resolved,
                    null,
                    List.of(),
                    relevance(resolved.container()),
                    List.copyOf(windows));
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
                return new Formula.All(
                        List.of(
                                test(
                                        counter(CounterSpec.Kind.COUNT, null, null, w, 1),
                                        v -> v >= 1),
                                visitor(c.pred(), w)));
            case HITS:
                {
                    int n = c.atLeast();
                    return test(counter(CounterSpec.Kind.COUNT, null, c.pred(), w, n), v -> v >= n);
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
                return aggregate(c.val(), w, v -> Comparisons.testNumber(c, v), retainFor(c));
            }
            return test(counter(CounterSpec.Kind.COUNT, null, p, w, 1), v -> v >= 1);
        }
        if (p instanceof Pred.Exists x) {
            if (x.val().aggregate()) {
                boolean neg = x.negated();
                return aggregate(x.val(), w, v -> (v != 0) != neg, 1);
            }
            return test(counter(CounterSpec.Kind.COUNT, null, p, w, 1), v -> v >= 1);
        }
        if (p instanceof Pred.EventExists x) {
            Pred positive = new Pred.EventExists(x.event(), false, null);
            DoublePredicate t = x.negated() ? v -> v == 0 : v -> v >= 1;
            return test(counter(CounterSpec.Kind.COUNT, null, positive, w, 1), t);
        }
        throw new NotIncremental(); // sequences
    }

    private Formula aggregate(Val val, @Nullable Window w, DoublePredicate t, int retain) {
        if (val instanceof Val.TotalDistinct td) {
            String path = Attributes.dimension(td.field());
            return test(counter(CounterSpec.Kind.DISTINCT, path, null, w, Integer.MAX_VALUE), t);
        }
        String metric =
                val instanceof Val.Total tot
                        ? tot.metric()
                        : Attributes.metric(((Val.Attr) val).name());
        switch (metric) {
            case Attributes.OCCURRENCES:
                return test(counter(CounterSpec.Kind.COUNT, null, null, w, retain), t);
            case Attributes.VISITS:
                return test(counter(CounterSpec.Kind.VISITS, null, null, w, Integer.MAX_VALUE), t);
            case Attributes.VISITORS:
                return test(
                        counter(CounterSpec.Kind.COUNT, null, null, w, 1),
                        v -> t.test(Math.min(v, 1)));
            default:
                return test(counter(CounterSpec.Kind.SUM, metric, null, w, Integer.MAX_VALUE), t);
        }
    }

    /** How many newest entries a count needs so every comparison in {@code c} stays exact. */
    private static int retainFor(Pred.Compare c) {
        double max = 0;
        List<Double> all = new ArrayList<>();
        if (c.num() != null) {
            all.add(c.num());
        }
        if (c.nums() != null) {
            all.addAll(c.nums());
        }
        if (c.low() != null) {
            all.add(c.low());
        }
        if (c.high() != null) {
            all.add(c.high());
        }
        for (double d : all) {
            max = Math.max(max, d);
        }
        if (max >= MAX_RETAIN) {
            return Integer.MAX_VALUE;
        }
        return (int) Math.floor(max) + 2;
    }

    private static Formula test(CounterSpec c, DoublePredicate t) {
        return new Formula.Test(c, t);
    }

    private CounterSpec counter(
            CounterSpec.Kind kind,
            @Nullable String field,
            @Nullable Pred hitPred,
            @Nullable Window w,
            int retain) {
        Predicate<Event> hits = hitPred == null ? e -> true : hit(hitPred);
        String key = hitPred == null ? "*" : canonical(hitPred);
        Anchor anchor = hitPred == null ? null : anchor(hitPred);
        CounterSpec spec = CounterSpec.of(kind, field, key, hits, w, anchor, retain);
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

    // ---- hit predicates --------------------------------------------------------------------

    /** A predicate on one event, with the same meaning as the reference evaluator on one hit. */
    static Predicate<Event> hit(Pred p) {
        if (p instanceof Pred.Compare c && !c.val().aggregate()) {
            String path = Attributes.dimension(((Val.Attr) c.val()).name());
            if (path.equals(Attributes.NAME) && c.op() == Op.STREQ) {
                String name = c.str();
                return e -> e.name().equals(name);
            }
            return e -> Comparisons.test(c, Values.dimension(e, path));
        }
        if (p instanceof Pred.EventExists x) {
            String name = x.event();
            boolean neg = x.negated();
            return e -> e.name().equals(name) != neg;
        }
        if (p instanceof Pred.And a) {
            List<Predicate<Event>> parts = new ArrayList<>();
            a.preds().forEach(x -> parts.add(hit(x)));
            return e -> {
                for (Predicate<Event> t : parts) {
                    if (!t.test(e)) {
                        return false;
                    }
                }
                return true;
            };
        }
        if (p instanceof Pred.Or o) {
            List<Predicate<Event>> parts = new ArrayList<>();
            o.preds().forEach(x -> parts.add(hit(x)));
            return e -> {
                for (Predicate<Event> t : parts) {
                    if (t.test(e)) {
                        return true;
                    }
                }
                return false;
            };
        }
        if (p instanceof Pred.Not n) {
            return hit(n.pred()).negate();
        }
        if (p instanceof Pred.Without n) {
            return hit(n.pred()).negate();
        }
        if (hasWindow(p)) {
            throw new NotIncremental(); // a window inside a single hit depends on "now"
        }
        return e -> TIMELESS.pred(p, List.of(e));
    }

    private static boolean hasWindow(Pred p) {
        boolean[] found = {false};
        Visitor.walk(
                p,
                x -> {
                    if (x instanceof Pred.Container c && c.window() != null) {
                        found[0] = true;
                    }
                });
        return found[0];
    }

    /** A necessary condition on one dimension for {@code p} to hold for a hit, if there is one. */
    @Nullable
    static Anchor anchor(Pred p) {
        if (p instanceof Pred.Compare c && !c.val().aggregate()) {
            String path = Attributes.dimension(((Val.Attr) c.val()).name());
            if (c.op() == Op.STREQ) {
                return new Anchor(path, Set.of(c.str()));
            }
            if (c.op() == Op.STREQ_IN) {
                return new Anchor(path, Set.copyOf(c.strs()));
            }
            return null;
        }
        if (p instanceof Pred.EventExists x && !x.negated()) {
            return new Anchor(Attributes.NAME, Set.of(x.event()));
        }
        if (p instanceof Pred.And a) {
            Anchor best = null;
            for (Pred x : a.preds()) {
                Anchor an = anchor(x);
                if (an != null && (best == null || an.path().equals(Attributes.NAME))) {
                    best = an;
                }
            }
            return best;
        }
        if (p instanceof Pred.Or o) {
            String path = null;
            Set<String> values = new HashSet<>();
            for (Pred x : o.preds()) {
                Anchor an = anchor(x);
                if (an == null || (path != null && !path.equals(an.path()))) {
                    return null;
                }
                path = an.path();
                values.addAll(an.values());
            }
            return new Anchor(path, Set.copyOf(values));
        }
        if (p instanceof Pred.Container c && c.window() == null && c.atLeast() == 1) {
            return anchor(c.pred());
        }
        return null;
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

    // ---- history plan ----------------------------------------------------------------------

    /**
     * The event names that can change a history-evaluated answer, or null when any event can. A
     * predicate "depends only on names S" when its value on any set of events equals its value on
     * the subset named in S; containers additionally need their predicate to be false on no events,
     * or a unit of other events would satisfy it.
     */
    @Nullable
    static Set<String> relevance(Pred p) {
        if (p instanceof Pred.Container c) {
            Set<String> r = relevance(c.pred());
            return r != null && !TIMELESS.pred(c.pred(), List.of()) ? r : null;
        }
        if (p instanceof Pred.And a) {
            return union(a.preds());
        }
        if (p instanceof Pred.Or o) {
            return union(o.preds());
        }
        if (p instanceof Pred.Not n) {
            return relevance(n.pred());
        }
        if (p instanceof Pred.Without n) {
            return relevance(n.pred());
        }
        if (p instanceof Pred.EventExists x) {
            return Set.of(x.event());
        }
        if (p instanceof Pred.Compare c && !c.val().aggregate()) {
            Anchor a = anchor(c);
            return a != null && a.path().equals(Attributes.NAME) ? a.values() : null;
        }
        if (p instanceof Pred.Sequence s && s.kind() == Pred.SequenceKind.SEQUENCE) {
            Set<String> out = new HashSet<>();
            for (SeqItem it : s.stream()) {
                List<Pred> checkpoints = new ArrayList<>();
                if (it instanceof SeqItem.Checkpoint c) {
                    checkpoints.add(c.pred());
                } else if (it instanceof SeqItem.Group g) {
                    checkpoints.addAll(g.checkpoints());
                } else if (!(it instanceof SeqItem.TimeRestriction
                        || it instanceof SeqItem.ExcludeNext)) {
                    return null; // hit, visit and dimension gaps count every event
                }
                for (Pred cp : checkpoints) {
                    if (cp instanceof Pred.Container k && k.context() != Context.HITS) {
                        return null;
                    }
                    Anchor a = anchor(cp);
                    if (a == null || !a.path().equals(Attributes.NAME) || hasWindow(cp)) {
                        return null;
                    }
                    out.addAll(a.values());
                }
            }
            return Set.copyOf(out);
        }
        return null;
    }

    @Nullable
    private static Set<String> union(List<Pred> ps) {
        Set<String> out = new HashSet<>();
        for (Pred x : ps) {
            Set<String> r = relevance(x);
            if (r == null) {
                return null;
            }
            out.addAll(r);
        }
        return Set.copyOf(out);
    }
}
