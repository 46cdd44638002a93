package io.cohortflow.core.validation;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.definition.Definition;
import io.cohortflow.core.definition.DefinitionParser;
import io.cohortflow.core.definition.Pred;
import io.cohortflow.core.definition.Problem;
import io.cohortflow.core.definition.SegmentResolver;
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
            new DefinitionChecker(guardrails, problems, features, target).check(d);
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
            new DefinitionChecker(guardrails, own, null, new Target(selfId, lookup, null)).check(d);
            // A direct reference's context is checked on the definition as written, at the
            // reference (DefinitionChecker.pred): the only problem the checker puts there.
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
        DefinitionChecker checker =
                new DefinitionChecker(guardrails, raw, null, Target.standalone());
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
            String at = aggregates ? checker.aggregatesCrossedAt() : p.pointer();
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
}
