package io.cohortflow.service.segments;

import io.cohortflow.core.definition.DefinitionParser;
import io.cohortflow.core.definition.Problem;
import io.cohortflow.core.validation.DefinitionValidator;
import io.cohortflow.service.store.DefinitionStore;
import io.cohortflow.service.store.StoredSegment;
import java.util.Optional;
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
     * The validation target of a segment of {@code workspace}, or of a template when {@code
     * workspace} is {@code *} (templates can only be judged against one another).
     */
    DefinitionValidator.Target target(String workspace, @Nullable String selfId) {
        boolean template = workspace.equals("*");
        return new DefinitionValidator.Target(
                selfId,
                ref -> {
                    Optional<StoredSegment> s =
                            template
                                    ? templates.get(ref)
                                    : store.get(workspace, ref)
                                            .map(DefinitionStore.Entry::segment)
                                            .filter(x -> !x.deleted());
                    return s.isEmpty() || s.get().definition() == null
                            ? null
                            : DefinitionParser.parse(s.get().definition()).definition();
                },
                template ? null : attributes.declared(workspace),
                ref -> template ? null : refusal(workspace, ref));
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
