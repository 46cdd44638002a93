package io.cohortflow.core.validation;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.definition.Attributes;
import io.cohortflow.core.definition.Context;
import io.cohortflow.core.definition.Definition;
import io.cohortflow.core.definition.DefinitionParser;
import io.cohortflow.core.definition.DefinitionWriter;
import io.cohortflow.core.definition.Pred;
import io.cohortflow.core.definition.Problem;
import io.cohortflow.core.definition.SegmentResolver;
import io.cohortflow.core.definition.SeqItem;
import io.cohortflow.core.definition.TimeUnit;
import io.cohortflow.core.definition.Val;
import io.cohortflow.core.definition.Window;
import io.cohortflow.core.eval.EngineConfig;
import io.cohortflow.core.eval.SegmentCatalog;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Validates a submitted definition: syntax (the parser), meaning (context nesting, operand types,
 * references and cycles), guardrails, and what the engine can run. Never throws on bad input.
 *
 * <p>The guardrails and the context rules hold for the definition as written and, its {@code
 * segment-ref}s inlined, for what the engine evaluates: a small definition referencing large ones
 * is judged by the whole, each problem at the reference that brings it in.
 */
public final class DefinitionValidator {

    /**
     * What a definition is validated against.
     *
     * @param selfId the id of the segment being validated, or null for a draft
     * @param segments the current definition of another segment, or null if there is none
     * @param knownAttributes the {@code variables/} paths that the data view's event schemas
     *     declare, or null when the data view declares none (then nothing is warned about)
     * @param refusal why an existing segment may not be referenced (a problem; its pointer is
     *     replaced by the reference's), or null when it may
     */
    public record Target(
            @Nullable String selfId,
            Function<String, Definition> segments,
            @Nullable Set<String> knownAttributes,
            Function<String, Problem> refusal) {

        /** A target where every existing segment may be referenced. */
        public Target(
                @Nullable String selfId,
                Function<String, Definition> segments,
                @Nullable Set<String> knownAttributes) {
            this(selfId, segments, knownAttributes, id -> null);
        }

        public static Target standalone() {
            return new Target(null, id -> null, null);
        }
    }

    private final Guardrails guardrails;
    private final EngineConfig engine;

    public DefinitionValidator(Guardrails guardrails, EngineConfig engine) {
        this.guardrails = guardrails;
        this.engine = engine;
    }

    public ValidationResult validate(@Nullable JsonNode json, Target target) {
        DefinitionParser.Result parsed = DefinitionParser.parse(json);
        List<Problem> problems = new ArrayList<>(parsed.problems());
        Definition d = parsed.definition();
        Set<String> features = new TreeSet<>();
        String evaluation = null;
        List<ValidationResult.ProductReason> unsupported = new ArrayList<>();
        if (d != null) {
            new Checker(problems, features, target).check(d);
            SegmentResolver.Result resolved =
                    SegmentResolver.resolve(
                            d,
                            target.selfId(),
                            target.segments(),
                            target.refusal(),
                            guardrails.maxResolvedPredicates());
            problems.addAll(resolved.problems());
            if (resolved.definition() != null) {
                problems.addAll(inlined(d, resolved.definition(), problems));
            }
            if (resolved.definition() != null && problems.stream().noneMatch(Problem::isError)) {
                evaluation = plan(resolved.definition());
                windowBeyondHorizon(resolved.definition(), unsupported, problems);
            }
        }
        List<Problem> errors = problems.stream().filter(Problem::isError).toList();
        List<Problem> warnings = problems.stream().filter(p -> !p.isError()).toList();
        boolean valid = errors.isEmpty();
        List<String> products = new ArrayList<>();
        if (valid) {
            for (String p : ValidationResult.PRODUCTS) {
                if (unsupported.stream().noneMatch(u -> u.product().equals(p))) {
                    products.add(p);
                }
            }
        }
        String message =
                valid
                        ? (unsupported.isEmpty()
                                ? "Segment definition is valid"
                                : "Segment definition is valid for " + String.join(", ", products))
                        : errors.size() == 1
                                ? errors.get(0).message()
                                : errors.size() + " errors; the first: " + errors.get(0).message();
        return new ValidationResult(
                valid,
                message,
                List.copyOf(products),
                List.copyOf(unsupported),
                ValidationResult.VALIDATOR_VERSION,
                List.copyOf(features),
                errors,
                warnings,
                evaluation,
                valid ? d : null);
    }

