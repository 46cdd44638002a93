package io.cohortflow.service.segments;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.definition.DefinitionParser;
import io.cohortflow.core.definition.SegmentResolver;
import io.cohortflow.service.ServiceException;
import io.cohortflow.service.auth.Principal;
import io.cohortflow.service.store.DefinitionStore;
import io.cohortflow.service.store.StoredSegment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Referential integrity: the segments whose definition names another in a {@code segment-ref}, and
 * the rule that a segment others depend on is not deleted or unpublished without {@code force}. A
 * referrer of a deleted segment would never be evaluated again (the job reports it not applied);
 * one of an unpublished segment would stop being evaluated once the job reloads.
 *
 * <p>The check is against this replica's view: a referrer created on another replica in the same
 * instant can still slip through (the job then reports it as not applied, never as live).
 */
final class Dependents {
    private final DefinitionStore store;

    /**
     * Each segment's direct references, with the definition they were read from, so a delete does
     * not parse every segment again. One entry per segment (by workspace and id), replaced when its
     * definition is another object: keyed by definition, it kept every definition ever checked,
     * edited ones the store had let go included, up to 100 000 of any size.
     */
    private final Map<String, Parsed> references = new ConcurrentHashMap<>();

    private record Parsed(JsonNode definition, Set<String> references) {}

    Dependents(DefinitionStore store) {
        this.store = store;
    }

    /**
     * The segments of {@code workspace}, deleted ones aside, that name {@code id} directly; only
     * the published ones when {@code publishedOnly}. Ordered by id.
     */
    List<StoredSegment> of(String workspace, String id, boolean publishedOnly) {
        List<StoredSegment> out = new ArrayList<>();
        for (DefinitionStore.Entry e : store.all(workspace)) {
            StoredSegment s = e.segment();
            if (s.deleted()
                    || s.id().equals(id)
                    || (publishedOnly && !s.published())
                    || s.definition() == null) {
                continue;
            }
            if (references(s).contains(id)) {
                out.add(s);
            }
        }
        out.sort(Comparator.comparing(StoredSegment::id));
        return out;
    }

    private Set<String> references(StoredSegment s) {
        String key = s.workspace() + "/" + s.id();
        JsonNode definition = s.definition();
        Parsed known = references.get(key);
        if (known != null && known.definition() == definition) {
            return known.references();
        }
        var parsed = DefinitionParser.parse(definition).definition();
        Set<String> refs =
                parsed == null
                        ? Set.of()
                        : Set.copyOf(SegmentResolver.references(parsed.container()));
        references.put(key, new Parsed(definition, refs));
        return refs;
    }

    /** How many segments' references are held (one entry per segment at most). */
    int held() {
        return references.size();
    }

    /**
     * Refuses (409 {@code referenced_segment}) to {@code change} a segment that live segments still
     * reference, naming those the caller may see; {@code publishedOnly} for an unpublish (drafts
     * are checked again when they are published).
     */
    void requireNone(Principal p, StoredSegment target, String change, boolean publishedOnly) {
        List<StoredSegment> all = of(target.workspace(), target.id(), publishedOnly);
        if (all.isEmpty()) {
            return;
        }
        List<StoredSegment> visible =
                all.stream().filter(s -> SegmentService.canSee(p, s)).toList();
        List<Map<String, Object>> details = new ArrayList<>();
        for (StoredSegment s : visible) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("severity", "error");
            d.put("code", "referenced_by");
            d.put("id", s.id());
            d.put("name", s.name());
            d.put("published", s.published());
            d.put("message", "segment " + s.id() + " (" + s.name() + ") references it");
            details.add(d);
        }
        int hidden = all.size() - visible.size();
        throw new ServiceException(
                409,
                "referenced_segment",
                "segment "
                        + target.id()
                        + " is referenced by "
                        + all.size()
                        + (publishedOnly ? " published" : "")
                        + (all.size() == 1 ? " segment" : " segments")
                        + (hidden > 0 ? " (" + hidden + " of them not visible to you)" : "")
                        + "; change those first, or "
                        + change
                        + " with force=true",
                details);
    }
}
