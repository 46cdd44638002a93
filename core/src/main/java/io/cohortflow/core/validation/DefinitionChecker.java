package io.cohortflow.core.validation;

import io.cohortflow.core.definition.Attributes;
import io.cohortflow.core.definition.Context;
import io.cohortflow.core.definition.Definition;
import io.cohortflow.core.definition.DefinitionWriter;
import io.cohortflow.core.definition.Pred;
import io.cohortflow.core.definition.Problem;
import io.cohortflow.core.definition.SeqItem;
import io.cohortflow.core.definition.TimeUnit;
import io.cohortflow.core.definition.Val;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The semantic checks of {@link DefinitionValidator}: a walk of the definition's tree with JSON
 * pointers, collecting problems (context nesting, operand types, references, guardrails, lengths)
 * and, when asked, the features it uses.
 */
final class DefinitionChecker {
    private final List<Problem> problems;
    private final Set<String> features;
    private final boolean describe;
    private final Guardrails guardrails;
    private final DefinitionValidator.Target target;
    private int aggregates;
    // Where the count of aggregates went past its limit: the reference to blame, inlined.
    private @Nullable String aggregatesCrossedAt;
    private int predicates;
    private boolean depthReported;

    /**
     * @param features where the features used are collected, or null when they are not wanted:
     *     naming a node's function writes its subtree, costly on an inlined whole
     */
    DefinitionChecker(
            Guardrails guardrails,
            List<Problem> problems,
            @Nullable Set<String> features,
            DefinitionValidator.Target target) {
        this.guardrails = guardrails;
        this.problems = problems;
        this.describe = features != null;
        this.features = features != null ? features : new HashSet<>();
        this.target = target;
    }

    /** Where the count of aggregates went past its limit, or null. */
    @Nullable String aggregatesCrossedAt() {
        return aggregatesCrossedAt;
    }

    void check(Definition d) {
        features.add("function_segment_def");
        pred(d.container(), "/container", Context.VISITORS, 1);
        if (aggregates > guardrails.maxAggregates()) {
            guard(
                    "too_many_aggregates",
                    "/container",
                    "the definition has "
                            + aggregates
                            + " aggregate comparisons; the limit is "
                            + guardrails.maxAggregates());
        }
        if (predicates > guardrails.maxPredicates()) {
            guard(
                    "too_many_predicates",
                    "/container",
                    "the definition has "
                            + predicates
                            + " predicates; the limit is "
                            + guardrails.maxPredicates());
        }
    }

