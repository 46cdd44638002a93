package io.cohortflow.core.eval;

import static io.cohortflow.core.bench.Workload.eq;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.bench.Workload;
import io.cohortflow.core.event.Event;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The cost of an event is the segments it can change, not the segments that exist: the same event
 * stream does the same work (counters tested and updated, formulas and history evaluations, counted
 * by the engine, not timed) with 10 related segments as with those plus 10 000 unrelated ones of
 * every incremental kind: counts of other events, filters on other categories, thresholds the
 * events never reach, sums and distinct counts past anything the events add up to, sequences of
 * other events.
 */
class FlatCostTest {
    private static final long T0 = 1_700_000_000_000L;

    @Test
    void the_work_per_event_is_the_same_with_10_and_with_10_000_unrelated_segments() {
        Map<String, String> defs = new LinkedHashMap<>();
        for (int i = 0; i < 10; i++) {
            defs.put("r" + i, relatedDefinition(i));
        }
        SegmentCatalog related = Workload.catalog(defs);
        for (int i = 0; i < 10_000; i++) {
            defs.put("u" + i, Workload.unrelatedDefinition(i));
        }
        SegmentCatalog crowded = Workload.catalog(defs);
        assertThat(crowded.size()).isEqualTo(10_010);
        EngineStats small = run(related);
        EngineStats large = run(crowded);
        assertThat(small.countersUpdated()).as("the stream does some work").isPositive();
        assertThat(small.formulasEvaluated()).isPositive();
        assertThat(small.historyEvaluations() + small.pairAnswers()).isPositive();
        assertThat(large.countersTested()).as(large.toString()).isEqualTo(small.countersTested());
        assertThat(large.countersUpdated()).as(large.toString()).isEqualTo(small.countersUpdated());
        assertThat(large.formulasEvaluated())
                .as(large.toString())
                .isEqualTo(small.formulasEvaluated());
        assertThat(large.historyEvaluations())
                .as(large.toString())
                .isEqualTo(small.historyEvaluations());
        assertThat(large.pairAnswers()).as(large.toString()).isEqualTo(small.pairAnswers());
        assertThat(large.sweeps()).as(large.toString()).isEqualTo(small.sweeps());
    }

    private static EngineStats run(SegmentCatalog catalog) {
        SegmentEngine engine = new SegmentEngine(EngineConfig.DEFAULT);
        Random r = new Random(42);
        for (int user = 0; user < 20; user++) {
            UserProfile p = new UserProfile();
            ListHistory h = new ListHistory();
            long t = T0;
            for (int i = 0; i < 30; i++) {
                t += r.nextInt(3_600_000);
                engine.onEvents(p, h, catalog, List.of(event(r, t)));
            }
            engine.advanceTo(p, h, catalog, t + 40L * 86_400_000L); // every window lapses
        }
        return engine.stats();
    }

    private static Event event(Random r, long time) {
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("category", "c" + r.nextInt(5));
        props.put("depth", (double) r.nextInt(100));
        if (r.nextInt(4) == 0) {
            props.put("revenue", (double) (5 + r.nextInt(200)));
        }
        return new Event("E" + r.nextInt(5), time, props, null, "s" + r.nextInt(3));
    }

    private static String relatedDefinition(int i) {
        String name = "E" + (i % 5);
        String cat = "c" + (i % 5);
        return switch (i % 5) {
            case 0 -> Workload.visitors(Workload.hits(name, cat, 1 + i % 3, 7));
            case 1 -> filter(cat, 10 + i);
            case 2 -> sum(7, 100 + i);
            case 3 -> distinctOrExists(2, name);
            default -> sequence(name, "E" + ((i + 1) % 5));
        };
    }

    private static String filter(String cat, int depth) {
        return Workload.visitors(
                "{\"func\":\"and\",\"preds\":["
                        + eq("variables/category", cat)
                        + ",{\"func\":\"gt\",\"val\":{\"func\":\"attr\",\"name\":\"variables/depth\"},\"num\":"
                        + depth
                        + "}]}");
    }

    private static String sum(int days, int above) {
        return "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\","
                + "\"context\":\"visitors\",\"window\":{\"count\":"
                + days
                + ",\"unit\":\"day\"},\"pred\":{\"func\":\"gt\",\"val\":{\"func\":\"attr\",\"name\":\"metrics/revenue\"},\"num\":"
                + above
                + "}}}";
    }

    private static String distinctOrExists(int distinct, String name) {
        return Workload.visitors(
                "{\"func\":\"or\",\"preds\":[{\"func\":\"ge\",\"val\":{\"func\":\"total-distinct\",\"field\":"
                        + "{\"func\":\"attr\",\"name\":\"variables/category\"}},\"num\":"
                        + distinct
                        + "},{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\",\"name\":\"metrics/"
                        + name
                        + "\"}}]}");
    }

    private static String sequence(String first, String then) {
        return Workload.visitors(
                "{\"func\":\"sequence\",\"stream\":["
                        + eq("variables/name", first)
                        + ",{\"func\":\"time-restriction\",\"limit\":\"within\",\"count\":1,\"unit\":\"day\"},"
                        + eq("variables/name", then)
                        + "]}");
    }
}
