package io.cohortflow.service.segments;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.definition.Definition;
import io.cohortflow.core.definition.DefinitionParser;
import io.cohortflow.core.definition.Problem;
import io.cohortflow.core.definition.SegmentResolver;
import io.cohortflow.core.validation.DefinitionValidator;
import io.cohortflow.service.auth.Principal;
import io.cohortflow.service.store.DefinitionStore;
import io.cohortflow.service.store.StoredSegment;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The validation target of a segment: what its {@code segment-ref}s name, and the attributes its
 * workspace's event schemas declare ({@link EventAttributes}). What a {@code segment-ref} may name:
 * a segment of the same workspace that is published and not deleted. The job evaluates only such
 * segments and resolves references among them alone, so a reference to anything else would pass
 * here and fail there (a dead letter, the referring segment never evaluated):
 *
 * <ul>
 *   <li>templates are never written to the log, so the job never sees them ({@code
 *       template_reference});
 *   <li>an unpublished segment is a draft, its current version having {@code published: false}
 *       ({@code unpublished_segment}); publish it first;
 *   <li>a deleted or unknown segment does not exist ({@code unknown_segment}).
 * </ul>
 *
 * <p>And in a definition a caller sends ({@link #target(Principal, String, JsonNode)}), a {@code
 * segment-ref} may name only a segment the caller may see ({@link SegmentService#canSee}, the rule
 * of {@code GET /segments/{id}}): any other is unknown to it, refused exactly as a segment that
 * does not exist ({@code unknown_segment}), so neither its definition (inlined into a preview's
 * explanation), its audience (an estimate) nor its existence is revealed. The references of the
 * segments it names are theirs, judged when those were written; and a stored segment is judged as
 * stored ({@link #target(String, String)}), whoever may see what now.
 */
final class References {
    private final DefinitionStore store;
    private final Templates templates;
    private final EventAttributes attributes;

    References(DefinitionStore store, Templates templates, EventAttributes attributes) {
        this.store = store;
        this.templates = templates;
        this.attributes = attributes;
    }

    /**
     * The validation target of a stored segment of {@code workspace} (its compatibility, the
     * re-check of a referrer or of a segment going live), or of a template when {@code workspace}
     * is {@code *} (templates can only be judged against one another). No caller: every segment of
     * the workspace may be named, as the job resolves them.
     */
    DefinitionValidator.Target target(String workspace, @Nullable String selfId) {
        return target(workspace, selfId, ref -> false);
    }

    /**
     * The validation target of {@code definition} as {@code caller} sends it (validate, create,
     * update, rollback, preview, estimate): its direct {@code segment-ref}s to segments the caller
     * may not see are unknown.
     */
    DefinitionValidator.Target target(
            Principal caller, @Nullable String selfId, @Nullable JsonNode definition) {
        Definition d = DefinitionParser.parse(definition).definition();
        // Unparseable: the validator reports that and resolves nothing.
        return target(
                caller, selfId, d == null ? Set.of() : SegmentResolver.references(d.container()));
    }

    /**
     * As {@link #target(Principal, String, JsonNode)}, for a definition whose direct references are
     * {@code named}: only those are the caller's; the segments they name may reference others.
     */
    DefinitionValidator.Target target(
            Principal caller, @Nullable String selfId, Set<String> named) {
        return target(
                caller.workspace(),
                selfId,
                ref ->
                        named.contains(ref)
                                && store.get(caller.workspace(), ref)
                                        .filter(e -> !SegmentService.canSee(caller, e.segment()))
                                        .isPresent());
    }

    /**
     * @param hidden the ids to answer as if they named no segment: the validator and the resolver
     *     then report them as any unknown id (no lookup, no other refusal, no context check)
     */
    private DefinitionValidator.Target target(
            String workspace, @Nullable String selfId, Predicate<String> hidden) {
        boolean template = workspace.equals("*");
        return new DefinitionValidator.Target(
                selfId,
                ref -> {
                    Optional<StoredSegment> s =
                            template
                                    ? templates.get(ref)
                                    : hidden.test(ref)
                                            ? Optional.empty()
                                            : store.get(workspace, ref)
                                                    .map(DefinitionStore.Entry::segment)
                                                    .filter(x -> !x.deleted());
                    return s.isEmpty() || s.get().definition() == null
                            ? null
                            : DefinitionParser.parse(s.get().definition()).definition();
                },
                template ? null : attributes.declared(workspace),
                ref -> template || hidden.test(ref) ? null : refusal(workspace, ref));
    }

    private @Nullable Problem refusal(String workspace, String ref) {
        if (templates.get(ref).isPresent()) {
            return Problem.error(
                    "template_reference",
                    "",
                    "segment-ref names the template \""
                            + ref
                            + "\"; templates are never evaluated: create a segment from its"
                            + " definition and reference that");
        }
        Optional<StoredSegment> s = store.get(workspace, ref).map(DefinitionStore.Entry::segment);
        if (s.isPresent() && !s.get().deleted() && !s.get().published()) {
            return Problem.error(
                    "unpublished_segment",
                    "",
                    "segment-ref names \""
                            + ref
                            + "\", which is unpublished; only published segments are evaluated,"
                            + " so publish it first");
        }
        return null;
    }
}
