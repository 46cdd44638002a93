package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Attributes;
import io.cohortflow.core.definition.DefinitionWriter;
import io.cohortflow.core.definition.Pred;
import io.cohortflow.core.definition.Val;
import io.cohortflow.core.event.Event;
import io.cohortflow.core.event.Values;
import java.util.ArrayList;
import java.util.List;

/** Builds {@link Explanation}s with the reference evaluator, so explanations never disagree. */
final class Explainer {
    private final ReferenceEvaluator eval;

    Explainer(ReferenceEvaluator eval) {
        this.eval = eval;
    }

    Explanation explain(Pred.Container top, List<Event> history) {
        return node(top, history, "/container");
    }

    private Explanation node(Pred p, List<Event> unit, String ptr) {
        String func = DefinitionWriter.pred(p).path("func").asText();
        boolean holds = eval.pred(p, unit);
        if (p instanceof Pred.Container c) {
            List<List<Event>> units = ReferenceEvaluator.units(c.context(), eval.windowed(c, unit));
            int matching = 0;
            List<Event> witness = units.isEmpty() ? List.of() : units.get(0);
            for (List<Event> u : units) {
                if (eval.pred(c.pred(), u)) {
                    if (matching == 0) {
                        witness = u;
                    }
                    matching++;
                }
            }
            return new Explanation(
                    ptr,
                    func,
                    holds,
                    null,
                    units.size(),
                    matching,
                    List.of(node(c.pred(), witness, ptr + "/pred")));
        }
        List<Explanation> children = new ArrayList<>();
        if (p instanceof Pred.And a) {
            for (int i = 0; i < a.preds().size(); i++) {
                children.add(node(a.preds().get(i), unit, ptr + "/preds/" + i));
            }
        } else if (p instanceof Pred.Or o) {
            for (int i = 0; i < o.preds().size(); i++) {
                children.add(node(o.preds().get(i), unit, ptr + "/preds/" + i));
            }
        } else if (p instanceof Pred.Not n) {
            children.add(node(n.pred(), unit, ptr + "/pred"));
        } else if (p instanceof Pred.Without w) {
            children.add(node(w.pred(), unit, ptr + "/pred"));
        }
        Double value = null;
        if (p instanceof Pred.Compare c) {
            if (c.val().aggregate()) {
                value = Metrics.aggregate(c.val(), unit);
            } else {
                String path = Attributes.dimension(((Val.Attr) c.val()).name());
                int n = 0;
                for (Event e : unit) {
                    if (Comparisons.test(c, Values.dimension(e, path))) {
                        n++;
                    }
                }
                value = (double) n;
            }
        } else if (p instanceof Pred.Exists x && x.val().aggregate()) {
            value = Metrics.aggregate(x.val(), unit);
        } else if (p instanceof Pred.EventExists x) {
            value = (double) unit.stream().filter(e -> e.name().equals(x.event())).count();
        }
        return new Explanation(ptr, func, holds, value, null, null, List.copyOf(children));
    }
}