    private void pred(Pred p, String ptr, Context scope, int depth) {
        predicates++;
        if (describe) {
            feature(DefinitionWriter.pred(p).path("func").asText());
        }
        if (depth > guardrails.maxDepth() && !depthReported) {
            depthReported = true;
            guard(
                    "too_deep",
                    ptr,
                    "predicates nest "
                            + depth
                            + " levels deep here; the limit is "
                            + guardrails.maxDepth());
        }
        if (p instanceof Pred.Container c) {
            if (c.context().compareTo(scope) > 0) {
                problems.add(
                        Problem.error(
                                "context_nesting",
                                ptr + "/context",
                                "a "
                                        + c.context().json()
                                        + " container cannot sit inside a "
                                        + scope.json()
                                        + " container: containers nest visitors > visits >"
                                        + " hits"));
            }
            if (c.atLeast() > 1 && c.context() == scope && scope != Context.VISITORS) {
                // Its units are those of the container around it, of which it sees one.
                String unit = scope == Context.HITS ? "hit" : "visit";
                problems.add(
                        Problem.error(
                                "invalid_value",
                                ptr + "/at_least",
                                "inside a "
                                        + scope.json()
                                        + " container there is one "
                                        + unit
                                        + ": at_least must be 1"));
            }
            if (c.atLeast() > 1 && c.context() == Context.VISITORS) {
                problems.add(
                        Problem.error(
                                "invalid_value",
                                ptr + "/at_least",
                                "a visitors container has one unit, the visitor: at_least"
                                        + " must be 1"));
            }
            if (c.window() != null) {
                features.add("extension_window");
                duration(c.window().count(), c.window().unit(), ptr + "/window");
            }
            if (c.atLeast() > 1) {
                features.add("extension_at_least");
            }
            pred(c.pred(), ptr + "/pred", c.context(), depth + 1);
        } else if (p instanceof Pred.And a) {
            children(a.preds(), ptr + "/preds", scope, depth);
        } else if (p instanceof Pred.Or o) {
            children(o.preds(), ptr + "/preds", scope, depth);
        } else if (p instanceof Pred.Not n) {
            pred(n.pred(), ptr + "/pred", scope, depth + 1);
        } else if (p instanceof Pred.Without w) {
            pred(w.pred(), ptr + "/pred", scope, depth + 1);
        } else if (p instanceof Pred.SegmentRef r) {
            Definition target = this.target.segments().apply(r.id());
            if (target != null && target.container().context().compareTo(scope) > 0) {
                problems.add(
                        Problem.error(
                                "context_nesting",
                                ptr,
                                "segment "
                                        + r.id()
                                        + " is a "
                                        + target.container().context().json()
                                        + " segment and cannot be used inside a "
                                        + scope.json()
                                        + " container"));
            }
        } else if (p instanceof Pred.Compare c) {
            val(c.val(), ptr + "/val");
            if (c.val().aggregate()) {
                aggregate(ptr);
                if (!c.op().arg().numeric()) {
                    problems.add(
                            Problem.error(
                                    "type_mismatch",
                                    ptr + "/func",
                                    "\""
                                            + c.op().json()
                                            + "\" compares strings, but "
                                            + describe(c.val())
                                            + " is a number; use eq, gt, lt, ge, le, range or"
                                            + " eq-in"));
                }
            } else if (c.op().negationOf() != null) {
                negationScope(c.op().json(), ptr, scope);
            }
        } else if (p instanceof Pred.Exists x) {
            val(x.val(), ptr + "/val");
            if (x.val().aggregate()) {
                aggregate(ptr);
            } else if (x.negated()) {
                negationScope("not-exists", ptr, scope);
            }
        } else if (p instanceof Pred.EventExists) {
            features.add("function_event");
        } else if (p instanceof Pred.Sequence s) {
            sequence(s, ptr, scope, depth);
        }
    }

    /**
     * A negation tested per hit ({@code func}) in a larger container holds when any one hit lacks
     * what it negates, which is seldom what was meant.
     */
    private void negationScope(String func, String ptr, Context scope) {
        if (scope == Context.HITS) {
            return;
        }
        problems.add(
                Problem.warning(
                        "negation_scope",
                        ptr + "/func",
                        "\""
                                + func
                                + "\" in a "
                                + scope.json()
                                + " container holds when any one hit differs; to exclude "
                                + scope.json()
                                + " with a matching hit, use \"without\" around the positive"
                                + " form"));
    }

    private void aggregate(String ptr) {
        if (++aggregates == guardrails.maxAggregates() + 1) {
            aggregatesCrossedAt = ptr;
        }
    }

    private void children(List<Pred> ps, String ptr, Context scope, int depth) {
        for (int i = 0; i < ps.size(); i++) {
            pred(ps.get(i), ptr + "/" + i, scope, depth + 1);
        }
    }

    private void sequence(Pred.Sequence s, String ptr, Context scope, int depth) {
        if (scope == Context.HITS) {
            problems.add(
                    Problem.error(
                            "context_nesting",
                            ptr,
                            "a sequence orders several hits: it needs a visits or visitors"
                                    + " container, not a hits container"));
        }
        int steps = 0;
        for (int i = 0; i < s.stream().size(); i++) {
            SeqItem it = s.stream().get(i);
            String ip = ptr + "/stream/" + i;
            if (it instanceof SeqItem.Checkpoint c) {
                steps++;
                checkpoint(c.pred(), ip, scope, depth);
            } else if (it instanceof SeqItem.Group g) {
                steps++;
                feature(g.all() ? "sequence-and" : "sequence-or");
                for (int j = 0; j < g.checkpoints().size(); j++) {
                    checkpoint(g.checkpoints().get(j), ip + "/checkpoints/" + j, scope, depth);
                }
            } else if (it instanceof SeqItem.ExcludeNext) {
                feature("exclude-next-checkpoint");
            } else if (it instanceof SeqItem.TimeRestriction t) {
                feature("time-restriction");
                duration(t.count(), t.unit(), ip);
            } else if (it instanceof SeqItem.ContainerRestriction r) {
                feature("container-restriction");
                if (r.context() == Context.VISITS && scope == Context.VISITS) {
                    problems.add(
                            Problem.error(
                                    "context_nesting",
                                    ip + "/context",
                                    "inside one visit, a gap cannot be counted in visits"));
                }
            } else if (it instanceof SeqItem.DimensionRestriction r) {
                feature("dimension-restriction");
                attribute(r.attr(), ip + "/attr/name");
            }
        }
        if (steps > guardrails.maxSequenceSteps()) {
            guard(
                    "too_many_sequence_steps",
                    ptr + "/stream",
                    "the sequence has "
                            + steps
                            + " checkpoints; the limit is "
                            + guardrails.maxSequenceSteps());
        }
    }

