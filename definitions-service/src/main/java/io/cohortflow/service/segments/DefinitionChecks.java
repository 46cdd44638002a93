package io.cohortflow.service.segments;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.definition.Definition;
import io.cohortflow.core.definition.DefinitionParser;
import io.cohortflow.core.definition.DefinitionWriter;
import io.cohortflow.core.definition.Problem;
import io.cohortflow.core.definition.SegmentResolver;
import io.cohortflow.core.eval.EngineConfig;
import io.cohortflow.core.validation.DefinitionValidator;
import io.cohortflow.core.validation.ValidationResult;
import io.cohortflow.service.ServiceException;
import io.cohortflow.service.auth.Principal;
import io.cohortflow.service.segments.SegmentService.View;
import io.cohortflow.service.store.StoredSegment;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Definitions judged against their workspace, free of HTTP: a draft as the caller sends it, a
 * definition being written (its canonical form, or 400/413 with pointers), a stored one going live,
 * and the compatibility of a stored segment. A definition being written must also leave every
 * segment that references it within the limits the job resolves it by.
 */
final class DefinitionChecks {
    private final DefinitionValidator validator;
    private final References references;
    private final Dependents dependents;
    private final SegmentLimits limits;

    DefinitionChecks(
            SegmentLimits limits, Duration horizon, References references, Dependents dependents) {
        this.validator =
                new DefinitionValidator(
                        limits.guardrails(),
                        new EngineConfig(
                                horizon,
                                EngineConfig.DEFAULT.historyCap(),
                                EngineConfig.DEFAULT.maxFutureSkew()));
        this.references = references;
        this.dependents = dependents;
        this.limits = limits;
    }

    /** {@link SegmentService#validate}, its data view known to exist. */
    ValidationResult validate(Principal p, @Nullable JsonNode definition) {
        return validator.validate(definition, references.target(p, null, definition));
    }

    /** See {@link SegmentService#draft}. */
    JsonNode draft(Principal p, @Nullable JsonNode definition) {
        if (definition == null || definition.isNull() || definition.isMissingNode()) {
            throw new ServiceException(
                    400,
                    "invalid_definition",
                    "definition is required",
                    List.of(
                            SegmentInput.problem(
                                    "/definition", "required", "definition is required")));
        }
        return canonical(p, null, definition);
    }

    /** See {@link SegmentService#resolvedDraft}. */
    Definition resolvedDraft(Principal p, @Nullable JsonNode definition) {
        JsonNode canonical = draft(p, definition);
        Definition d = DefinitionParser.parse(canonical).definition();
        DefinitionValidator.Target target =
                references.target(p, null, SegmentResolver.references(d.container()));
        SegmentResolver.Result r = SegmentResolver.resolve(d, null, target.segments());
        if (r.definition() == null) {
            // Validation resolved it a moment ago: a referenced segment changed since.
            throw new ServiceException(
                    409,
                    "conflict",
                    "a segment the draft references changed while it was read; retry: "
                            + r.problems().get(0).message());
        }
        return r.definition();
    }

    /** The compatibility of a stored or template segment, against the current store. */
    ValidationResult compatibility(View v) {
        return validator.validate(
                v.segment().definition(),
                references.target(v.template() ? "*" : v.segment().workspace(), v.segment().id()));
    }

    /**
     * Validates a definition the caller sends or restores (create, update, rollback, a draft) and
     * returns the canonical form, or throws 400/413 with pointers. Its {@code segment-ref}s may
     * name only segments the caller may see; any other is an {@code unknown_segment}.
     */
    JsonNode canonical(Principal p, @Nullable String selfId, JsonNode definition) {
        return canonical(
                p.workspace(), selfId, definition, references.target(p, selfId, definition));
    }

    /**
     * Validates the stored definition of segment {@code selfId} going live (publish) as {@link
     * #canonical(Principal, String, JsonNode)} does, but as stored: its references were the
     * caller's to check when it was written, and are judged now only for what the job needs (live,
     * within the limits), whoever may see them today.
     */
    JsonNode canonicalStored(String workspace, String selfId, JsonNode definition) {
        return canonical(workspace, selfId, definition, references.target(workspace, selfId));
    }

