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
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;

/**
 * A synthetic publisher: 40 event names, 20 categories, and definitions of mixed kinds in the
 * proportions a real workspace has (mostly windowed counts and property filters, some sums and
 * distinct counts, a few sequences and visit containers). Shared by the benchmarks so their figures
 * describe the same workload.
 */
public final class Workload {
    public static final int NAMES = 40;
    public static final int CATEGORIES = 20;

    // The kinds of definition(i, ...), which i % 20 picks: windowed counts below FIRST_FILTER,
    // then property filters, sums, distinct counts / event presence, sequences, visit containers.
    public static final int FIRST_FILTER = 8;
    public static final int FIRST_SUM = 12;
    public static final int FIRST_DISTINCT = 15;
    public static final int FIRST_SEQUENCE = 17;
    public static final int VISITS = 19;

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
     * The drawn parameters of definition {@code i}, for a peer engine that needs them typed rather
     * than as JSON.
     *
     * @param kind {@code i % 20}, after the replacement {@code incrementalOnly} makes: below {@link
     *     #FIRST_FILTER} a windowed count, then property filters, sums, distinct counts / event
     *     presence, sequences, visit containers
     * @param name the event name the definition references
     * @param category the category it references (windowed counts and property filters)
     * @param days the window (windowed counts and sums)
     * @param number the kind's number: the count's {@code at_least}, the depth a filter exceeds,
     *     the revenue a sum exceeds, the distinct categories required
     * @param second the second step of a sequence, else null
     */
    public record Params(
            int kind,
            String name,
            String category,
            int days,
            int number,
            @Nullable String second) {}

    /** The parameters of definition {@code i} (see {@link #definition(int, boolean)}). */
    public static Params params(int i, boolean incrementalOnly) {
        Random r = new Random(i * 7919L);
        String name = name(r.nextInt(NAMES / 4)); // popular events are referenced most
        String cat = "c" + r.nextInt(CATEGORIES);
        int days = 1 + r.nextInt(30);
        int kind = i % 20;
        if (incrementalOnly && kind >= FIRST_SEQUENCE) {
            kind = kind - FIRST_SEQUENCE;
        }
        int number = 0;
        String second = null;
        if (kind < FIRST_FILTER) {
            number = 1 + r.nextInt(5);
        } else if (kind < FIRST_SUM) {
            number = r.nextInt(80);
        } else if (kind < FIRST_DISTINCT) {
            number = 50 + r.nextInt(500);
        } else if (kind < FIRST_SEQUENCE) {
            number = 3 + r.nextInt(5);
        } else if (kind < VISITS) {
            second = name(r.nextInt(NAMES));
        }
        return new Params(kind, name, cat, days, number, second);
    }

    /**
     * @param incrementalOnly replace the sequences and visit containers of the mix (15%) by
     *     windowed counts, for figures of the incremental path alone
     */
    public static String definition(int i, boolean incrementalOnly) {
        Params d = params(i, incrementalOnly);
        String name = d.name();
        String cat = d.category();
        int days = d.days();
        int kind = d.kind();
        String pred;
        if (kind < FIRST_FILTER) { // windowed "N+ events of a kind in the last D days"
            pred = hits(name, cat, d.number(), days);
        } else if (kind < FIRST_SUM) { // property filters
            pred =
                    "{\"func\":\"and\",\"preds\":["
                            + eq("variables/category", cat)
                            + ",{\"func\":\"gt\",\"val\":{\"func\":\"attr\",\"name\":\"variables/depth\"},\"num\":"
                            + d.number()
                            + "}]}";
        } else if (kind < FIRST_DISTINCT) { // sums
            pred =
                    "{\"func\":\"container\",\"context\":\"visitors\",\"window\":{\"count\":"
                            + days
                            + ",\"unit\":\"day\"},\"pred\":{\"func\":\"gt\",\"val\":{\"func\":\"attr\",\"name\":\"metrics/revenue\"},\"num\":"
                            + d.number()
                            + "}}";
        } else if (kind < FIRST_SEQUENCE) { // distinct counts, OR of event presence
            pred =
                    "{\"func\":\"or\",\"preds\":[{\"func\":\"ge\",\"val\":{\"func\":\"total-distinct\",\"field\":"
                            + "{\"func\":\"attr\",\"name\":\"variables/category\"}},\"num\":"
                            + d.number()
                            + "},"
                            + "{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\",\"name\":\"metrics/"
                            + name
                            + "\"}}]}";
        } else if (kind < VISITS) { // sequences
            pred =
                    "{\"func\":\"sequence\",\"stream\":["
                            + eq("variables/name", name)
                            + ",{\"func\":\"time-restriction\",\"limit\":\"within\",\"count\":1,\"unit\":\"day\"},"
                            + eq("variables/name", d.second())
                            + "]}";
        } else { // visit containers
            pred =
                    "{\"func\":\"container\",\"context\":\"visits\",\"pred\":{\"func\":\"and\",\"preds\":["
                            + "{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\",\"name\":\"metrics/"
                            + name
                            + "\"}},"
                            + "{\"func\":\"ge\",\"val\":{\"func\":\"attr\",\"name\":\"metrics/occurrences\"},\"num\":3}]}}";
        }
        return visitors(pred);
    }

    /** A definition whose top container (of visitors) holds {@code pred}, as JSON. */
    public static String visitors(String pred) {
        return "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\","
                + "\"context\":\"visitors\",\"pred\":"
                + pred
                + "}}";
    }

    /** Of the {@code padded} mix, the definitions of the workload's mix before the unrelated. */
    public static final int PADDED_RELATED = 10;

    /**
     * Unrelated definition {@code i}: of the mix's kinds (windowed counts, filters, sums, distinct
     * counts or presence, sequences), on event names, categories and attributes ({@code refund},
     * {@code region}) no event of the workload (or of {@code FlatCostTest}) has, or past thresholds
     * its users never reach: 10 000 of them cost an event nothing if the engine's cost is the
     * segments an event can change.
     */
    public static String unrelatedDefinition(int i) {
        String name = "U" + i;
        String pred =
                switch (i % 5) {
                    case 0 -> hits(name, "u" + i, 1 + i % 3, 7);
                    case 1 ->
                            "{\"func\":\"and\",\"preds\":["
                                    + eq("variables/category", "u" + i)
                                    + ",{\"func\":\"gt\",\"val\":{\"func\":\"attr\",\"name\":\"variables/depth\"},\"num\":"
                                    + (1_000 + i)
                                    + "}]}";
                    case 2 ->
                            "{\"func\":\"container\",\"context\":\"visitors\",\"window\":{\"count\":7,"
                                    + "\"unit\":\"day\"},\"pred\":{\"func\":\"gt\",\"val\":{\"func\":\"attr\","
                                    + "\"name\":\"metrics/refund\"},\"num\":"
                                    + (1_000_000 + i)
                                    + "}}";
                    case 3 ->
                            "{\"func\":\"or\",\"preds\":[{\"func\":\"ge\",\"val\":{\"func\":\"total-distinct\","
                                    + "\"field\":{\"func\":\"attr\",\"name\":\"variables/region\"}},\"num\":"
                                    + (1_000 + i)
                                    + "},{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\",\"name\":\"metrics/"
                                    + name
                                    + "\"}}]}";
                    default ->
                            "{\"func\":\"sequence\",\"stream\":["
                                    + eq("variables/name", name)
                                    + ",{\"func\":\"time-restriction\",\"limit\":\"within\",\"count\":1,"
                                    + "\"unit\":\"day\"},"
                                    + eq("variables/name", "V" + i)
                                    + "]}";
                };
        return visitors(pred);
    }

    /** "At least {@code atLeast} events named {@code name} of {@code category} in D days." */
    public static String hits(String name, String category, int atLeast, int days) {
        return "{\"func\":\"container\",\"context\":\"hits\",\"window\":{\"count\":"
                + days
                + ",\"unit\":\"day\"},\"at_least\":"
                + atLeast
                + ",\"pred\":{\"func\":\"and\",\"preds\":["
                + eq("variables/name", name)
                + ","
                + eq("variables/category", category)
                + "]}}";
    }

    /**
     * The {@code padded} mix: the mix's first {@link #PADDED_RELATED} definitions (ids {@code s0}
     * ...) and {@code definitions - PADDED_RELATED} unrelated ones (ids {@code u0} ...).
     */
    public static SegmentCatalog paddedCatalog(int definitions) {
        Map<String, String> defs = new LinkedHashMap<>();
        for (int i = 0; i < definitions; i++) {
            defs.put(id("padded", i), definition("padded", i));
        }
        return catalog(defs);
    }

    /** The id of definition {@code i} of {@code mix} in the benchmarks' catalogs. */
    public static String id(String mix, int i) {
        return mix.equals("padded") && i >= PADDED_RELATED ? "u" + (i - PADDED_RELATED) : "s" + i;
    }

    /**
     * Definition {@code i} of {@code mix} ({@code mixed}, {@code incremental} or {@code padded}).
     */
    public static String definition(String mix, int i) {
        return switch (mix) {
            case "mixed" -> definition(i, false);
            case "incremental" -> definition(i, true);
            case "padded" ->
                    i < PADDED_RELATED ? definition(i) : unrelatedDefinition(i - PADDED_RELATED);
            default -> throw new IllegalArgumentException("mix: " + mix);
        };
    }

    /**
     * The catalog for a benchmark's {@code mix}: {@code mixed}, {@code incremental} (without
     * sequences and visit containers) or {@code padded}.
     */
    public static SegmentCatalog catalog(String mix, int definitions) {
        return switch (mix) {
            case "mixed" -> catalog(definitions, false);
            case "incremental" -> catalog(definitions, true);
            case "padded" -> paddedCatalog(definitions);
            default -> throw new IllegalArgumentException("mix: " + mix);
        };
    }

    /** Definitions by id, as JSON, in one catalog (one epoch: built at once). */
    public static SegmentCatalog catalog(Map<String, String> definitions) {
        Map<String, Definition> parsed = new LinkedHashMap<>();
        definitions.forEach(
                (id, json) -> {
                    try {
                        parsed.put(id, DefinitionParser.parse(JSON.readTree(json)).definition());
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
        SegmentCatalog.Update u = SegmentCatalog.empty().putAll(parsed, 1);
        if (!u.ok()) {
            throw new IllegalStateException(u.problems().toString());
        }
        return u.catalog();
    }

    /**
     * Event {@code proto} of the workload moved to {@code time}; its session rolls over every hour
     * of event time, as a visitor's visits do.
     */
    public static Event at(Event proto, long time) {
        return new Event(
                proto.name(),
                time,
                proto.properties(),
                null,
                proto.sessionId() + (time / 3_600_000));
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
        return catalog(IntStream.range(0, definitions).toArray(), incrementalOnly);
    }

    /** The definitions numbered {@code indices}, each under the id {@code "s" + i}. */
    public static SegmentCatalog catalog(int[] indices, boolean incrementalOnly) {
        SegmentCatalog c = SegmentCatalog.empty();
        for (int i : indices) {
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
