package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Attributes;
import io.cohortflow.core.definition.Context;
import io.cohortflow.core.definition.Pred;
import io.cohortflow.core.definition.SeqItem;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Which event names can change a history-evaluated answer: the plan that lets an event of other
 * names pass a sequence or a visit container by without reading the history.
 */
final class RelevantNames {
    private RelevantNames() {}

    /**
     * The event names that can change a history-evaluated answer, or null when any event can. A
     * predicate "depends only on names S" when its value on any set of events equals its value on
     * the subset named in S; containers additionally need their predicate to be false on no events,
     * or a unit of other events would satisfy it.
     */
    @Nullable
    static Set<String> of(Pred p) {
        if (p instanceof Pred.Container c) {
            Set<String> r = of(c.pred());
            return r != null && !ReferenceEvaluator.TIMELESS.pred(c.pred(), List.of()) ? r : null;
        }
        if (p instanceof Pred.And a) {
            return union(a.preds());
        }
        if (p instanceof Pred.Or o) {
            return union(o.preds());
        }
        if (p instanceof Pred.Not n) {
            return of(n.pred());
        }
        if (p instanceof Pred.Without n) {
            return of(n.pred());
        }
        if (p instanceof Pred.EventExists x) {
            return Set.of(x.event());
        }
        if (p instanceof Pred.Compare c && !c.val().aggregate()) {
            Anchor.Equals a = Anchors.equality(c);
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
                    Anchor.Equals a = Anchors.equality(cp);
                    if (a == null
                            || !a.path().equals(Attributes.NAME)
                            || HitPredicates.hasWindow(cp)) {
                        return null;
                    }
                    out.addAll(a.values());
                }
            }
            return Set.copyOf(out);
        }
        return null;
    }

    /**
     * For {@code visitors{visits{P}}}: the event names one of which every visit satisfying P holds.
     * A visit without them satisfies P neither before nor after an event joins it, so an event
     * whose visit holds none of them leaves the answer as it was.
     */
    @Nullable
    static Set<String> visitGate(Pred.Container top) {
        if (top.context() == Context.VISITORS
                && top.pred() instanceof Pred.Container v
                && v.context() == Context.VISITS) {
            return requiredNames(v.pred());
        }
        return null;
    }

    /** Names one of which any unit satisfying {@code p} contains an event of; null if unknown. */
    @Nullable
    private static Set<String> requiredNames(Pred p) {
        if (p instanceof Pred.EventExists x) {
            return x.negated() ? null : Set.of(x.event());
        }
        if (p instanceof Pred.Compare c && !c.val().aggregate()) {
            Anchor.Equals a = Anchors.equality(c);
            return a != null && a.path().equals(Attributes.NAME) ? a.values() : null;
        }
        if (p instanceof Pred.And a) {
            for (Pred x : a.preds()) {
                Set<String> r = requiredNames(x);
                if (r != null) {
                    return r;
                }
            }
            return null;
        }
        if (p instanceof Pred.Or o) {
            return union(o.preds(), RelevantNames::requiredNames);
        }
        if (p instanceof Pred.Container c && c.context() == Context.HITS) {
            return requiredNames(c.pred());
        }
        return null;
    }

    @Nullable
    private static Set<String> union(List<Pred> ps) {
        return union(ps, RelevantNames::of);
    }

    /** The union of {@code names} over {@code ps}, or null when it is null for any of them. */
    @Nullable
    static Set<String> union(List<Pred> ps, Function<Pred, Set<String>> names) {
        Set<String> out = new HashSet<>();
        for (Pred x : ps) {
            Set<String> r = names.apply(x);
            if (r == null) {
                return null;
            }
            out.addAll(r);
        }
        return Set.copyOf(out);
    }
}
