package io.cohortflow.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * JSON Schemas for Kubernetes objects, validated the way {@code kubectl apply --validate=strict}
 * does: an unknown field is an error, not silently dropped.
 *
 * <ul>
 *   <li>Core API kinds from the Kubernetes OpenAPI document that fabric8 ships in {@code
 *       io.fabric8:kubernetes-model-validator} ({@code openshift-generated.json}, a superset of
 *       Kubernetes' own), picked by definition name ({@code io.k8s.api.apps.v1.Deployment}).
 *   <li>Custom resources from the CRDs their operators publish: the Flink Kubernetes Operator's
 *       {@code flink-kubernetes-operator-api} jar ({@code META-INF/fabric8/}) and Strimzi's {@code
 *       api} test jar ({@code crds/v1/}), picked by group, version and kind.
 * </ul>
 *
 * The conversion from OpenAPI to JSON Schema is what kubeconform's openapi2jsonschema does:
 * int-or-string and quantities accept numbers and strings, objects with declared properties get
 * {@code additionalProperties: false} unless they preserve unknown fields.
 */
final class KubernetesSchemas {
    static final ObjectMapper JSON = new ObjectMapper();
    static final YAMLMapper YAML = new YAMLMapper();

    private static final String OPENAPI = "openshift-generated.json";
    private static final List<String> CRDS =
            List.of(
                    "META-INF/fabric8/flinkdeployments.flink.apache.org-v1.yml",
                    "crds/v1/040-Crd-kafka.yaml",
                    "crds/v1/043-Crd-kafkatopic.yaml",
                    "crds/v1/045-Crd-kafkanodepool.yaml");
    private static final String OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

    /**
     * The API groups whose apiVersion names a domain ({@code networking.k8s.io/v1}), by the short
     * name their OpenAPI definitions carry ({@code io.k8s.api.networking.v1.NetworkPolicy}); the
     * document has no group-version-kind of its own to read it from.
     */
    private static final Map<String, String> DOMAIN_GROUPS =
            Map.ofEntries(
                    Map.entry("admissionregistration", "admissionregistration.k8s.io"),
                    Map.entry("certificates", "certificates.k8s.io"),
                    Map.entry("coordination", "coordination.k8s.io"),
                    Map.entry("discovery", "discovery.k8s.io"),
                    Map.entry("events", "events.k8s.io"),
                    Map.entry("flowcontrol", "flowcontrol.apiserver.k8s.io"),
                    Map.entry("networking", "networking.k8s.io"),
                    Map.entry("node", "node.k8s.io"),
                    Map.entry("rbac", "rbac.authorization.k8s.io"),
                    Map.entry("resource", "resource.k8s.io"),
                    Map.entry("scheduling", "scheduling.k8s.io"),
                    Map.entry("storage", "storage.k8s.io"));

    /**
     * Flink versions the FlinkDeployment CRD accepts beyond those of the newest operator API on
     * Maven Central (1.10.0). Operator 1.11 added v2_0, 1.13 added v2_1 and v2_2 (FlinkVersion in
     * the operator's sources); the rest of the 1.10 schema is unchanged for the fields we use.
     */
    static final List<String> NEWER_FLINK_VERSIONS = List.of("v2_0", "v2_1", "v2_2");

