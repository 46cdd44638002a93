package io.cohortflow.service.segments;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.Json;
import io.cohortflow.service.store.StoredSegment;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Read-only template segments shipped with the service (the documented examples of
 * docs/definition-language.md, in {@code templates.json}). They belong to no workspace, are not
 * written to the log and are never evaluated by the job: a user copies one by creating a segment
 * from its definition.
 */
public final class Templates {
    public static final String PREFIX = "tpl_";
    public static final StoredSegment.Owner OWNER =
            new StoredSegment.Owner(0, "Cohortflow templates", "templates@cohortflow.io");
    private static final String SHIPPED = "2026-11-23T00:00:00Z";

    private final Map<String, StoredSegment> byId;

    public Templates(List<StoredSegment> templates) {
        Map<String, StoredSegment> m = new LinkedHashMap<>();
        templates.forEach(t -> m.put(t.id(), t));
        this.byId = Map.copyOf(m);
    }

    /** The shipped templates, from the classpath. */
    public static Templates shipped() {
        try (InputStream in = Templates.class.getResourceAsStream("/templates.json")) {
            if (in == null) {
                throw new IllegalStateException("templates.json is missing from the classpath");
            }
            List<StoredSegment> list = new ArrayList<>();
            for (JsonNode t : Json.MAPPER.readTree(in)) {
                List<String> categories = new ArrayList<>();
                t.path("categories").forEach(c -> categories.add(c.asText()));
                list.add(
                        new StoredSegment(
                                "*",
                                t.get("id").asText(),
                                1,
                                0,
                                false,
                                false,
                                t.get("definition"),
                                null,
                                t.get("name").asText(),
                                t.path("description").asText(null),
                                "default",
                                OWNER,
                                List.of(),
                                categories,
                                List.of(),
                                SHIPPED,
                                SHIPPED,
                                SHIPPED,
                                OWNER,
                                "create"));
            }
            return new Templates(list);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Optional<StoredSegment> get(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    public List<StoredSegment> all() {
        return List.copyOf(byId.values());
    }
}
