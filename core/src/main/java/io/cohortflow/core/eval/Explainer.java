package io.cohortflow.core.eval;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.definition.Attributes;
import io.cohortflow.core.definition.DefinitionWriter;
import io.cohortflow.core.definition.Pred;
import io.cohortflow.core.definition.Val;
import io.cohortflow.core.event.Event;
import io.cohortflow.core.event.Values;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds {@link Explanation}s with the reference evaluator (the specification every evaluation path
 * is tested against), so an explanation never disagrees with a membership.
 */
final class Explainer {
    private final ReferenceEvaluator eval;

    Explainer(ReferenceEvaluator eval) {
        this.eval = eval;
    }

    Explanation explain(Pred.Container top, List<Event> history) {
        return node(top, history, "/container");
    }

    private Explanation node(Pred p, List<Event> unit, String ptr) {
        JsonNode written = DefinitionWriter.pred(p);
        String func = written.path("func").asText();
        boolean holds = eval.pred(p, unit);
        if (p instanceof Pred.Container c) {
            return container(c, written, unit, ptr, holds);
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
        if (!children.isEmpty()) {
            return new Explanation(
                    ptr, func, holds, null, null, null, null, null, null, null, children);
        }
        List<Explanation.Step> steps = null;
        if (p instanceof Pred.Sequence s) {
            SequenceMatcher m = new SequenceMatcher(eval, s, unit);
            steps = m.explainSteps(m.matches());
        }
        return new Explanation(
                ptr,
                func,
                holds,
                value(p, unit),
                null,
                null,
                null,
                null,
                steps,
                written,
                List.of());
    }

    private Explanation container(
            Pred.Container c, JsonNode written, List<Event> unit, String ptr, boolean holds) {
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
        JsonNode window = null;
        if (c.window() != null) {
            window =
                    Json.MAPPER
                            .createObjectNode()
                            .put("count", c.window().count())
                            .put("unit", c.window().unit().json());
        }
        return new Explanation(
                ptr,
                written.path("func").asText(),
                holds,
                null,
                units.size(),
                matching,
                c.atLeast(),
                window,
                null,
                null,
                List.of(node(c.pred(), witness, ptr + "/pred")));
    }

    /** The aggregate behind a leaf (see {@link Explanation#value}), or null. */
    private static Double value(Pred p, List<Event> unit) {
        if (p instanceof Pred.Compare c) {
            if (c.val().aggregate()) {
                return Metrics.aggregate(c.val(), unit);
            }
            String path = Attributes.dimension(((Val.Attr) c.val()).name());
            int n = 0;
            for (Event e : unit) {
                if (Comparisons.test(c, Values.dimension(e, path))) {
                    n++;
                }
            }
            return (double) n;
        }
        if (p instanceof Pred.Exists x && x.val().aggregate()) {
            return Metrics.aggregate(x.val(), unit);
        }
        if (p instanceof Pred.EventExists x) {
            return (double) unit.stream().filter(e -> e.name().equals(x.event())).count();
        }
        return null;
    }
}
