package io.cohortflow.service.segmentation;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.cohortflow.core.contract.Keys;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Event schemas: one JSON Schema per event name per workspace, checked with networknt's
 * json-schema-validator (draft 2020-12 unless the schema's {@code $schema} says otherwise). Stored
 * like definitions, in a compacted topic read back by every replica; the last write wins and a
 * delete is a tombstone. An event whose name has no schema is not checked: schemas are opt-in.
 */
public final class EventSchemas implements AutoCloseable {

    /**
     * One schema record. The schema validates the whole event ({@code name}, {@code time}, ...).
     */
    public record EventSchema(
            @JsonProperty("workspace") String workspace,
            @JsonProperty("name") String name,
            @JsonProperty("schema") JsonNode schema,
            @JsonProperty("version") long version,
            @JsonProperty("created") String created,
            @JsonProperty("modified") String modified) {}

    private record Compiled(long version, String modified, Schema schema) {}

    private final CompactedTable<EventSchema> table;
    private final SchemaRegistry registry =
            SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    private final Map<String, Compiled> compiled = new ConcurrentHashMap<>();

    /** The 2020-12 meta-schema (shipped inside the library): a schema must validate against it. */
    private final Schema meta =
            registry.getSchema(
                    SchemaLocation.of(SpecificationVersion.DRAFT_2020_12.getDialectId()));

    public EventSchemas(String bootstrap, String topic, Duration writeTimeout) {
        this.table =
                new CompactedTable<>(
                        bootstrap, topic, EventSchema.class, (cur, inc) -> inc, writeTimeout);
    }

    public void start(Duration timeout) {
        table.start(timeout);
    }

    public Optional<EventSchema> get(String workspace, String name) {
        return table.get(Keys.of(workspace, name));
    }

    public List<EventSchema> list(String workspace) {
        String prefix = Keys.of(workspace, "");
        List<EventSchema> out = table.values(k -> k.startsWith(prefix));
        out.sort(Comparator.comparing(EventSchema::name));
        return out;
    }

    /** Compiles {@code schema} or throws a 400 saying why it is not a usable JSON Schema. */
    public void check(JsonNode schema) {
        if (schema == null || !(schema.isObject() || schema.isBoolean())) {
            throw SegmentationException.badRequest(
                    "invalid_schema", "a JSON Schema is a JSON object", "body: not an object");
        }
        List<Error> wrong = meta.validate(schema.toString(), InputFormat.JSON);
        if (!wrong.isEmpty()) {
            throw SegmentationException.badRequest(
                    "invalid_schema",
                    "the body is not a valid JSON Schema (draft 2020-12)",
                    String.join("; ", wrong.stream().map(EventSchemas::describe).toList()));
        }
        try {
            registry.getSchema(schema.toString(), InputFormat.JSON).initializeValidators();
        } catch (RuntimeException e) {
            throw SegmentationException.badRequest(
                    "invalid_schema", "the body is not a usable JSON Schema", e.getMessage());
        }
    }

    /** Creates or replaces; completes with the stored record once this replica has read it back. */
    public CompletableFuture<EventSchema> put(String workspace, String name, JsonNode schema) {
        check(schema);
        String now = Instant.now().toString();
        EventSchema prev = get(workspace, name).orElse(null);
        EventSchema s =
                new EventSchema(
                        workspace,
                        name,
                        schema,
                        prev == null ? 1 : prev.version() + 1,
                        prev == null ? now : prev.created(),
                        now);
        return table.write(Keys.of(workspace, name), s).thenApply(o -> o.orElse(s));
    }

    public CompletableFuture<Boolean> delete(String workspace, String name) {
        if (get(workspace, name).isEmpty()) {
            return CompletableFuture.completedFuture(false);
        }
        return table.write(Keys.of(workspace, name), null).thenApply(o -> true);
    }

    /**
     * The violations of {@code event} against its name's schema ("/properties/url: required
     * property ... not found"), empty when valid or when the name has no schema.
     */
    public List<String> violations(String workspace, JsonNode event) {
        JsonNode name = event.get("name");
        if (name == null || !name.isTextual()) {
            return List.of();
        }
        Optional<EventSchema> s = get(workspace, name.textValue());
        if (s.isEmpty()) {
            return List.of();
        }
        EventSchema es = s.get();
        String key = Keys.of(workspace, es.name());
        Compiled c = compiled.get(key);
        if (c == null || c.version() != es.version() || !c.modified().equals(es.modified())) {
            Schema schema = registry.getSchema(es.schema().toString(), InputFormat.JSON);
            c = new Compiled(es.version(), es.modified(), schema);
            compiled.put(key, c);
        }
        List<Error> errors = c.schema().validate(event.toString(), InputFormat.JSON);
        return errors.stream().map(EventSchemas::describe).toList();
    }

    private static String describe(Error e) {
        return e.toString(); // "/properties/words: string found, integer expected"
    }

    @Override
    public void close() {
        table.close();
    }
}
