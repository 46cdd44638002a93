package io.cohortflow.core.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cohortflow.core.definition.Definition;
import io.cohortflow.core.definition.DefinitionParser;
import io.cohortflow.core.eval.SegmentCatalog;
import io.cohortflow.core.event.Event;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * A synthetic publisher: 40 event names, 20 categories, and definitions of mixed kinds in the
 * proportions a real workspace has (mostly windowed counts and property filters, some sums and
 * distinct counts, a few sequences and visit containers). Shared by the benchmarks so their figures
 * describe the same workload.
 */
public final class Workload {
    public static final int NAMES = 40;
    public static final int CATEGORIES = 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private Workload() {}

    public static String name(int i) {
        return i == 0 ? "Pageview" : "Event" + i;
    }

    /** Definition number {@code i} of the mix, deterministic. */
    public static String definition(int i) {
        return definition(i, false);
    }

    /**
     * @param incrementalOnly replace the sequences and visit containers of the mix (15%) by
     *     windowed counts, for figures of the incremental path alone
     */
    public static String definition(int i, boolean incrementalOnly) {
        Random r = new Random(i * 7919L);
        String name = name(r.nextInt(NAMES / 4)); // popular events are referenced most
        String cat = "c" + r.nextInt(CATEGORIES);
        int days = 1 + r.nextInt(30);
        int kind = i % 20;
        if (incrementalOnly && kind >= 17) {
            kind = kind - 17;
        }
        String pred;
        if (kind < 8) { // windowed "N+ events of a kind in the last D days"
            pred =
                    "{\"func\":\"container\",\"context\":\"hits\",\"window\":{\"count\":"
                            + days
                            + ",\"unit\":\"day\"},\"at_least\":"
                            + (1 + r.nextInt(5))
                            + ",\"pred\":{\"func\":\"and\",\"preds\":["
                            + eq("variables/name", name)
                            + ","
                            + eq("variables/category", cat)
                            + "]}}";
        } else if (kind < 12) { // property filters
            pred =
                    "{\"func\":\"and\",\"preds\":["
                            + eq("variables/category", cat)
                            + ",{\"func\":\"gt\",\"val\":{\"func\":\"attr\",\"name\":\"variables/depth\"},\"num\":"
                            + r.nextInt(80)
                            + "}]}";
        } else if (kind < 15) { // sums
            pred =
                    "{\"func\":\"container\",\"context\":\"visitors\",\"window\":{\"count\":"
                            + days
                            + ",\"unit\":\"day\"},\"pred\":{\"func\":\"gt\",\"val\":{\"func\":\"attr\",\"name\":\"metrics/revenue\"},\"num\":"
                            + (50 + r.nextInt(500))
                            + "}}";
        } else if (kind < 17) { // distinct counts, OR of event presence
            pred =
                    "{\"func\":\"or\",\"preds\":[{\"func\":\"ge\",\"val\":{\"func\":\"total-distinct\",\"field\":"
                            + "{\"func\":\"attr\",\"name\":\"variables/category\"}},\"num\":"
                            + (3 + r.nextInt(5))
                            + "},"
                            + "{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\",\"name\":\"metrics/"
                            + name
                            + "\"}}]}";
        } else if (kind < 19) { // sequences
            pred =
                    "{\"func\":\"sequence\",\"stream\":["
                            + eq("variables/name", name)
                            + ",{\"func\":\"time-restriction\",\"limit\":\"within\",\"count\":1,\"unit\":\"day\"},"
                            + eq("variables/name", name(r.nextInt(NAMES)))
                            + "]}";
        } else { // visit containers
            pred =
                    "{\"func\":\"container\",\"context\":\"visits\",\"pred\":{\"func\":\"and\",\"preds\":["
                            + "{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\",\"name\":\"metrics/"
                            + name
                            + "\"}},"
                            + "{\"func\":\"ge\",\"val\":{\"func\":\"attr\",\"name\":\"metrics/occurrences\"},\"num\":3}]}}";
        }
        return "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\",\"context\":\"visitors\",\"pred\":"
                + pred
                + "}}";
    }

    /** A {@code streq} of an attribute, as JSON. */
    public static String eq(String attr, String value) {
        return "{\"func\":\"streq\",\"val\":{\"func\":\"attr\",\"name\":\""
                + attr
                + "\"},\"str\":\""
                + value
                + "\"}";
    }

    public static SegmentCatalog catalog(int definitions, boolean incrementalOnly) {
        SegmentCatalog c = SegmentCatalog.empty();
        for (int i = 0; i < definitions; i++) {
            try {
                Definition d =
                        DefinitionParser.parse(JSON.readTree(definition(i, incrementalOnly)))
                                .definition();
                SegmentCatalog.Update u = c.put("s" + i, 1, d);
                if (!u.ok()) {
                    throw new IllegalStateException(u.problems().toString());
                }
                c = u.catalog();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return c;
    }

    /** A random event of a user at {@code time}: names skewed to the popular ones. */
    public static Event event(Random r, long time, int session) {
        int n = r.nextInt(4) == 0 ? r.nextInt(NAMES) : r.nextInt(NAMES / 4);
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("category", "c" + r.nextInt(CATEGORIES));
        props.put("depth", (double) r.nextInt(100));
        props.put("url", "https://example.com/a/" + r.nextInt(100_000));
        if (r.nextInt(10) == 0) {
            props.put("revenue", (double) (5 + r.nextInt(200)));
        }
        return new Event(name(n), time, props, null, "sess-" + session);
    }
}
