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
 * are accepted and ignored so a client can send back what it read; those that could be mistaken for
 * an edit ({@code tags}, {@code publishingStatus.status}) only as the segment has them.
 *
 * @param status {@code publishingStatus.status} as sent, checked by {@link #requireStatusUnchanged}
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
        @Nullable JsonNode tags,
        @Nullable String status) {

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
        String status = null;
        if (body.has("publishingStatus")) {
            JsonNode ps = body.get("publishingStatus");
            if (!ps.isObject()) {
                errors.add(
                        problem(
                                "/publishingStatus",
                                "wrong_type",
                                "publishingStatus must be an object like {\"published\": true}"));
            } else {
                ps.fieldNames()
                        .forEachRemaining(
                                f -> {
                                    if (!f.equals("published") && !f.equals("status")) {
                                        errors.add(
                                                problem(
                                                        "/publishingStatus/" + f,
                                                        "unknown_field",
                                                        "unknown field publishingStatus." + f));
                                    }
                                });
                JsonNode inner = ps.path("published");
                if (inner.isBoolean()) {
                    if (published != null && published != inner.booleanValue()) {
                        // Either could be meant: neither wins silently.
                        errors.add(
                                problem(
                                        "/publishingStatus/published",
                                        "conflicting_value",
                                        "publishingStatus.published is "
                                                + inner.booleanValue()
                                                + " but published is "
                                                + published
                                                + "; send one of them"));
                    }
                    published = inner.booleanValue();
                } else if (!inner.isMissingNode() && !inner.isNull()) {
                    // Never coerced: {"published": "false"} must not leave a segment live unseen.
                    errors.add(
                            problem(
                                    "/publishingStatus/published",
                                    "wrong_type",
                                    "published must be true or false"));
                }
                JsonNode st = ps.path("status");
                if (st.isTextual()) {
                    status = st.asText();
                } else if (!st.isMissingNode()) {
                    errors.add(
                            problem(
                                    "/publishingStatus/status",
                                    "wrong_type",
                                    "status must be published or unpublished"));
                }
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
                    if (e.getKey().isBlank()) {
                        // A platform the replies would name "" (activations per platform).
                        errors.add(
                                problem(
                                        "/activations/" + e.getKey(),
                                        "invalid_value",
                                        "an activation platform is a non-empty name"));
                    } else if (!e.getValue().isBoolean()) {
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
        Long version = version(body, errors);
        fail(errors);
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
                body.get("tags"),
                status);
    }

    /**
     * The optional body of a rollback, {@code {"version": n}}: the version the caller saw as
     * current, checked as a PUT's. Refused as a PUT body's fields are: an unknown field (a typo
     * such as {@code versoin} would otherwise drop the check unseen) or a version that is not a
     * positive integer is a 400 {@code invalid_body} with its pointer.
     *
     * @return the expected version, null when the body names none
     */
    public static @Nullable Long parseRollback(JsonNode body) {
        if (!body.isObject()) {
            throw ServiceException.badRequest(
                    "invalid_body",
                    "a rollback's body, when given, is {\"version\": <the current version>}");
        }
        List<Map<String, Object>> errors = new ArrayList<>();
        body.fieldNames()
                .forEachRemaining(
                        f -> {
                            if (!f.equals("version")) {
                                errors.add(
                                        problem(
                                                "/" + f,
                                                "unknown_field",
                                                "unknown field "
                                                        + f
                                                        + "; a rollback's body is {\"version\":"
                                                        + " n}"));
                            }
                        });
        Long version = version(body, errors);
        fail(errors);
        return version;
    }

    /** The expected {@code version} of an edit, if the body has one: a positive integer. */
    private static @Nullable Long version(JsonNode body, List<Map<String, Object>> errors) {
        if (!body.has("version")) {
            return null;
        }
        JsonNode v = body.get("version");
        // canConvertToLong: asLong keeps the low 64 bits of a larger integer (2^64 + 1 read as 1).
        if (v.isIntegralNumber() && v.canConvertToLong() && v.asLong() >= 1) {
            return v.asLong();
        }
        errors.add(problem("/version", "wrong_type", "version must be a positive integer"));
        return null;
    }

    /** The body's problems, if any, as one 400 {@code invalid_body}. */
    private static void fail(List<Map<String, Object>> errors) {
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
    }

    /** A segment's {@code publishingStatus.status} as answered: published or unpublished. */
    public static String status(boolean published) {
        return published ? "published" : "unpublished";
    }

    /**
     * {@code publishingStatus.status} is read-only, answered with {@code published}: a body may
     * carry it as the segment has it before the edit, or as the edit leaves it, so that what a read
     * answered can be sent back with {@code published} changed or not. Any other value would be an
     * edit by a read-only field, silently ignored; it is a 400 instead.
     *
     * @param current whether the segment is published before the edit (for a new segment: as it is
     *     created)
     */
    void requireStatusUnchanged(boolean current) {
        boolean next = published == null ? current : published;
        if (status != null && !status.equals(status(current)) && !status.equals(status(next))) {
            String message =
                    "publishingStatus.status is read-only (it follows published); it may be sent"
                            + " only as "
                            + status(next);
            throw new ServiceException(
                    400,
                    "invalid_body",
                    message,
                    List.of(problem("/publishingStatus/status", "read_only_field", message)));
        }
    }

    /**
     * JSON leaves compared with numbers by value: a tag's id is a long, read back from a body as an
     * int when it fits one, and an int node never equals a long node of the same number.
     */
    private static final java.util.Comparator<JsonNode> NUMBERS_BY_VALUE =
            (a, b) ->
                    a.equals(b)
                                    || a.isNumber()
                                            && b.isNumber()
                                            && a.decimalValue().compareTo(b.decimalValue()) == 0
                            ? 0
                            : 1;

    /**
     * Tags are set with {@code PUT /componentmetadata/tags/tagitems}; a body may carry them only as
     * the segment has them, so that what a read or a write answered (with its tags) can be sent
     * back with a change elsewhere. Different ones are a 400 rather than a silent no-op.
     */
    void requireTagsUnchanged(List<StoredSegment.Tag> current) {
        if (tags != null && !tags.equals(NUMBERS_BY_VALUE, Json.MAPPER.valueToTree(current))) {
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