    private JsonNode canonical(
            String workspace,
            @Nullable String selfId,
            JsonNode definition,
            DefinitionValidator.Target target) {
        ValidationResult r = validator.validate(definition, target);
        if (!r.valid()) {
            List<Map<String, Object>> details = new ArrayList<>();
            for (Problem pr : r.errors()) {
                details.add(
                        SegmentInput.problem(
                                "/definition" + pr.pointer(), pr.code(), pr.message()));
            }
            throw new ServiceException(400, "invalid_definition", r.message(), details);
        }
        JsonNode canonical = DefinitionWriter.write(r.definition());
        limits.checkDefinition(canonical);
        if (selfId != null) {
            referrersWithinLimit(workspace, selfId, r.definition());
        }
        return canonical;
    }

    /**
     * A problem's identity across an edit: a limit of the whole definition (size, depth,
     * aggregates) is placed where the count first went over, which an edit elsewhere moves, so it
     * is one problem wherever it is; any other problem is its code at its place.
     */
    private static String problemKey(Problem p) {
        return WHOLE_DEFINITION_LIMITS.contains(p.code()) ? p.code() : p.code() + " " + p.pointer();
    }

    private static final Set<String> WHOLE_DEFINITION_LIMITS =
            Set.of(
                    SegmentResolver.TOO_LARGE,
                    DefinitionParser.TOO_DEEP,
                    "too_deep",
                    "too_many_aggregates",
                    "too_many_sequence_steps");

    /**
     * The segments that reference {@code selfId}, directly or through others, inline its new
     * definition: a definition that grows, nests deeper or changes its context must not take one of
     * them past the resolved-size guardrail or the resolver's depth limit, past another guardrail
     * once inlined, or into a context where it may not sit (a hits segment counted inside a visit,
     * now a visitors one), each of which it met against the old one when it was written (400 naming
     * the first). The job resolves them the same way, and would otherwise drop the referrer and
     * every segment referring to it, or evaluate it with another meaning.
     */
    private void referrersWithinLimit(String workspace, String selfId, Definition edited) {
        Function<String, Definition> current = references.target(workspace, null).segments();
        Function<String, Definition> lookup =
                ref -> ref.equals(selfId) ? edited : current.apply(ref);
        int max = limits.guardrails().maxResolvedPredicates();
        Set<String> seen = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of(selfId));
        while (!todo.isEmpty()) {
            for (StoredSegment referrer : dependents.of(workspace, todo.pop(), false)) {
                if (!seen.add(referrer.id())) {
                    continue;
                }
                todo.add(referrer.id());
                Definition d = DefinitionParser.parse(referrer.definition()).definition();
                if (d == null) {
                    continue;
                }
                // Only what this edit would break: a referrer stored before a rule was added may
                // already be past it, and that must not block every edit of what it references.
                Set<String> already = new HashSet<>();
                for (Problem p : validator.inlinedProblems(d, referrer.id(), current)) {
                    already.add(problemKey(p));
                }
                if (already.contains(SegmentResolver.TOO_LARGE)
                        || already.contains(DefinitionParser.TOO_DEEP)) {
                    // Its resolution stops there, so what else it has is unknown: an edit can
                    // only leave it past what the job resolves, or bring it back.
                    continue;
                }
                Problem limit =
                        validator.inlinedProblems(d, referrer.id(), lookup).stream()
                                .filter(Problem::isError)
                                .filter(p -> !already.contains(problemKey(p)))
                                .findFirst()
                                .orElse(null);
                if (limit != null) {
                    String past =
                            switch (limit.code()) {
                                case SegmentResolver.TOO_LARGE ->
                                        " go past " + max + " resolved predicates (the limit)";
                                case DefinitionParser.TOO_DEEP ->
                                        " go past "
                                                + SegmentResolver.MAX_RESOLVED_DEPTH
                                                + " levels of nesting once inlined (the limit)";
                                default ->
                                        " be invalid, at "
                                                + limit.pointer()
                                                + " of its definition: "
                                                + limit.message();
                            };
                    throw new ServiceException(
                            400,
                            "invalid_definition",
                            "segment "
                                    + referrer.id()
                                    + " references this one; with this definition inlined it would"
                                    + past,
                            List.of(
                                    SegmentInput.problem(
                                            "/definition",
                                            limit.code(),
                                            "segment " + referrer.id() + " would" + past)));
                }
            }
        }
    }
}
