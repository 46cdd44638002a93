package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Attributes;
import io.cohortflow.core.definition.Context;
import io.cohortflow.core.definition.Op;
import io.cohortflow.core.definition.Pred;
import io.cohortflow.core.definition.SeqItem;
import io.cohortflow.core.definition.Val;
import io.cohortflow.core.definition.Visitor;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What an event appended to a user's history (the newest, none dropped, no window boundary passed)
 * can do to a history-evaluated definition, decided once at compile time, so that most such events
 * need no evaluation over the history:
 *
 * <ul>
 *   <li>{@link #monotone}: the definition cannot turn false. Existential tests of hits (any
 *       dimension comparison, negated ones included, since they apply per hit; but not {@code
 *       not-event-exists}, which says the unit holds no such event), counts that only grow, and
 *       sequences of hit checkpoints without exclusions keep every match they had when an event is
 *       added after them; windows move only at the user's recheck instants, which make the segment
 *       due anyway. A member stays a member.
 *   <li>{@link #completingNames}: the event names one of which the new event has whenever it turns
 *       the definition true. A sequence that did not match before and matches now uses the newest
 *       event, which can only be its last step.
 *   <li>{@link #visitLocal}: for {@code visitors{visits{P}}}, the new event changes its own visit
 *       only; a user no visit of whom satisfied P becomes a member exactly when that visit does.
 * </ul>
 */
final class AppendRules {
    private AppendRules() {}

    /** Whether appending an event never turns {@code p} from true to false. */
    static boolean monotone(Pred p) {
        if (p instanceof Pred.Container c) {
            return monotone(c.pred());
        }
        if (p instanceof Pred.And a) {
            return a.preds().stream().allMatch(AppendRules::monotone);
        }
        if (p instanceof Pred.Or o) {
            return o.preds().stream().allMatch(AppendRules::monotone);
        }
        if (p instanceof Pred.EventExists x) {
            return !x.negated(); // not-event-exists: the unit has no such event, which one can end
        }
        if (p instanceof Pred.Exists x) {
            return !x.val().aggregate();
        }
        if (p instanceof Pred.Compare c) {
            return !c.val().aggregate() || growingCount(c);
        }
        if (p instanceof Pred.Sequence s) {
            for (SeqItem it : s.stream()) {
                if (it instanceof SeqItem.ExcludeNext) {
                    return false; // an event after the last step can be the excluded one
                }
                for (Pred cp : checkpoints(it)) {
                    // A visit checkpoint ends where its visit ends, which a new event moves.
                    if (cp instanceof Pred.Container k && k.context() != Context.HITS
                            || !monotone(cp)) {
                        return false;
                    }
                }
            }
            return true;
        }
        return false; // not, without, and anything else
    }

    /**
     * Whether {@code top} is {@code visitors{visits{P}}} with one satisfying visit enough: for a
     * non-member, evaluating P over the appended event's visit gives the answer.
     */
    static boolean visitLocal(Pred.Container top) {
        return top.context() == Context.VISITORS
                && top.atLeast() == 1
                && top.pred() instanceof Pred.Container v
                && v.context() == Context.VISITS
                && v.atLeast() == 1;
    }

    /**
     * For a {@link #visitLocal} container {@code visitors{visits{P}}}: the fewest events a visit
     * satisfying P has (0 when P says nothing of it). "3+ hits in one visit" is asked at every
     * event of a visit that has the name it needs, and most visits are shorter.
     */
    static int visitMinHits(Pred.Container top) {
        return visitLocal(top) ? minHits(((Pred.Container) top.pred()).pred()) : 0;
    }

    private static int minHits(Pred p) {
        if (p instanceof Pred.And a) {
            int most = 0;
            for (Pred x : a.preds()) {
                most = Math.max(most, minHits(x));
            }
            return most;
        }
        if (p instanceof Pred.Or o && !o.preds().isEmpty()) {
            int least = Integer.MAX_VALUE;
            for (Pred x : o.preds()) {
                least = Math.min(least, minHits(x));
            }
            return least;
        }
        if (p instanceof Pred.EventExists x && !x.negated()) {
            return 1;
        }
        if (p instanceof Pred.Compare c
                && c.num() != null
                && c.val() instanceof Val.Attr a
                && a.name().equals(Attributes.METRICS + Attributes.OCCURRENCES)) {
            // The occurrences of a visit are its events.
            double n = c.num();
            double least =
                    switch (c.op()) {
                        case GE, EQ -> Math.ceil(n);
                        case GT -> Math.floor(n) + 1;
                        default -> 0;
                    };
            return (int) Math.max(0, Math.min(least, Integer.MAX_VALUE));
        }
        return 0;
    }

    /** {@code >=}, {@code >} or an open-topped range of a count no event can lower. */
    private static boolean growingCount(Pred.Compare c) {
        boolean counts =
                c.val() instanceof Val.TotalDistinct
                        || c.val() instanceof Val.Attr a
                                && (a.name().equals(Attributes.METRICS + Attributes.OCCURRENCES)
                                        || a.name().equals(Attributes.METRICS + Attributes.VISITS)
                                        || a.name()
                                                .equals(Attributes.METRICS + Attributes.VISITORS));
        return counts
                && (c.op() == Op.GE || c.op() == Op.GT || c.op() == Op.RANGE && c.high() == null);
    }

    /**
     * The names one of which an appended event has whenever it turns {@code p} from false to true,
     * or null when any event may.
     */
    @Nullable
    static Set<String> completingNames(Pred p) {
        if (p instanceof Pred.Container c
                && (c.context() == Context.VISITORS || c.context() == Context.HITS)) {
            return completingNames(c.pred());
        }
        if (p instanceof Pred.And a) {
            return union(a.preds()); // some conjunct turned true
        }
        if (p instanceof Pred.Or o) {
            return union(o.preds());
        }
        if (p instanceof Pred.Sequence s && s.kind() != Pred.SequenceKind.SUFFIX) {
            if (!monotone(s) || s.stream().isEmpty()) {
                return null;
            }
            // The last step: a checkpoint, or a group, any of whose checkpoints may come last.
            return union(checkpoints(s.stream().get(s.stream().size() - 1)));
        }
        return names(p);
    }

    /** Some part turned true: the union of the parts' names (none known without parts). */
    @Nullable
    private static Set<String> union(List<Pred> ps) {
        return ps.isEmpty() ? null : RelevantNames.union(ps, AppendRules::completingNames);
    }

    /**
     * The event names a hit satisfying {@code p} has, or null when not bounded by names. Only for
     * tests of one hit: the names a visit satisfying a visits container needs are names of the
     * visit, not of the event that completes it.
     */
    @Nullable
    private static Set<String> names(Pred p) {
        boolean[] wider = {false};
        Visitor.walk(
                p, x -> wider[0] |= x instanceof Pred.Container c && c.context() != Context.HITS);
        if (wider[0]) {
            return null;
        }
        Anchor.Equals a = Anchors.equality(p);
        return a != null && a.path().equals(Attributes.NAME) ? a.values() : null;
    }

    private static List<Pred> checkpoints(SeqItem it) {
        if (it instanceof SeqItem.Checkpoint c) {
            return List.of(c.pred());
        }
        if (it instanceof SeqItem.Group g) {
            return g.checkpoints();
        }
        return List.of();
    }
}
