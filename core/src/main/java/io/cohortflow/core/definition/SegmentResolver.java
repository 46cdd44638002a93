package io.cohortflow.core.definition;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import javax.annotation.Nullable;

/**
 * Inlines {@code segment-ref}s: each reference becomes the referenced segment's top container, so
 * evaluation never looks anything up. Unknown ids and cycles are errors.
 */
public final class SegmentResolver {

    /** The resolved definition, or the problems that prevent it. */
    public record Result(@Nullable Definition definition, List<Problem> problems) {}

    private final Function<String, Definition> lookup;
    private final List<Problem> problems = new ArrayList<>();
    private final Set<String> stack = new LinkedHashSet<>();

    private SegmentResolver(Function<String, Definition> lookup) {
        this.lookup = lookup;
    }

    /**
     * @param selfId the id of the segment being resolved (null for a draft), so a reference to
     *     itself is reported as a cycle
     * @param lookup the current definition of a segment id, or null when there is none
     */
    public static Result resolve(
            Definition d, @Nullable String selfId, Function<String, Definition> lookup) {
        SegmentResolver r = new SegmentResolver(lookup);
        if (selfId != null) {
            r.stack.add(selfId);
        }
        Pred top = r.pred(d.container(), "/container");
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

    private Pred pred(Pred p, String ptr) {
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
            Definition target = lookup.apply(r.id());
            if (target == null) {
                problems.add(
                        Problem.error(
                                "unknown_segment",
                                ptr,
                                "segment-ref names an unknown segment \"" + r.id() + "\""));
                return p;
            }
            stack.add(r.id());
            Pred inlined = pred(target.container(), ptr);
            stack.remove(r.id());
            return inlined;
        }
        return Visitor.mapChildren(p, (child, field) -> pred(child, ptr + field));
    }
}
