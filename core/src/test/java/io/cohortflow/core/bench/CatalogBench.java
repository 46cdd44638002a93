package io.cohortflow.core.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cohortflow.core.definition.Definition;
import io.cohortflow.core.definition.DefinitionParser;
import io.cohortflow.core.eval.CatalogBuilder;
import io.cohortflow.core.eval.EngineConfig;
import io.cohortflow.core.eval.ListHistory;
import io.cohortflow.core.eval.SegmentCatalog;
import io.cohortflow.core.eval.SegmentEngine;
import io.cohortflow.core.eval.UserProfile;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * What reading a definitions log costs, as a job does at start-up and after a restore: the
 * workload's definitions applied one record at a time, through a {@link CatalogBuilder} (the job's
 * way) and through {@link SegmentCatalog#put} (a new catalog per record, the job's way before the
 * builder), then the first event evaluated against the result (the catalog's index is built then),
 * then single edits of a full catalog each followed by an event. A harness, not JMH: the quantities
 * are seconds of one-off work, printed as {@code FIGURE} lines.
 *
 * <pre>
 * java -cp ... io.cohortflow.core.bench.CatalogBench 1000,10000
 * </pre>
 */
public final class CatalogBench {
    private static final long T0 = 1_700_000_000_000L;

    public static void main(String[] args) throws Exception {
        String sizes = args.length > 0 ? args[0] : "1000,10000";
        for (String n : sizes.split(",")) {
            run(Integer.parseInt(n.trim()));
        }
    }

    private static void run(int n) throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<Definition> defs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            defs.add(
                    DefinitionParser.parse(json.readTree(Workload.definition(i, false)))
                            .definition());
        }
        CatalogBuilder builder = new CatalogBuilder();
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            builder.put("s" + i, 1, defs.get(i), i + 1);
        }
        double builderSeconds = seconds(start);

        SegmentEngine engine = new SegmentEngine(EngineConfig.DEFAULT);
        UserProfile profile = new UserProfile();
        ListHistory history = new ListHistory();
        Random r = new Random(7);
        start = System.nanoTime();
        SegmentCatalog catalog = builder.build();
        engine.onEvents(profile, history, catalog, List.of(Workload.event(r, T0, 0)));
        double firstEventMillis = seconds(start) * 1000;

        int edits = 20;
        start = System.nanoTime();
        for (int k = 0; k < edits; k++) {
            builder.put("s" + k, 2, defs.get(n - 1 - k), n + 1 + k);
            engine.onEvents(
                    profile, history, builder.build(), List.of(Workload.event(r, T0 + k, 0)));
        }
        double editMillis = seconds(start) * 1000 / edits;

        SegmentCatalog chained = SegmentCatalog.empty();
        start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            chained = chained.put("s" + i, 1, defs.get(i), i + 1).catalog();
        }
        double chainSeconds = seconds(start);

        System.out.printf(
                "FIGURE definitions=%d: %d records through CatalogBuilder %.2f s; through"
                        + " SegmentCatalog.put (a catalog per record) %.2f s; build, index and first"
                        + " event %.0f ms; one edit of the full catalog and an event %.1f ms%n",
                n, n, builderSeconds, chainSeconds, firstEventMillis, editMillis);
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
