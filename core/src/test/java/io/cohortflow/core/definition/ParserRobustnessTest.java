package io.cohortflow.core.definition;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cohortflow.core.Fixture;
import io.cohortflow.core.eval.EngineConfig;
import io.cohortflow.core.eval.RandomDefinitionsAccess;
import io.cohortflow.core.validation.DefinitionValidator;
import io.cohortflow.core.validation.Guardrails;
import io.cohortflow.core.validation.ValidationResult;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Random and mutated JSON never makes the parser or validator throw: the only outcome of bad input
 * is a validation error. Seeded, so failures reproduce.
 */
class ParserRobustnessTest {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final List<String> FUNCS = new ArrayList<>(DefinitionParser.functionNames());
    private static final List<String> FIELDS =
            List.of(
                    "func",
                    "context",
                    "pred",
                    "preds",
                    "val",
                    "name",
                    "str",
                    "num",
                    "list",
                    "glob",
                    "low",
                    "high",
                    "evt",
                    "field",
                    "stream",
                    "checkpoints",
                    "limit",
                    "count",
                    "unit",
                    "attr",
                    "window",
                    "at_least",
                    "id",
                    "container",
                    "version",
                    "description");
    private static final DefinitionValidator VALIDATOR =
            new DefinitionValidator(Guardrails.DEFAULT, EngineConfig.DEFAULT);

    @Test
    void random_json_only_ever_yields_validation_errors() {
        Random r = new Random(7);
        for (int i = 0; i < 5_000; i++) {
            JsonNode n = random(r, 0);
            check(n, i);
        }
    }

    @Test
    void mutated_valid_definitions_only_ever_yield_validation_errors() {
        Random r = new Random(11);
        for (int i = 0; i < 3_000; i++) {
            JsonNode valid = DefinitionWriter.write(RandomDefinitionsAccess.definition(r));
            JsonNode mutated = valid.deepCopy();
            int mutations = 1 + r.nextInt(4);
            for (int m = 0; m < mutations; m++) {
                mutate(mutated, r);
            }
            check(mutated, i);
        }
    }

    private static void check(JsonNode n, int i) {
        ValidationResult v;
        try {
            v = VALIDATOR.validate(n, DefinitionValidator.Target.standalone());
        } catch (RuntimeException | StackOverflowError e) {
            throw new AssertionError("input " + i + " threw on " + n, e);
        }
        assertThat(v.valid() == v.errors().isEmpty()).isTrue();
        if (v.valid()) {
            // whatever is accepted can be written and read back unchanged
            Definition d = v.definition();
            assertThat(DefinitionParser.parse(DefinitionWriter.write(d)).definition()).isEqualTo(d);
        }
    }

    private static JsonNode random(Random r, int depth) {
        int k = r.nextInt(depth > 6 ? 5 : 8);
        switch (k) {
            case 0:
                return F.textNode(
                        r.nextBoolean() ? FUNCS.get(r.nextInt(FUNCS.size())) : "x" + r.nextInt(3));
            case 1:
                return F.numberNode(r.nextInt(7) - 2);
            case 2:
                return r.nextBoolean() ? F.nullNode() : F.booleanNode(r.nextBoolean());
            case 3:
                return F.numberNode(r.nextDouble() * 1e6);
            case 4:
                return F.textNode(r.nextBoolean() ? "variables/x" : "metrics/occurrences");
            case 5:
                {
                    ArrayNode a = F.arrayNode();
                    int n = r.nextInt(4);
                    for (int i = 0; i < n; i++) {
                        a.add(random(r, depth + 1));
                    }
                    return a;
                }
            default:
                {
                    ObjectNode o = F.objectNode();
                    if (r.nextInt(4) > 0) {
                        o.put("func", FUNCS.get(r.nextInt(FUNCS.size())));
                    }
                    int n = r.nextInt(5);
                    for (int i = 0; i < n; i++) {
                        o.set(FIELDS.get(r.nextInt(FIELDS.size())), random(r, depth + 1));
                    }
                    return o;
                }
        }
    }

    /** Replaces, removes or retypes one random node of the tree. */
    private static void mutate(JsonNode root, Random r) {
        List<JsonNode> containers = new ArrayList<>();
        collect(root, containers);
        JsonNode target = containers.get(r.nextInt(containers.size()));
        if (target instanceof ObjectNode o && o.size() > 0) {
            List<String> names = new ArrayList<>();
            Iterator<String> it = o.fieldNames();
            it.forEachRemaining(names::add);
            String f = names.get(r.nextInt(names.size()));
            switch (r.nextInt(4)) {
                case 0 -> o.remove(f);
                case 1 -> o.set(f, random(r, 5));
                case 2 -> o.put(f, FUNCS.get(r.nextInt(FUNCS.size())));
                default -> o.set(FIELDS.get(r.nextInt(FIELDS.size())), random(r, 5));
            }
        } else if (target instanceof ArrayNode a && a.size() > 0) {
            int i = r.nextInt(a.size());
            if (r.nextBoolean()) {
                a.remove(i);
            } else {
                a.set(i, random(r, 5));
            }
        }
    }

    private static void collect(JsonNode n, List<JsonNode> out) {
        if (n.isContainerNode()) {
            out.add(n);
            n.forEach(c -> collect(c, out));
        }
    }

    static {
        Fixture.json("{}"); // warm Jackson before the loops
    }
}
