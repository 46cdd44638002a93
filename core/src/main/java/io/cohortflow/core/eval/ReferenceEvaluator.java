package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Context;
import io.cohortflow.core.definition.Pred;
import io.cohortflow.core.definition.Val;
import io.cohortflow.core.event.Event;
import io.cohortflow.core.event.Values;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The meaning of the language, written as plainly as possible: evaluation of a resolved definition
 * (no {@code segment-ref} left) over a user's whole visible history at an instant {@code now}.
 *
 * <p>This is the specification the incremental engine is tested against, and the evaluator of the
 * definitions the engine cannot maintain from aggregates (sequences and visit containers): those
 * cost time proportional to the user's bounded history.
 *
 * <p>Semantics in brief: a container holds in a scope when one of its units (a hit, a visit, the
 * visitor) inside its window satisfies its predicate. A dimension comparison holds for a unit when
 * one of the unit's hits satisfies it; a metric comparison compares the aggregate over the unit.
 */
public final class ReferenceEvaluator {
    /** For predicates without windows, where "now" does not matter (hit predicates). */
    static final ReferenceEvaluator TIMELESS = new ReferenceEvaluator(0);

    private final long now;

    // The visits of the last scope grouped: the engine evaluates many visit containers over the
    // same (unmodified) history list at one instant, and grouping it is most of their cost. Only
    // in evaluators made for one evaluation ({@link #forOneEvaluation}): a shared one would race.
    private final boolean cacheVisits;
    @Nullable private List<Event> groupedScope;
    @Nullable private List<List<Event>> groupedVisits;

    /**
     * @param now the evaluation instant: windows are (now - length, now].
     */
    public ReferenceEvaluator(long now) {
        this(now, false);
    }

    private ReferenceEvaluator(long now, boolean cacheVisits) {
        this.now = now;
        this.cacheVisits = cacheVisits;
    }

    /**
     * An evaluator for one thread and one history list at a time, which groups that list into
     * visits once for all the visit containers evaluated over it.
     */
    static ReferenceEvaluator forOneEvaluation(long now) {
        return new ReferenceEvaluator(now, true);
    }

    /** Whether the top container holds over {@code history} (sorted by time). */
    public boolean holds(Pred.Container top, List<Event> history) {
        return container(top, history);
    }

    /** Whether some unit of {@code c} within {@code scope} satisfies it. */
    boolean container(Pred.Container c, List<Event> scope) {
        List<Event> visible = windowed(c, scope);
        int matching = 0;
        for (List<Event> unit : unitsOf(c.context(), visible)) {
            if (pred(c.pred(), unit) && ++matching >= c.atLeast()) {
                return true;
            }
        }
        return false;
    }

    List<Event> windowed(Pred.Container c, List<Event> scope) {
        if (c.window() == null) {
            return scope;
        }
        List<Event> out = new ArrayList<>(scope.size());
        for (Event e : scope) {
            if (c.window().visible(e.time(), now)) {
                out.add(e);
            }
        }
        return out;
    }

    private List<List<Event>> unitsOf(Context ctx, List<Event> scope) {
        if (ctx != Context.VISITS || !cacheVisits) {
            return units(ctx, scope);
        }
        if (scope != groupedScope) {
            groupedVisits = units(ctx, scope);
            groupedScope = scope;
        }
        return groupedVisits;
    }

    static List<List<Event>> units(Context ctx, List<Event> scope) {
        switch (ctx) {
            case HITS:
                {
                    List<List<Event>> out = new ArrayList<>(scope.size());
                    for (Event e : scope) {
                        out.add(List.of(e));
                    }
                    return out;
                }
            case VISITS:
                return visits(scope);
            default:
                return scope.isEmpty() ? List.of() : List.of(scope);
        }
    }

    /**
     * The visits of {@code scope}, in order of their first hit, each its hits in time order. A
     * visit's hits are almost always consecutive in time, so runs are taken as views of the scope
     * and a map is built only when a visit resumes after another one's hits (evaluating a visit
     * container is mostly this grouping, and a map per evaluation was a tenth of the engine).
     */
    private static List<List<Event>> visits(List<Event> scope) {
        List<List<Event>> runs = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        int start = 0;
        for (int i = 1; i <= scope.size(); i++) {
            if (i < scope.size()
                    && Metrics.visitKey(scope.get(i)).equals(Metrics.visitKey(scope.get(start)))) {
                continue;
            }
            if (!seen.add(Metrics.visitKey(scope.get(start)))) {
                return visitsByKey(scope); // a visit resumed: the general grouping
            }
            runs.add(scope.subList(start, i));
            start = i;
        }
        return runs;
    }

    private static List<List<Event>> visitsByKey(List<Event> scope) {
        Map<String, List<Event>> visits = new LinkedHashMap<>();
        for (Event e : scope) {
            visits.computeIfAbsent(Metrics.visitKey(e), k -> new ArrayList<>()).add(e);
        }
        return new ArrayList<>(visits.values());
    }

    /** Whether {@code p} holds for one unit (a list of hits in time order). */
    public boolean pred(Pred p, List<Event> unit) {
        if (p instanceof Pred.Container c) {
            return container(c, unit);
        }
        if (p instanceof Pred.And a) {
            for (Pred x : a.preds()) {
                if (!pred(x, unit)) {
                    return false;
                }
            }
            return true;
        }
        if (p instanceof Pred.Or o) {
            for (Pred x : o.preds()) {
                if (pred(x, unit)) {
                    return true;
                }
            }
            return false;
        }
        if (p instanceof Pred.Not n) {
            return !pred(n.pred(), unit);
        }
        if (p instanceof Pred.Without w) {
            return !pred(w.pred(), unit);
        }
        if (p instanceof Pred.Compare c) {
            if (c.val().aggregate()) {
                return Comparisons.testNumber(c, Metrics.aggregate(c.val(), unit));
            }
            String path = ((Val.Attr) c.val()).name().substring("variables/".length());
            for (Event e : unit) {
                if (Comparisons.test(c, Values.dimension(e, path))) {
                    return true;
                }
            }
            return false;
        }
        if (p instanceof Pred.Exists x) {
            if (x.val().aggregate()) {
                return (Metrics.aggregate(x.val(), unit) != 0) != x.negated();
            }
            String path = ((Val.Attr) x.val()).name().substring("variables/".length());
            for (Event e : unit) {
                if ((Values.dimension(e, path) != null) != x.negated()) {
                    return true;
                }
            }
            return false;
        }
        if (p instanceof Pred.EventExists x) {
            boolean found = false;
            for (Event e : unit) {
                if (e.name().equals(x.event())) {
                    found = true;
                    break;
                }
            }
            return found != x.negated();
        }
        if (p instanceof Pred.Sequence s) {
            return new SequenceMatcher(this, s, unit).matches();
        }
        throw new IllegalStateException("unresolved segment-ref reached evaluation: " + p);
    }
}
