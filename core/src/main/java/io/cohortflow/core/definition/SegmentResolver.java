package io.cohortflow.core.definition;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Inlines {@code segment-ref}s: each reference becomes the referenced segment's top container, so
 * evaluation never looks anything up. Unknown ids, refused ids and cycles are errors, and so is a
 * result larger than a node budget: inlining multiplies (25 references to a segment of 25
 * references to a segment of 25 ... is 25^depth nodes), so a tree of small definitions can expand
 * without bound.
 */
public final class SegmentResolver {

    /**
     * The most predicate nodes a resolved definition may have wherever it is resolved, the job
     * included: a backstop against exponential inlining. The service's own, usually lower, limit
     * ({@code Guardrails.maxResolvedPredicates}) may not exceed it, so nothing the service accepts
     * is refused by the job.
     */
    public static final int MAX_RESOLVED_NODES = 10_000;

    /**
     * The deepest nesting a resolved definition may have, references inlined: the parser's own
     * limit on one definition. A chain of references each nesting a little nests without bound in
     * few nodes, and compiling or evaluating it recurses once per level (2 500 levels of 5 000
     * nodes overflowed a thread's stack, which in the job would fail every replay of the log).
     */
    public static final int MAX_RESOLVED_DEPTH = DefinitionParser.HARD_DEPTH_LIMIT;

    /** The code of the problem reported when the resolved definition exceeds its node budget. */
    public static final String TOO_LARGE = "too_many_resolved_predicates";

    /** The resolved definition, or the problems that prevent it. */
    public record Result(@Nullable Definition definition, List<Problem> problems) {}

    private final Function<String, Definition> lookup;
    private final Function<String, Problem> refusal;
    private final int maxNodes;
    private final List<Problem> problems = new ArrayList<>();
    private final Set<String> stack = new LinkedHashSet<>();
    private int nodes;
    private boolean overflow;
    // The pointer of the reference of the resolved definition itself that is being inlined:
    // pointers met deeper are inside other segments and mean nothing to the submitter.
    private @Nullable String outerRef;

    private SegmentResolver(
            Function<String, Definition> lookup, Function<String, Problem> refusal, int maxNodes) {
        this.lookup = lookup;
        this.refusal = refusal;
        this.maxNodes = maxNodes;
    }

    /**
     * Resolves with no refused ids and the {@link #MAX_RESOLVED_NODES} backstop.
     *
     * @param selfId the id of the segment being resolved (null for a draft), so a reference to
     *     itself is reported as a cycle
     * @param lookup the current definition of a segment id, or null when there is none
     */
    public static Result resolve(
            Definition d, @Nullable String selfId, Function<String, Definition> lookup) {
        return resolve(d, selfId, lookup, id -> null, MAX_RESOLVED_NODES);
    }

    /**
     * @param selfId the id of the segment being resolved (null for a draft), so a reference to
     *     itself is reported as a cycle
     * @param lookup the current definition of a segment id, or null when there is none
     * @param refusal why an existing segment may still not be referenced, as a problem (its pointer
     *     is replaced by the reference's), or null when it may
     * @param maxNodes the most predicate nodes the resolved definition may have; beyond it
     *     resolution stops with a {@link #TOO_LARGE} error at the reference that crossed it
     */
    public static Result resolve(
            Definition d,
            @Nullable String selfId,
            Function<String, Definition> lookup,
            Function<String, Problem> refusal,
            int maxNodes) {
        SegmentResolver r = new SegmentResolver(lookup, refusal, maxNodes);
        if (selfId != null) {
            r.stack.add(selfId);
        }
        Pred top = r.pred(d.container(), "/container", 0);
        if (!r.problems.isEmpty()) {
            return new Result(null, List.copyOf(r.problems));
        }
        return new Result(
                new Definition((Pred.Container) top, d.version(), d.description()), List.of());
    }

    /** The ids a definition refers to directly. */
    public static Set<String> references(Pred p) {
        Set<String> out = new LinkedHashSet<>();
        Visitor.walk(
                p,
                n -> {
                    if (n instanceof Pred.SegmentRef r) {
                        out.add(r.id());
                    }
                });
        return out;
    }

    private Pred pred(Pred p, String ptr, int depth) {
        if (overflow) {
            return p; // the result is refused anyway: stop expanding
        }
        // Only inlined parts can take a definition past the depth its parser allowed.
        if (outerRef != null && depth > MAX_RESOLVED_DEPTH) {
            overflow = true;
            problems.add(
                    Problem.error(
                            DefinitionParser.TOO_DEEP,
                            outerRef,
                            "with its segment-refs inlined the definition nests more than "
                                    + MAX_RESOLVED_DEPTH
                                    + " levels deep once this reference is expanded; reference"
                                    + " segments that nest less"));
            return p;
        }
        if (p instanceof Pred.SegmentRef r) {
            if (stack.contains(r.id())) {
                List<String> path = new ArrayList<>(stack);
                path.add(r.id());
                problems.add(
                        Problem.error(
                                "segment_cycle",
                                ptr,
                                "segment references form a cycle: " + String.join(" -> ", path)));
                return p;
            }
            Problem refused = refusal.apply(r.id());
            if (refused != null) {
                problems.add(
                        new Problem(refused.severity(), refused.code(), ptr, refused.message()));
                return p;
            }
            Definition target = lookup.apply(r.id());
            if (target == null) {
                problems.add(
                        Problem.error(
                                "unknown_segment",
                                ptr,
                                "segment-ref names an unknown segment \"" + r.id() + "\""));
                return p;
            }
            boolean outermost = outerRef == null;
            if (outermost) {
                outerRef = ptr;
            }
            stack.add(r.id());
            Pred inlined = pred(target.container(), ptr, depth);
            stack.remove(r.id());
            if (outermost) {
                outerRef = null;
            }
            return inlined;
        }
        if (++nodes > maxNodes) {
            overflow = true;
            String at = outerRef != null ? outerRef : ptr;
            problems.add(
                    Problem.error(
                            TOO_LARGE,
                            at,
                            outerRef != null
                                    ? "with its segment-refs inlined the definition has more than "
                                            + maxNodes
                                            + " predicates (the limit) once this reference is"
                                            + " expanded; reference fewer or smaller segments"
                                    : "the definition has more than "
                                            + maxNodes
                                            + " predicates; the limit is "
                                            + maxNodes));
            return p;
        }
        return Visitor.mapChildren(p, (child, field) -> pred(child, ptr + field, depth + 1));
    }
}