    /**
     * The problems {@code d} has only once its {@code segment-ref}s are inlined, as the engine
     * evaluates it, each at the reference of {@code d} that brings it in: past the resolved-size or
     * the resolver's depth limit, past a guardrail ({@link #inlined}), or a context that may not
     * nest where a reference puts it. What {@code d} is refused for as written, and references that
     * do not resolve, are left out: this re-checks a segment that references one being edited
     * ({@code lookup} answering the edited definition), which passed every check when written.
     *
     * @param selfId the id of {@code d}'s segment, so a reference back to it is a cycle
     * @param lookup the definition of a segment id, or null when there is none
     */
    public List<Problem> inlinedProblems(
            Definition d, @Nullable String selfId, Function<String, Definition> lookup) {
        List<Problem> out = new ArrayList<>();
        SegmentResolver.Result resolved =
                SegmentResolver.resolve(
                        d, selfId, lookup, id -> null, guardrails.maxResolvedPredicates());
        for (Problem p : resolved.problems()) {
            if (p.code().equals(SegmentResolver.TOO_LARGE)
                    || p.code().equals(DefinitionParser.TOO_DEEP)) {
                out.add(p);
            }
        }
        if (resolved.definition() != null) {
            List<Problem> own = new ArrayList<>();
            new Checker(own, null, new Target(selfId, lookup, null)).check(d);
            // A direct reference's context is checked on the definition as written, at the
            // reference (Checker.pred): the only problem the Checker puts there.
            Set<String> refs = references(d).keySet();
            own.stream().filter(p -> refs.contains(p.pointer())).forEach(out::add);
            out.addAll(inlined(d, resolved.definition(), own));
        }
        return out;
    }

    /**
     * The codes whose answer can change when a definition is inlined into another: the guardrails
     * that measure the whole (depth, aggregates, steps of a sequence) and the rules about where a
     * container may sit. The predicate count of the inlined whole has a limit of its own, {@link
     * Guardrails#maxResolvedPredicates}, applied by the resolver; {@code maxPredicates} bounds what
     * is written, one definition at a time. The other checks judge a segment's own content, which
     * its own validation reported.
     */
    private static final Set<String> INLINED_CODES =
            Set.of(
                    "too_deep",
                    "too_many_aggregates",
                    "too_many_sequence_steps",
                    "context_nesting",
                    "invalid_value");

    /** The codes reported once for a whole definition: not again for its inlined form. */
    private static final Set<String> WHOLE_CODES = Set.of("too_deep", "too_many_aggregates");

    /**
     * The guardrails and the context rules applied to {@code resolved}, {@code submitted} with its
     * references inlined, as the engine runs it: each problem found inside an inlined segment is
     * reported at the reference of {@code submitted} that brought it in (the submitter's pointer; a
     * pointer inside another segment would mean nothing to them), once per reference and code, and
     * none already in {@code own}, the problems of {@code submitted} as written.
     */
    private List<Problem> inlined(Definition submitted, Definition resolved, List<Problem> own) {
        Map<String, String> refs = references(submitted);
        if (refs.isEmpty()) {
            return List.of();
        }
        List<Problem> raw = new ArrayList<>();
        Checker checker = new Checker(raw, null, Target.standalone());
        checker.check(resolved);
        Set<String> ownCodes = new HashSet<>();
        Set<String> reported = new HashSet<>();
        for (Problem p : own) {
            ownCodes.add(p.code());
            reported.add(p.code() + " " + p.pointer());
        }
        List<Problem> out = new ArrayList<>();
        for (Problem p : raw) {
            if (!INLINED_CODES.contains(p.code())
                    || WHOLE_CODES.contains(p.code()) && ownCodes.contains(p.code())) {
                continue;
            }
            boolean aggregates = p.code().equals("too_many_aggregates");
            // Inlining keeps the structure around a reference, so a pointer of the resolved
            // definition is the submitted one's up to the reference it lies in, if any.
            String at = aggregates ? checker.aggregatesCrossedAt : p.pointer();
            String ref = null;
            for (String r : refs.keySet()) {
                if (at != null && (at.equals(r) || at.startsWith(r + "/"))) {
                    ref = r;
                    break;
                }
            }
            String message;
            if (aggregates) {
                // A total: it may cross its limit after the last reference, then it is the
                // definition's as a whole.
                message =
                        "with its segment-refs inlined, "
                                + p.message()
                                + (ref == null
                                        ? ""
                                        : " (segment "
                                                + refs.get(ref)
                                                + ", inlined here, takes it past the limit)");
            } else if (ref == null) {
                continue; // outside every reference: the definition's own, reported as written
            } else {
                message = "with segment " + refs.get(ref) + " inlined here, " + p.message();
            }
            String pointer = ref == null ? p.pointer() : ref;
            if (reported.add(p.code() + " " + pointer)) {
                out.add(new Problem(p.severity(), p.code(), pointer, message));
            }
        }
        return out;
    }

