package io.cohortflow.core.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.Fixture;
import io.cohortflow.core.definition.DefinitionWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Over random definitions and event streams, an explanation's root agrees with the engine's
 * membership, and every node of the tree agrees with its children (an {@code and} holds exactly
 * when all its operands do, a container exactly when enough of its units match, a sequence that
 * holds names the events of each step), so the tree a user reads is the reason for the answer.
 */
class ExplainAgreesTest {
    private static final int RUNS = Integer.getInteger("runs", 300);
    private static final EngineConfig CONFIG =
            new EngineConfig(Duration.ofDays(5), 25, Duration.ofMinutes(5));

    @Test
    void the_explanation_agrees_with_the_membership_and_with_itself() {
        int[] seen = new int[3]; // explanations checked, sequences that held, containers held
        for (int run = 0; run < RUNS; run++) {
            long seed = 0xE1A1L * 7 + run;
            try {
                runOnce(new Random(seed), seen);
            } catch (AssertionError e) {
                throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
            }
        }
        assertThat(seen[0]).isGreaterThan(RUNS * 10);
        assertThat(seen[1]).as("sequences that held, with their steps").isGreaterThan(RUNS / 10);
        assertThat(seen[2]).as("containers that held").isGreaterThan(RUNS);
    }

    private static void runOnce(Random r, int[] seen) {
        RandomDefinitions gen = new RandomDefinitions(r);
        Fixture f = new Fixture(CONFIG);
        List<String> ids = new ArrayList<>();
        int defs = 1 + r.nextInt(4);
        for (int i = 0; i < defs; i++) {
            List<String> live = new ArrayList<>(ids);
            String id = "seg" + i;
            f.define(id, DefinitionWriter.write(gen.definition(live)).toString());
            ids.add(id);
        }
        long t = Fixture.T0;
        for (int step = 0; step < 30; step++) {
            if (r.nextInt(8) == 0 && f.profile.nextExpiry() != Long.MAX_VALUE) {
                t = Math.max(t, f.profile.nextExpiry());
                f.advanceTo(f.profile.nextExpiry());
            } else {
                t += gen.gap();
                f.send(gen.event(t));
            }
            for (String id : ids) {
                Explanation e = f.engine.explain(f.profile, f.history, f.catalog, id).orElseThrow();
                assertThat(e.holds()).as("root of %s at step %d", id, step).isEqualTo(f.member(id));
                check(e, seen);
                seen[0]++;
            }
        }
    }

    private static void check(Explanation e, int[] seen) {
        List<Explanation> c = e.children();
        switch (e.func()) {
            case "and" -> assertThat(e.holds()).isEqualTo(c.stream().allMatch(Explanation::holds));
            case "or" -> assertThat(e.holds()).isEqualTo(c.stream().anyMatch(Explanation::holds));
            case "not", "without" -> assertThat(e.holds()).isEqualTo(!c.get(0).holds());
            case "container" -> {
                assertThat(e.holds()).as(e.pointer()).isEqualTo(e.matchingUnits() >= e.atLeast());
                assertThat(e.matchingUnits()).isLessThanOrEqualTo(e.units());
                if (e.units() > 0) {
                    // The child is explained on a witness: a matching unit whenever there is one.
                    assertThat(c.get(0).holds()).isEqualTo(e.matchingUnits() > 0);
                }
                if (e.holds()) {
                    seen[2]++;
                }
            }
            case "event-exists" -> assertThat(e.holds()).isEqualTo(e.value() > 0);
            case "sequence", "sequence-prefix", "sequence-suffix" -> {
                assertThat(e.steps()).isNotEmpty();
                if (e.holds()) {
                    seen[1]++;
                    for (Explanation.Step s : e.steps()) {
                        assertThat(s.matched()).as(e.pointer()).isNotEmpty();
                        assertThat(s.occurrences()).isPositive();
                    }
                } else {
                    assertThat(e.steps()).allMatch(s -> s.matched() == null);
                }
            }
            default -> {}
        }
        if (c.isEmpty()) {
            assertThat(e.definition()).as("a leaf carries its definition").isNotNull();
        }
        c.forEach(x -> check(x, seen));
    }
}
