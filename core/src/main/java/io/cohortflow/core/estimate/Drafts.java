package io.cohortflow.core.estimate;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.definition.Definition;
import io.cohortflow.core.definition.DefinitionParser;
import io.cohortflow.core.definition.Problem;
import io.cohortflow.core.eval.CompiledSegment;
import io.cohortflow.core.eval.SegmentCatalog;

/** Definitions not saved, compiled against a workspace's live catalog. */
public final class Drafts {
    /** The id a draft is compiled under: no stored segment id can be empty. */
    static final String DRAFT_ID = "";

    private Drafts() {}

    /**
     * The draft compiled as a segment of {@code catalog}, its {@code segment-ref}s resolved to the
     * catalog's segments (the catalog itself is not changed).
     *
     * @throws IllegalArgumentException with the problems when it does not parse or resolve
     */
    public static CompiledSegment compile(SegmentCatalog catalog, JsonNode definition) {
        DefinitionParser.Result parsed = DefinitionParser.parse(definition);
        if (!parsed.ok()) {
            throw new IllegalArgumentException(Problem.describe(parsed.problems()));
        }
        SegmentCatalog.Update u = catalog.put(DRAFT_ID, 1, parsed.definition());
        if (!u.ok()) {
            throw new IllegalArgumentException(Problem.describe(u.problems()));
        }
        return u.catalog().segment(DRAFT_ID).orElseThrow();
    }

    /** A draft compiled as the one segment of a catalog of its own. */
    public record Alone(SegmentCatalog catalog, CompiledSegment segment) {}

    /**
     * A resolved draft (no {@code segment-ref} left) compiled alone, for evaluating it where no
     * workspace catalog is at hand (a preview).
     *
     * @throws IllegalArgumentException with the problems when it does not compile
     */
    public static Alone alone(Definition resolved) {
        SegmentCatalog.Update u = SegmentCatalog.empty().put(DRAFT_ID, 1, resolved);
        if (!u.ok()) {
            throw new IllegalArgumentException(Problem.describe(u.problems()));
        }
        return new Alone(u.catalog(), u.catalog().segment(DRAFT_ID).orElseThrow());
    }
}