    /** The {@code segment-ref}s of a definition: their pointers, in order, to the ids they name. */
    private static Map<String, String> references(Definition d) {
        Map<String, String> out = new LinkedHashMap<>();
        references(d.container(), "/container", out);
        return out;
    }

    private static void references(Pred p, String ptr, Map<String, String> out) {
        if (p instanceof Pred.SegmentRef r) {
            out.put(ptr, r.id());
        }
        io.cohortflow.core.definition.Visitor.mapChildren(
                p,
                (child, field) -> {
                    references(child, ptr + field, out);
                    return child;
                });
    }

    private static String plan(Definition resolved) {
        SegmentCatalog.Update u = SegmentCatalog.empty().put("draft", 0, resolved);
        return u.catalog()
                .segment("draft")
                .map(s -> s.incremental() ? "incremental" : "history")
                .orElse(null);
    }

    private void windowBeyondHorizon(
            Definition d,
            List<ValidationResult.ProductReason> unsupported,
            List<Problem> problems) {
        long horizon = engine.horizonMillis();
        io.cohortflow.core.definition.Visitor.walk(
                d.container(),
                p -> {
                    if (p instanceof Pred.Container c && c.window() != null) {
                        Window w = c.window();
                        if (w.unit().approxMillis(w.count()) > horizon && unsupported.isEmpty()) {
                            String reason =
                                    "a window of "
                                            + w.count()
                                            + " "
                                            + w.unit().json()
                                            + " exceeds the history horizon of "
                                            + engine.horizon().toDays()
                                            + " days kept in live state";
                            unsupported.add(
                                    new ValidationResult.ProductReason("streaming", reason));
                            unsupported.add(new ValidationResult.ProductReason("sync", reason));
                            problems.add(
                                    Problem.warning(
                                            "window_exceeds_horizon",
                                            "",
                                            reason + "; live evaluation sees only the horizon"));
                        }
                    }
                });
    }

    /**
     * The longest window or time restriction: past it a length means nothing for behavioural data,
     * and bounding it keeps every instant the engine computes far inside a long.
     */
    public static final long MAX_DURATION_DAYS = 100L * 366;

    /** The semantic checks, walking the tree with JSON pointers. */
    private final class Checker {
        private final List<Problem> problems;
        private final Set<String> features;
        private final boolean describe;
        private final Target target;
        private int aggregates;
        // Where the count of aggregates went past its limit: the reference to blame, inlined.
        private @Nullable String aggregatesCrossedAt;
        private int predicates;
        private boolean depthReported;

        /**
         * @param features where the features used are collected, or null when they are not wanted:
         *     naming a node's function writes its subtree, costly on an inlined whole
         */
        Checker(List<Problem> problems, @Nullable Set<String> features, Target target) {
            this.problems = problems;
            this.describe = features != null;
            this.features = features != null ? features : new HashSet<>();
            this.target = target;
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
         * A negation tested per hit ({@code func}) in a larger container holds when any one hit
         * lacks what it negates, which is seldom what was meant.
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
         * The context of a checkpoint that is a container, or a reference to a known segment (whose
         * top container it becomes); null for a hit predicate or an unknown reference.
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
            if (unit.approxMillis(count) > MAX_DURATION_DAYS * 86_400_000L) {
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
}
