package io.cohortflow.service.segments;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.definition.SegmentResolver;
import io.cohortflow.core.validation.Guardrails;
import io.cohortflow.service.ServiceException;
import io.cohortflow.service.config.ServiceConfig;
import io.cohortflow.service.store.StoredSegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * How large what a client stores may be. A segment is one record of the definitions topic, and the
 * broker refuses a record over its message limit (1 MB by default): a record that grew past it
 * could never be replaced again, so the segment could be neither edited nor deleted. Every field is
 * therefore bounded on write (400, or 413 for the definition's bytes), and the serialized record as
 * a whole is checked against a budget far below the broker's limit (413). Deletions are never
 * checked: they must stay possible for a record written under older, larger limits, and a deletion
 * is no larger than the record it replaces.
 *
 * @param maxNameChars longest name
 * @param maxDescriptionChars longest description
 * @param maxTags most tags on a segment
 * @param maxTagChars longest tag name
 * @param maxTagDescriptionChars longest tag description
 * @param maxCategories most categories
 * @param maxCategoryChars longest category
 * @param maxActivations most activation platforms
 * @param maxShares most shares of a segment
 * @param maxDefinitionBytes largest definition, in bytes of its canonical JSON
 * @param maxRecordBytes largest record on the definitions topic, in bytes; below the broker's
 *     message limit with room to spare
 * @param maxResolvedPredicates most predicates of a definition once its segment-refs are inlined
 */
public record SegmentLimits(
        int maxNameChars,
        int maxDescriptionChars,
        int maxTags,
        int maxTagChars,
        int maxTagDescriptionChars,
        int maxCategories,
        int maxCategoryChars,
        int maxActivations,
        int maxShares,
        int maxDefinitionBytes,
        int maxRecordBytes,
        int maxResolvedPredicates) {

    /**
     * Kafka's default {@code max.message.bytes}, less room for the record's key and headers: a
     * budget above it would let through records the broker refuses (503 for ever, the bug these
     * limits prevent).
     */
    public static final int BROKER_LIMIT = io.cohortflow.core.contract.RecordLimits.MAX_BYTES;

    public static final SegmentLimits DEFAULT =
            new SegmentLimits(255, 4000, 50, 100, 500, 50, 100, 20, 200, 65_536, 262_144, 1000);

    public SegmentLimits {
        for (int v :
                new int[] {
                    maxNameChars,
                    maxDescriptionChars,
                    maxTags,
                    maxTagChars,
                    maxTagDescriptionChars,
                    maxCategories,
                    maxCategoryChars,
                    maxActivations,
                    maxShares,
                    maxDefinitionBytes,
                    maxResolvedPredicates
                }) {
            if (v < 1) {
                throw new IllegalArgumentException("segment limits must be at least 1");
            }
        }
        if (maxRecordBytes < maxDefinitionBytes || maxRecordBytes > BROKER_LIMIT) {
            throw new IllegalArgumentException(
                    "the record budget must hold a definition and stay below the broker's "
                            + BROKER_LIMIT
                            + " bytes, got "
                            + maxRecordBytes);
        }
        if (maxResolvedPredicates > SegmentResolver.MAX_RESOLVED_NODES) {
            throw new IllegalArgumentException(
                    "maxResolvedPredicates may not exceed the job's "
                            + SegmentResolver.MAX_RESOLVED_NODES);
        }
    }

    /** The definition guardrails with this resolved-size limit. */
    public Guardrails guardrails() {
        return Guardrails.DEFAULT.withMaxResolvedPredicates(maxResolvedPredicates);
    }

    /** Checks the fields a create or update sets (400 with one entry per field over its limit). */
    public void checkInput(SegmentInput in) {
        List<Map<String, Object>> errors = new ArrayList<>();
        text(errors, "/name", in.name(), maxNameChars);
        text(errors, "/description", in.description(), maxDescriptionChars);
        categories(errors, in.categories());
        activations(errors, in.activations());
        fail(errors);
    }

    /** Checks the content an old version brings back on rollback, as if it were sent again. */
    public void checkRestored(StoredSegment old) {
        List<Map<String, Object>> errors = new ArrayList<>();
        text(errors, "/name", old.name(), maxNameChars);
        text(errors, "/description", old.description(), maxDescriptionChars);
        categories(errors, old.categories());
        activations(errors, old.activations());
        fail(errors);
    }

    /** Checks the tags of a tags write. */
    public void checkTags(List<SegmentMetadata.TagInput> tags) {
        List<Map<String, Object>> errors = new ArrayList<>();
        if (tags.size() > maxTags) {
            errors.add(tooMany("/tags", "tags", tags.size(), maxTags));
        }
        for (int i = 0; i < tags.size() && errors.size() < 10; i++) {
            text(errors, "/tags/" + i + "/name", tags.get(i).name(), maxTagChars);
            text(
                    errors,
                    "/tags/" + i + "/description",
                    tags.get(i).description(),
                    maxTagDescriptionChars);
        }
        fail(errors);
    }

    /** Checks the number of shares a share write leaves. */
    public void checkShares(int count) {
        if (count > maxShares) {
            fail(List.of(tooMany("/shareToId", "shares", count, maxShares)));
        }
    }

    /** Checks the canonical definition's size (413: it is the body's bulk, not a wrong value). */
    public void checkDefinition(JsonNode canonical) {
        int bytes = Json.bytes(canonical).length;
        if (bytes > maxDefinitionBytes) {
            throw new ServiceException(
                    413,
                    "definition_too_large",
                    "the definition is "
                            + bytes
                            + " bytes; the limit is "
                            + maxDefinitionBytes
                            + " ("
                            + ServiceConfig.MAX_DEFINITION_BYTES.key()
                            + ")",
                    List.of(
                            SegmentInput.problem(
                                    "/definition",
                                    "too_large",
                                    "at most " + maxDefinitionBytes + " bytes")));
        }
    }

    /**
     * Checks the record a write produces: the backstop that keeps every record far below the
     * broker's limit whatever combination of fields reached it. A record that does not grow the one
     * it replaces passes anyway, so a segment stored under older, larger limits can be edited down
     * step by step.
     */
    public void checkRecord(StoredSegment next, @Nullable StoredSegment current) {
        int bytes = Json.bytes(next).length;
        if (bytes > maxRecordBytes && (current == null || bytes > Json.bytes(current).length)) {
            throw new ServiceException(
                    413,
                    "segment_too_large",
                    "segment "
                            + next.id()
                            + " would be stored as "
                            + bytes
                            + " bytes; the limit is "
                            + maxRecordBytes
                            + " ("
                            + ServiceConfig.MAX_RECORD_BYTES.key()
                            + "): shorten its description, tags or definition");
        }
    }

    private void categories(List<Map<String, Object>> errors, @Nullable List<String> categories) {
        if (categories == null) {
            return;
        }
        if (categories.size() > maxCategories) {
            errors.add(tooMany("/categories", "categories", categories.size(), maxCategories));
        }
        for (int i = 0; i < categories.size() && errors.size() < 10; i++) {
            text(errors, "/categories/" + i, categories.get(i), maxCategoryChars);
        }
    }

    private void activations(
            List<Map<String, Object>> errors, @Nullable Map<String, Boolean> activations) {
        if (activations == null) {
            return;
        }
        if (activations.size() > maxActivations) {
            errors.add(tooMany("/activations", "activations", activations.size(), maxActivations));
        }
        // Platform names are short identifiers, bounded like category names.
        for (String platform : activations.keySet()) {
            if (errors.size() >= 10) {
                break;
            }
            if (platform.length() > maxCategoryChars) {
                errors.add(
                        SegmentInput.problem(
                                "/activations/" + platform,
                                "too_long",
                                "an activation platform is at most "
                                        + maxCategoryChars
                                        + " characters"));
            }
        }
    }

    private static void text(
            List<Map<String, Object>> errors, String pointer, @Nullable String value, int max) {
        if (value != null && value.length() > max) {
            errors.add(
                    SegmentInput.problem(
                            pointer,
                            "too_long",
                            pointer.substring(1)
                                    + " is "
                                    + value.length()
                                    + " characters; the limit is "
                                    + max));
        }
    }

    private static Map<String, Object> tooMany(String pointer, String what, int n, int max) {
        return SegmentInput.problem(pointer, "too_many", n + " " + what + "; the limit is " + max);
    }

    private static void fail(List<Map<String, Object>> errors) {
        if (errors.isEmpty()) {
            return;
        }
        String first = (String) errors.get(0).get("message");
        throw new ServiceException(
                400,
                "limit_exceeded",
                errors.size() == 1
                        ? first
                        : errors.size() + " fields exceed their limits; the first: " + first,
                errors);
    }
}
