package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Attributes;
import io.cohortflow.core.definition.Op;
import io.cohortflow.core.definition.Pred;
import io.cohortflow.core.definition.Val;
import io.cohortflow.core.definition.Visitor;
import io.cohortflow.core.event.Event;
import io.cohortflow.core.event.Values;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * A hit predicate as a test of one event, with the reference evaluator's meaning on a single hit:
 * what a counter checks before it counts an event.
 */
final class HitPredicates {
    private HitPredicates() {}

    /** A predicate on one event, with the same meaning as the reference evaluator on one hit. */
    static Predicate<Event> of(Pred p) {
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
            a.preds().forEach(x -> parts.add(of(x)));
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
            o.preds().forEach(x -> parts.add(of(x)));
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
            return of(n.pred()).negate();
        }
        if (p instanceof Pred.Without n) {
            return of(n.pred()).negate();
        }
        if (hasWindow(p)) {
            // A window inside a single hit depends on "now": the segment is evaluated over history.
            throw new SegmentCompiler.NotIncremental();
        }
        return e -> ReferenceEvaluator.TIMELESS.pred(p, List.of(e));
    }

    /** Whether {@code p} holds a container with a window anywhere inside it. */
    static boolean hasWindow(Pred p) {
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
}