    private void checkpoint(Pred p, String ptr, Context scope, int depth) {
        if (p instanceof Pred.Container c && c.atLeast() > 1) {
            // Matched against one hit or one visit at a time: a count above 1 never holds
            // (hits) or was ignored (visits).
            problems.add(
                    Problem.error(
                            "invalid_value",
                            ptr + "/at_least",
                            "a sequence checkpoint is one hit or one visit: at_least must be"
                                    + " 1"));
        }
        // A segment-ref is inlined as its segment's top container: a checkpoint of that
        // container's context (a visits segment is a visit checkpoint).
        Context own = checkpointContext(p);
        String at = p instanceof Pred.SegmentRef ? ptr : ptr + "/context";
        if (own == Context.VISITORS) {
            problems.add(
                    Problem.error(
                            "context_nesting",
                            at,
                            "a sequence checkpoint is a hit or a visit, not a visitor"
                                    + (p instanceof Pred.SegmentRef r
                                            ? " (segment " + r.id() + " is a visitors segment)"
                                            : "")));
        }
        if (own == Context.VISITS && scope == Context.VISITS) {
            problems.add(
                    Problem.error(
                            "context_nesting",
                            at,
                            "a visit checkpoint cannot sit in a sequence within one visit"));
        }
        // A container (or a reference to one) moves to its own context from the sequence's;
        // anything else is tested against one hit.
        boolean container =
                p instanceof Pred.Container || (p instanceof Pred.SegmentRef && own != null);
        pred(p, ptr, container ? scope : Context.HITS, depth + 1);
    }

    /**
     * The context of a checkpoint that is a container, or a reference to a known segment (whose top
     * container it becomes); null for a hit predicate or an unknown reference.
     */
    private @Nullable Context checkpointContext(Pred p) {
        if (p instanceof Pred.Container c) {
            return c.context();
        }
        if (p instanceof Pred.SegmentRef r) {
            Definition referenced = target.segments().apply(r.id());
            return referenced == null ? null : referenced.container().context();
        }
        return null;
    }

    private void val(Val v, String ptr) {
        if (v instanceof Val.Attr a) {
            feature("attr");
            if (a.isDimension()) {
                attribute(a.name(), ptr + "/name");
            }
        } else if (v instanceof Val.Total) {
            feature("total");
        } else if (v instanceof Val.TotalDistinct t) {
            feature("total-distinct");
            attribute(t.field(), ptr + "/field/name");
        }
    }

    private void attribute(String name, String ptr) {
        Set<String> known = target.knownAttributes();
        if (known == null || !name.startsWith(Attributes.VARIABLES)) {
            return;
        }
        String path = Attributes.dimension(name);
        if (path.equals(Attributes.NAME)
                || path.equals(Attributes.VIEW_ID)
                || path.equals(Attributes.SESSION_ID)
                || known.contains(path)) {
            return;
        }
        problems.add(
                Problem.warning(
                        "unknown_attribute",
                        ptr,
                        "no event schema of this data view declares \""
                                + path
                                + "\"; the comparison can only match events that carry it"));
    }

    private void duration(long count, TimeUnit unit, String ptr) {
        if (unit.approxMillis(count) > DefinitionValidator.MAX_DURATION_DAYS * 86_400_000L) {
            problems.add(
                    Problem.error(
                            "duration_too_long",
                            ptr + "/count",
                            count
                                    + " "
                                    + unit.json()
                                    + " is longer than the longest window or time"
                                    + " restriction, 100 years"));
        }
    }

    private void feature(String func) {
        features.add("function_" + func.replace('-', '_'));
    }

    private void guard(String code, String ptr, String message) {
        problems.add(new Problem(guardrails.severity(), code, ptr, message));
    }

    private String describe(Val v) {
        if (v instanceof Val.Attr a) {
            return a.name();
        }
        return v instanceof Val.Total ? "total" : "total-distinct";
    }
}
