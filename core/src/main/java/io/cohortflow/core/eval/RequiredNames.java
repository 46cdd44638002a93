package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Attributes;
import io.cohortflow.core.definition.Pred;
import io.cohortflow.core.definition.SeqItem;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The event names a history-evaluated definition cannot hold without, decided at compile time: a
 * list of name sets, each of which the user's history must hold a name of. A sequence that did not
 * match is evaluated again whenever an event of its last step's name comes, though most users never
 * had an event of its first step: their answer is "no" without reading the history. Only what every
 * satisfying history must contain is listed (conjuncts, the steps of a sequence, the predicate of a
 * container that needs a unit), never what sits under {@code not}, {@code without}, {@code or}, an
 * exclusion or a group.
 */
final class RequiredNames {
    private RequiredNames() {}

    static List<Set<String>> of(Pred top) {
        List<Set<String>> out = new ArrayList<>();
        collect(top, out);
        return List.copyOf(out);
    }

    private static void collect(Pred p, List<Set<String>> out) {
        if (p instanceof Pred.Container c) {
            if (c.atLeast() >= 1) {
                collect(c.pred(), out); // a satisfying unit is some of the history's events
            }
            return;
        }
        if (p instanceof Pred.And a) {
            for (Pred x : a.preds()) {
                collect(x, out);
            }
            return;
        }
        if (p instanceof Pred.Sequence s) {
            // Steps as SequenceMatcher reads the stream: a checkpoint after exclude-next is an
            // exclusion, which the history may well lack.
            boolean excludeNext = false;
            for (SeqItem it : s.stream()) {
                if (it instanceof SeqItem.ExcludeNext) {
                    excludeNext = true;
                } else if (it instanceof SeqItem.Checkpoint c && excludeNext) {
                    excludeNext = false;
                } else if (it instanceof SeqItem.Checkpoint c) {
                    collect(c.pred(), out);
                }
            }
            return;
        }
        // A hit satisfying p has one of these names (streq, streq-in, event-exists, their OR).
        Anchor.Equals a = Anchors.equality(p);
        if (a != null && a.path().equals(Attributes.NAME)) {
            out.add(a.values());
        }
    }

    /** Whether the user's history holds a name of every required set. */
    static boolean held(UserProfile p, List<Set<String>> required) {
        for (Set<String> names : required) {
            boolean any = false;
            for (String n : names) {
                if (p.names.contains(n)) {
                    any = true;
                    break;
                }
            }
            if (!any) {
                return false;
            }
        }
        return true;
    }
}
