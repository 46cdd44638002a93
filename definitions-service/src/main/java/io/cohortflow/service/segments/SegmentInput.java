package io.cohortflow.service.segments;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.Json;
import io.cohortflow.service.ServiceException;
import io.cohortflow.service.store.StoredSegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A POST or PUT body, checked field by field: unknown fields and wrong types are errors with a JSON
 * pointer, never silently coerced. Read-only fields that a GET returns (id, owner, created, ...)
 * are accepted and ignored so a client can send back what it read.
 */
public record SegmentInput(
        @Nullable String name,
        boolean hasDescription,
        @Nullable String description,
        @Nullable String rsid,
        @Nullable JsonNode definition,
        @Nullable Boolean published,
        @Nullable List<String> categories,
        @Nullable Map<String, Boolean> activations,
        @Nullable Long expectedVersion,
        @Nullable JsonNode tags) {

    static final Set<String> WRITABLE =
            Set.of(
                    "name",
                    "description",
                    "rsid",
                    "definition",
                    "published",
                    "publishingStatus",
                    "categories",
                    "activations",
                    "version");
    static final Set<String> READ_ONLY =
            Set.of(
                    "id",
                    "owner",
                    "created",
                    "modified",
                    "reportSuiteName",
                    "compatibility",
                    "definitionLastModified",
                    "template",
                    "deleted",
                    "propagation",
                    "audienceSize",
                    "audienceLastDay");
    // Lengths of name and description are configurable limits (SegmentLimits), checked by the
    // service; the rsid names a configured data view, so any longer one is unknown anyway.
    private static final int MAX_RSID = 255;

    public static SegmentInput parse(@Nullable JsonNode body) {
        if (body == null || !body.isObject()) {
            throw ServiceException.badRequest("invalid_body", "the body must be a JSON object");
        }
        List<Map<String, Object>> errors = new ArrayList<>();
        body.fieldNames()
                .forEachRemaining(
                        f -> {
                            // tags: checked against the segment's own (requireTagsUnchanged).
                            if (!f.equals("tags")
                                    && !WRITABLE.contains(f)
                                    && !READ_ONLY.contains(f)) {
                                errors.add(problem("/" + f, "unknown_field", "unknown field " + f));
                            }
                        });
        String name = text(body, "name", Integer.MAX_VALUE, errors);
        if (name != null && name.isBlank()) {
            errors.add(problem("/name", "invalid_value", "name cannot be blank"));
        }
        String description = text(body, "description", Integer.MAX_VALUE, errors);
        String rsid = text(body, "rsid", MAX_RSID, errors);
        JsonNode definition = null;
        if (body.has("definition")) {
            definition = body.get("definition");
            if (!definition.isObject()) {
                errors.add(problem("/definition", "wrong_type", "definition must be an object"));
            }
        }
        Boolean published = null;
        if (body.has("published")) {
            JsonNode p = body.get("published");
            if (p.isBoolean()) {
                published = p.booleanValue();
            } else {
                errors.add(problem("/published", "wrong_type", "published must be true or false"));
            }
        }
        if (body.has("publishingStatus")) {
            JsonNode ps = body.get("publishingStatus");
            JsonNode inner = ps.path("published");
            if (ps.isObject() && inner.isBoolean()) {
                published = inner.booleanValue();
            } else if (ps.isObject() && !inner.isMissingNode() && !inner.isNull()) {
                // Never coerced: {"published": "false"} must not leave a segment live unseen.
                errors.add(
                        problem(
                                "/publishingStatus/published",
                                "wrong_type",
                                "published must be true or false"));
            } else if (!ps.isObject()) {
                errors.add(
                        problem(
                                "/publishingStatus",
                                "wrong_type",
                                "publishingStatus must be an object like {\"published\": true}"));
            }
        }
        List<String> categories = null;
        if (body.has("categories")) {
            JsonNode c = body.get("categories");
            if (!c.isArray()) {
                errors.add(
                        problem(
                                "/categories",
                                "wrong_type",
                                "categories must be an array of strings"));
            } else {
                categories = new ArrayList<>();
                for (int i = 0; i < c.size(); i++) {
                    if (!c.get(i).isTextual() || c.get(i).asText().isBlank()) {
                        errors.add(
                                problem(
                                        "/categories/" + i,
                                        "wrong_type",
                                        "a category is a non-empty string"));
                    } else if (!categories.contains(c.get(i).asText().trim())) {
                        categories.add(c.get(i).asText().trim());
                    }
                }
            }
        }
        Map<String, Boolean> activations = null;
        if (body.has("activations")) {
            JsonNode a = body.get("activations");
            if (!a.isObject()) {
                errors.add(
                        problem(
                                "/activations",
                                "wrong_type",
                                "activations must map a platform to true or false"));
            } else {
                activations = new LinkedHashMap<>();
                for (var it = a.fields(); it.hasNext(); ) {
                    var e = it.next();
                    if (!e.getValue().isBoolean()) {
                        errors.add(
                                problem(
                                        "/activations/" + e.getKey(),
                                        "wrong_type",
                                        "an activation is true or false"));
                    } else {
                        activations.put(e.getKey(), e.getValue().booleanValue());
                    }
                }
            }
        }
        Long version = null;
        if (body.has("version")) {
            JsonNode v = body.get("version");
            if (v.canConvertToExactIntegral() && v.isIntegralNumber() && v.asLong() >= 1) {
                version = v.asLong();
            } else {
                errors.add(problem("/version", "wrong_type", "version must be a positive integer"));
            }
        }
        if (!errors.isEmpty()) {
            throw new ServiceException(
                    400,
                    "invalid_body",
                    errors.size() == 1
                            ? (String) errors.get(0).get("message")
                            : errors.size()
                                    + " problems in the body; the first: "
                                    + errors.get(0).get("message"),
                    errors);
        }
        return new SegmentInput(
                name,
                body.has("description"),
                description,
                rsid,
                definition,
                published,
                categories,
                activations,
                version,
                body.get("tags"));
    }

    /**
     * Tags are set with {@code PUT /componentmetadata/tags/tagitems}; a body may carry them only as
     * the segment has them, so that what a read or a write answered (with its tags) can be sent
     * back with a change elsewhere. Different ones are a 400 rather than a silent no-op.
     */
    void requireTagsUnchanged(List<StoredSegment.Tag> current) {
        if (tags != null && !tags.equals(Json.MAPPER.valueToTree(current))) {
            String message =
                    "tags are set with PUT /componentmetadata/tags/tagitems; a segment's body may"
                            + " carry them only as they are";
            throw new ServiceException(
                    400,
                    "invalid_body",
                    message,
                    List.of(problem("/tags", "read_only_field", message)));
        }
    }

    private static @Nullable String text(
            JsonNode body, String field, int max, List<Map<String, Object>> errors) {
        if (!body.has(field) || body.get(field).isNull() && field.equals("description")) {
            return null;
        }
        JsonNode n = body.get(field);
        if (!n.isTextual()) {
            errors.add(problem("/" + field, "wrong_type", field + " must be a string"));
            return null;
        }
        if (n.asText().length() > max) {
            errors.add(
                    problem(
                            "/" + field,
                            "too_long",
                            field + " is longer than " + max + " characters"));
            return null;
        }
        return n.asText();
    }

    public static Map<String, Object> problem(String pointer, String code, String message) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("severity", "error");
        m.put("code", code);
        m.put("pointer", pointer);
        m.put("message", message);
        return m;
    }
}