    private final SchemaRegistry registry =
            SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7);
    private final ObjectNode definitions;
    private final Map<String, String> coreKinds = new HashMap<>();
    private final Map<String, ObjectNode> customKinds = new HashMap<>();
    private final Map<String, Schema> compiled = new HashMap<>();

    KubernetesSchemas() {
        JsonNode openapi = read(OPENAPI, JSON);
        definitions = JsonNodeFactory.instance.objectNode();
        openapi.path("definitions")
                .properties()
                .forEach(
                        e -> {
                            definitions.set(e.getKey(), strict(e.getValue(), e.getKey()));
                            // io.k8s.api.<group>.<version>.<Kind>; "core" is the empty group,
                            // and groups named by domain carry it in their apiVersion.
                            String[] p = e.getKey().split("\\.");
                            if (e.getKey().startsWith("io.k8s.api.") && p.length == 6) {
                                String group =
                                        p[3].equals("core")
                                                ? ""
                                                : DOMAIN_GROUPS.getOrDefault(p[3], p[3]);
                                coreKinds.put(key(apiVersion(group, p[4]), p[5]), e.getKey());
                            }
                        });
        for (String crd : CRDS) {
            JsonNode doc = read(crd, YAML);
            String group = doc.path("spec").path("group").asText();
            String kind = doc.path("spec").path("names").path("kind").asText();
            for (JsonNode v : doc.path("spec").path("versions")) {
                ObjectNode schema =
                        (ObjectNode) strict(v.path("schema").path("openAPIV3Schema"), null);
                // Every object has these; CRD generators often leave them out of the schema.
                ObjectNode props = (ObjectNode) schema.path("properties");
                props.putIfAbsent("apiVersion", types("string"));
                props.putIfAbsent("kind", types("string"));
                props.putIfAbsent("metadata", types("object"));
                if (kind.equals("FlinkDeployment")) {
                    ArrayNode versions =
                            (ArrayNode) schema.at("/properties/spec/properties/flinkVersion/enum");
                    NEWER_FLINK_VERSIONS.forEach(versions::add);
                }
                customKinds.put(key(apiVersion(group, v.path("name").asText()), kind), schema);
            }
        }
    }

    /** Every error of one object against the schema of its kind; empty when it is valid. */
    List<String> validate(JsonNode object) {
        String apiVersion = object.path("apiVersion").asText();
        String kind = object.path("kind").asText();
        String key = key(apiVersion, kind);
        List<String> errors = new java.util.ArrayList<>();
        errors.addAll(check(schemaFor(key), object));
        if (customKinds.containsKey(key)) {
            // A CRD declares metadata as a bare object; the API server checks it as ObjectMeta.
            errors.addAll(check(coreSchema(OBJECT_META), object.path("metadata")));
        }
        return errors;
    }

    boolean knows(String apiVersion, String kind) {
        String key = key(apiVersion, kind);
        return coreKinds.containsKey(key) || customKinds.containsKey(key);
    }

    private static List<String> check(Schema schema, JsonNode object) {
        return schema.validate(object.toString(), InputFormat.JSON).stream()
                .map(Error::toString)
                .toList();
    }

    private Schema schemaFor(String key) {
        if (customKinds.containsKey(key)) {
            return compiled.computeIfAbsent(
                    key,
                    k -> {
                        ObjectNode s = customKinds.get(k).deepCopy();
                        s.put("$schema", "http://json-schema.org/draft-07/schema#");
                        return registry.getSchema(s.toString(), InputFormat.JSON);
                    });
        }
        String definition = coreKinds.get(key);
        if (definition == null) {
            throw new IllegalArgumentException("no schema for " + key);
        }
        return coreSchema(definition);
    }

    /** One definition with every definition it refers to, transitively. */
    private Schema coreSchema(String definition) {
        return compiled.computeIfAbsent(
                "#" + definition,
                d -> {
                    ObjectNode defs = JsonNodeFactory.instance.objectNode();
                    Deque<String> todo = new ArrayDeque<>(List.of(definition));
                    while (!todo.isEmpty()) {
                        String name = todo.pop();
                        if (defs.has(name)) {
                            continue;
                        }
                        JsonNode def = definitions.get(name);
                        defs.set(name, def);
                        refs(def).forEach(todo::push);
                    }
                    ObjectNode root = JsonNodeFactory.instance.objectNode();
                    root.put("$schema", "http://json-schema.org/draft-07/schema#");
                    root.set("definitions", defs);
                    root.put("$ref", "#/definitions/" + definition);
                    return registry.getSchema(root.toString(), InputFormat.JSON);
                });
    }

    private static Set<String> refs(JsonNode node) {
        Set<String> out = new TreeSet<>();
        Deque<JsonNode> todo = new ArrayDeque<>(List.of(node));
        while (!todo.isEmpty()) {
            JsonNode n = todo.pop();
            if (n.has("$ref")) {
                out.add(n.get("$ref").asText().substring("#/definitions/".length()));
            }
            n.forEach(todo::push);
        }
        return out;
    }

    /**
     * The schema as strict JSON Schema: unknown fields rejected, Kubernetes' int-or-string and
     * quantity types as JSON types, vendor extensions and descriptions left out.
     */
    private static JsonNode strict(JsonNode schema, String definitionName) {
        if (!schema.isObject()) {
            return schema;
        }
        if ("io.k8s.apimachinery.pkg.util.intstr.IntOrString".equals(definitionName)
                || "int-or-string".equals(schema.path("format").asText())
                || schema.path("x-kubernetes-int-or-string").asBoolean(false)) {
            return types("integer", "string");
        }
        if ("io.k8s.apimachinery.pkg.api.resource.Quantity".equals(definitionName)) {
            // `cpu: 1` and `memory: 1Gi` are both quantities.
            return types("number", "string");
        }
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = schema.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String k = e.getKey();
            JsonNode v = e.getValue();
            if (k.startsWith("x-kubernetes-") || k.equals("description") || k.equals("nullable")) {
                continue;
            }
            switch (k) {
                case "properties", "patternProperties", "definitions" -> {
                    ObjectNode props = JsonNodeFactory.instance.objectNode();
                    v.properties().forEach(p -> props.set(p.getKey(), strict(p.getValue(), null)));
                    out.set(k, props);
                }
                case "items", "additionalProperties", "not" ->
                        out.set(k, v.isObject() ? strict(v, null) : v);
                case "allOf", "anyOf", "oneOf" -> {
                    ArrayNode arr = JsonNodeFactory.instance.arrayNode();
                    v.forEach(x -> arr.add(strict(x, null)));
                    out.set(k, arr);
                }
                default -> out.set(k, v);
            }
        }
        boolean open = schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
        if (schema.has("properties") && !schema.has("additionalProperties") && !open) {
            out.put("additionalProperties", false);
        }
        return out;
    }

    private static ObjectNode types(String... types) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        ArrayNode t = n.putArray("type");
        Stream.of(types).forEach(t::add);
        return n;
    }

    private static String apiVersion(String group, String version) {
        return group.isEmpty() ? version : group + "/" + version;
    }

    private static String key(String apiVersion, String kind) {
        return apiVersion + " " + kind;
    }

    private static JsonNode read(String resource, ObjectMapper mapper) {
        try (InputStream in =
                KubernetesSchemas.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the test classpath");
            }
            return mapper.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The objects of a YAML file of one or more documents. */
    static List<JsonNode> documents(java.nio.file.Path file) {
        try (var it = YAML.readerFor(JsonNode.class).<JsonNode>readValues(file.toFile())) {
            List<JsonNode> out = new java.util.ArrayList<>();
            while (it.hasNext()) {
                JsonNode n = it.next();
                if (n != null && !n.isNull() && !n.isMissingNode()) {
                    out.add(n);
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, JsonNode> byKindAndName(List<JsonNode> objects) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (JsonNode o : objects) {
            out.put(o.path("kind").asText() + "/" + o.path("metadata").path("name").asText(), o);
        }
        return out;
    }
}
