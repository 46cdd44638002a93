package io.cohortflow.core.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cohortflow.core.definition.DefinitionParser;
import io.cohortflow.core.definition.DefinitionWriter;
import io.cohortflow.core.definition.TimeUnit;
import io.cohortflow.core.event.Event;
import io.cohortflow.core.event.EventJson;
import io.cohortflow.core.validation.DefinitionValidator;
import io.cohortflow.core.validation.Guardrails;
import io.cohortflow.core.validation.ValidationResult;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The validator's promise to the job: whatever it calls valid, the engine evaluates without an
 * exception, on any event the edge accepts. Random definitions get extreme parameters (windows and
 * restrictions of up to 2^31 units of every unit, huge at_least, numbers at double's edges), random
 * events get times from 1970 to the year 9999; a definition the validator accepts is then run on
 * the engine through events, lapses and definition changes. An exception there (an overflow, a
 * calendar out of range) once failed the job for every workspace.
 */
class ValidDefinitionsEvaluateTest {
    private static final int RUNS = 300;
    private static final long[] COUNTS = {
        1, 59, 1_000, 100_000, 1_000_000, 10_000_000, 1_000_000_000, Integer.MAX_VALUE
    };
    private static final double[] NUMBERS = {
        0, -1, 1e15, -1e300, 1e300, Double.MAX_VALUE, -Double.MAX_VALUE, Double.MIN_VALUE
    };

    @Test
    void every_definition_the_validator_accepts_evaluates_without_an_exception() {
        DefinitionValidator validator =
                new DefinitionValidator(Guardrails.DEFAULT, EngineConfig.DEFAULT);
        SegmentEngine engine = new SegmentEngine(EngineConfig.DEFAULT);
        int accepted = 0;
        for (int run = 0; run < RUNS; run++) {
            long seed = 0xBADL * 7919 + run;
            Random r = new Random(seed);
            RandomDefinitions gen = new RandomDefinitions(r);
            JsonNode json = DefinitionWriter.write(gen.definition());
            extreme(json, r);
            ValidationResult v = validator.validate(json, DefinitionValidator.Target.standalone());
            if (!v.valid()) {
                continue;
            }
            accepted++;
            try {
                exercise(engine, gen, r, json);
            } catch (RuntimeException e) {
                throw new AssertionError("seed " + seed + ", definition " + json, e);
            }
        }
        org.assertj.core.api.Assertions.assertThat(accepted)
                .as("definitions accepted out of %d", RUNS)
                .isGreaterThan(RUNS / 4);
    }

    private static void exercise(
            SegmentEngine engine, RandomDefinitions gen, Random r, JsonNode j) {
        SegmentCatalog.Update u =
                SegmentCatalog.empty().put("s", 1, DefinitionParser.parse(j).definition());
        SegmentCatalog catalog = u.catalog();
        UserProfile profile = new UserProfile();
        ListHistory history = new ListHistory();
        long t = r.nextBoolean() ? EventJson.EARLIEST : 1_700_000_000_000L;
        for (int step = 0; step < 40; step++) {
            int action = r.nextInt(10);
            if (action == 0) {
                profile.definitionsEpoch = 0; // as if every segment had just changed
                engine.catchUp(profile, history, catalog);
            } else if (action == 1 && profile.nextExpiry() != Long.MAX_VALUE) {
                t = Math.max(t, profile.nextExpiry());
                engine.advanceTo(profile, history, catalog, profile.nextExpiry());
            } else if (action == 2) {
                t = EventJson.LATEST - r.nextInt(1_000_000);
                engine.onEvents(profile, history, catalog, List.of(gen.event(t)));
            } else {
                t = Math.min(EventJson.LATEST, Math.max(EventJson.EARLIEST, t + gen.gap()));
                Event e = gen.event(t);
                engine.onEvents(profile, history, catalog, List.of(e));
            }
            profile = ProfileCodec.fromBytes(ProfileCodec.toBytes(profile));
            engine.cohorts(profile, catalog);
        }
    }

    /** Replaces counts and numbers of the definition with extreme ones, at random. */
    private static void extreme(JsonNode n, Random r) {
        if (n instanceof ObjectNode o) {
            List<String> names = new ArrayList<>();
            Iterator<String> it = o.fieldNames();
            it.forEachRemaining(names::add);
            for (String f : names) {
                JsonNode v = o.get(f);
                if ((f.equals("count") || f.equals("at_least")) && r.nextInt(3) > 0) {
                    o.put(f, COUNTS[r.nextInt(COUNTS.length)]);
                } else if (f.equals("unit") && r.nextBoolean()) {
                    o.put(f, TimeUnit.values()[r.nextInt(TimeUnit.values().length)].json());
                } else if ((f.equals("num") || f.equals("low") || f.equals("high"))
                        && v.isNumber()
                        && r.nextInt(3) == 0) {
                    o.put(f, NUMBERS[r.nextInt(NUMBERS.length)]);
                } else if (f.equals("container") && r.nextInt(4) == 0 && v.isObject()) {
                    ((ObjectNode) v)
                            .set(
                                    "window",
                                    new com.fasterxml.jackson.databind.ObjectMapper()
                                            .valueToTree(
                                                    Map.of(
                                                            "count",
                                                            COUNTS[r.nextInt(COUNTS.length)],
                                                            "unit",
                                                            TimeUnit.values()[r.nextInt(7)]
                                                                    .json())));
                    extreme(v, r);
                } else {
                    extreme(v, r);
                }
            }
        } else if (n instanceof ArrayNode a) {
            a.forEach(x -> extreme(x, r));
        }
    }
}
