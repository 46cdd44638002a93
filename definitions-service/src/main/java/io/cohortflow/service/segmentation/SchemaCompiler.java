package io.cohortflow.service.segmentation;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.AbsoluteIri;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import io.cohortflow.service.ServiceException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the JSON Schemas clients write into validators with networknt's json-schema-validator
 * (draft 2020-12 unless the schema's {@code $schema} says otherwise), on one registry that never
 * reads anything but the schema itself: {@link #check} refuses a schema that is not a usable,
 * self-contained JSON Schema, {@link #compile} compiles one, for {@link EventSchemas}.
 */
final class SchemaCompiler {
    // The logger of the schemas: what the validator refused is theirs to report.
    private static final Logger LOG = LoggerFactory.getLogger(EventSchemas.class);

    /**
     * The registry every schema is compiled by. Its loader may read only the meta-schemas shipped
     * inside the library: a schema is written by a client, so anything it names must never be
     * fetched (a file, a URL, a resource on the classpath). {@link #check} refuses such references
     * first; this is the second wall. Its patterns run on {@link BoundedRegex}.
     */
    private final SchemaRegistry registry =
            SchemaRegistry.withDefaultDialect(
                    SpecificationVersion.DRAFT_2020_12,
                    b ->
                            b.schemaLoader(l -> l.allow(SchemaCompiler::isMetaSchema))
                                    .schemaRegistryConfig(
                                            SchemaRegistryConfig.builder()
                                                    .regularExpressionFactory(new BoundedRegex())
                                                    .build()));

    private static final Set<String> REFERENCES = Set.of("$ref", "$dynamicRef", "$recursiveRef");

    /** The 2020-12 meta-schema (shipped inside the library): a schema must validate against it. */
    private final Schema meta =
            registry.getSchema(
                    SchemaLocation.of(SpecificationVersion.DRAFT_2020_12.getDialectId()));

    /** Compiles {@code schema} or throws a 400 saying why it is not a usable JSON Schema. */
    void check(JsonNode schema) {
        if (schema == null || !(schema.isObject() || schema.isBoolean())) {
            throw ServiceException.badRequest(
                    "invalid_schema", "a JSON Schema is a JSON object", "body: not an object");
        }
        selfContained(schema, "");
        List<Error> wrong = meta.validate(schema.toString(), InputFormat.JSON);
        if (!wrong.isEmpty()) {
            throw ServiceException.badRequest(
                    "invalid_schema",
                    "the body is not a valid JSON Schema (draft 2020-12)",
                    String.join("; ", wrong.stream().map(SchemaCompiler::describe).toList()));
        }
        try {
            registry.getSchema(schema.toString(), InputFormat.JSON).initializeValidators();
        } catch (RuntimeException e) {
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c instanceof BoundedRegex.Invalid) {
                    throw ServiceException.badRequest(
                            "invalid_schema",
                            "the body is not a usable JSON Schema",
                            c.getMessage());
                }
            }
            // The library's messages name its classes and internals: log them, answer in ours.
            LOG.debug("schema refused by the validator", e);
            throw ServiceException.badRequest(
                    "invalid_schema",
                    "the body is not a usable JSON Schema",
                    "the validator could not compile it");
        }
    }

    /**
     * The compiled form of a stored {@code schema}; throws (a runtime exception of the library's)
     * when it does not compile.
     */
    Schema compile(JsonNode schema) {
        return registry.getSchema(schema.toString(), InputFormat.JSON);
    }

    /**
     * Refuses what would make the validator read anything but the schema itself: a reference
     * ({@code $ref}, {@code $dynamicRef}, {@code $recursiveRef}) that is not a {@code #...} pointer
     * into the same document, and a {@code $schema} that is not one of the drafts shipped with the
     * library. Walks the whole tree, so a reference hidden in an unknown keyword is refused too.
     */
    private static void selfContained(JsonNode node, String pointer) {
        if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                selfContained(node.get(i), pointer + "/" + i);
            }
            return;
        }
        if (!node.isObject()) {
            return;
        }
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            String at = pointer + "/" + f.getKey().replace("~", "~0").replace("/", "~1");
            JsonNode v = f.getValue();
            if (REFERENCES.contains(f.getKey())
                    && v.isTextual()
                    && !v.textValue().startsWith("#")) {
                throw ServiceException.badRequest(
                        "invalid_schema",
                        "a schema may only refer within itself ('#/...'); it is never resolved"
                                + " against files or URLs",
                        at + ": " + BoundedRegex.quote(v.textValue()));
            }
            if (f.getKey().equals("$schema")
                    && v.isTextual()
                    && SpecificationVersion.fromDialectId(v.textValue()).isEmpty()) {
                throw ServiceException.badRequest(
                        "invalid_schema",
                        "$schema must name a JSON Schema draft (4, 6, 7, 2019-09 or 2020-12)",
                        at + ": " + BoundedRegex.quote(v.textValue()));
            }
            selfContained(v, at);
        }
    }

    private static boolean isMetaSchema(AbsoluteIri iri) {
        String s = iri.toString();
        return s.startsWith("https://json-schema.org/draft/")
                || s.startsWith("http://json-schema.org/draft-");
    }

    /** One of the library's errors as our answers word it. */
    static String describe(Error e) {
        return e.toString(); // "/properties/words: string found, integer expected"
    }
}
