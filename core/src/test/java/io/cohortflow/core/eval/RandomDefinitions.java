package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Context;
import io.cohortflow.core.definition.Definition;
import io.cohortflow.core.definition.Op;
import io.cohortflow.core.definition.Pred;
import io.cohortflow.core.definition.SeqItem;
import io.cohortflow.core.definition.TimeUnit;
import io.cohortflow.core.definition.Val;
import io.cohortflow.core.definition.Window;
import io.cohortflow.core.event.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Seeded generators of definitions and event streams over a small vocabulary, so they interact. The
 * vocabulary has twelve event names, most events drawn from the first three (so definitions and
 * events still meet), and records in {@link #seen} every kind of construct it generated, so a
 * property test can show that each kind was exercised.
 */
final class RandomDefinitions {
    static final List<String> NAMES = List.of("A", "B", "C");

    /** The names of events: the first three common, the rest rare. */
    static final List<String> MANY_NAMES =
            List.of("A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L");

    static final List<String> CATS = List.of("x", "y", "z");
    static final List<String> SESSIONS = List.of("s1", "s2", "s3");

    private final Random r;

    /** The kinds of construct generated so far, see the class comment. */
    final java.util.Set<String> seen = new java.util.TreeSet<>();

    /** Segments a new definition may reference with {@code segment-ref}. */
    private List<String> referable = List.of();

    RandomDefinitions(Random r) {
        this.r = r;
    }

    /** A definition that may reference (with {@code segment-ref}) one of {@code referable}. */
    Definition definition(List<String> referable) {
        this.referable = List.copyOf(referable);
        try {
            return definition();
        } finally {
            this.referable = List.of();
        }
    }

    Definition definition() {
        if (r.nextInt(6) == 0) {
            seen.add("visit container");
            return new Definition(visitOf(), Definition.CURRENT_VERSION, null);
        }
        Context ctx = pick(Context.values());
        return new Definition(container(ctx, 0, true), Definition.CURRENT_VERSION, null);
    }

    /**
     * {@code visitors{visits{P}}} where P needs a named event and counts the visit: the shape ("a
     * visit with a purchase and 3+ events") whose evaluation the engine skips for events whose
     * visit cannot satisfy P.
     */
    private Pred.Container visitOf() {
        Pred named =
                r.nextBoolean()
                        ? new Pred.EventExists(name(), false, null)
                        : Pred.Compare.str(Op.STREQ, new Val.Attr("variables/name"), name());
        Pred p =
                switch (r.nextInt(3)) {
                    case 0 -> named;
                    case 1 ->
                            new Pred.And(
                                    List.of(
                                            named,
                                            Pred.Compare.num(
                                                    r.nextBoolean() ? Op.GE : Op.LT,
                                                    new Val.Attr("metrics/occurrences"),
                                                    1 + r.nextInt(3))),
                                    null);
                    default -> new Pred.And(List.of(named, pred(Context.VISITS, 2)), null);
                };
        Pred.Container visits =
                new Pred.Container(
                        Context.VISITS,
                        p,
                        r.nextInt(3) == 0 ? window() : null,
                        r.nextInt(4) == 0 ? 2 : 1,
                        null);
        return new Pred.Container(
                Context.VISITORS, visits, r.nextInt(3) == 0 ? window() : null, 1, null);
    }

    private Pred.Container container(Context ctx, int depth, boolean top) {
        Window w = r.nextInt(3) == 0 ? window() : null;
        int atLeast = ctx != Context.VISITORS && r.nextInt(4) == 0 ? 2 + r.nextInt(2) : 1;
        return new Pred.Container(ctx, pred(ctx, depth + 1), w, atLeast, null);
    }

    private Window window() {
        if (r.nextInt(4) == 0) {
            // Minutes to years: the longest are clipped by the horizon, the shortest lapse
            // between two events.
            return switch (r.nextInt(4)) {
                case 0 -> seen(new Window(1, TimeUnit.MINUTE), "window of minutes");
                case 1 -> seen(new Window(1, TimeUnit.QUARTER), "window of a quarter");
                case 2 -> seen(new Window(1, TimeUnit.YEAR), "window of years");
                default -> seen(new Window(30, TimeUnit.MINUTE), "window of minutes");
            };
        }
        return switch (r.nextInt(6)) {
            case 0 -> new Window(10, TimeUnit.MINUTE);
            case 1 -> new Window(2, TimeUnit.HOUR);
            case 2 -> new Window(1, TimeUnit.DAY);
            case 3 -> new Window(3, TimeUnit.DAY);
            case 4 -> new Window(1, TimeUnit.WEEK);
            default -> new Window(1, TimeUnit.MONTH);
        };
    }

    private Pred pred(Context scope, int depth) {
        int k = r.nextInt(depth >= 3 ? 6 : 11);
        switch (k) {
            case 0:
            case 1:
            case 2:
                return dimension();
            case 3:
                if (!referable.isEmpty() && r.nextInt(3) == 0) {
                    seen.add("segment-ref");
                    return new Pred.SegmentRef(pick(referable), null);
                }
                return new Pred.EventExists(name(), r.nextBoolean(), null);
            case 4:
            case 5:
                return aggregate();
            case 6:
                {
                    Context c = pick(Context.values());
                    if (c.compareTo(scope) > 0) {
                        c = scope;
                    }
                    return container(c, depth, false);
                }
            case 7:
                return new Pred.And(List.of(pred(scope, depth + 1), pred(scope, depth + 1)), null);
            case 8:
                return new Pred.Or(List.of(pred(scope, depth + 1), pred(scope, depth + 1)), null);
            case 9:
                return r.nextBoolean()
                        ? new Pred.Not(pred(scope, depth + 1), null)
                        : new Pred.Without(pred(scope, depth + 1), null);
            default:
                return scope == Context.HITS ? dimension() : sequence(scope);
        }
    }

    private Pred dimension() {
        Val cat = new Val.Attr("variables/cat");
        Val n = new Val.Attr("variables/n");
        if (r.nextInt(3) == 0) {
            return threshold();
        }
        return switch (r.nextInt(9)) {
            case 0 -> Pred.Compare.str(Op.STREQ, cat, pick(CATS));
            case 1 -> Pred.Compare.str(Op.NOT_STREQ, cat, pick(CATS));
            case 2 -> Pred.Compare.str(Op.STREQ, new Val.Attr("variables/name"), name());
            case 3 -> Pred.Compare.num(Op.GT, n, r.nextInt(5));
            case 4 -> Pred.Compare.strs(Op.STREQ_IN, cat, List.of(pick(CATS), pick(CATS)));
            case 5 -> new Pred.Exists(new Val.Attr("variables/tags"), r.nextBoolean(), null);
            case 6 ->
                    Pred.Compare.str(
                            Op.CONTAINS, new Val.Attr("variables/tags"), "t" + r.nextInt(3));
            case 7 ->
                    seen(
                            Pred.Compare.range(
                                    n, (double) r.nextInt(3), r.nextBoolean() ? null : 3.0),
                            "numeric range");
            default ->
                    new Pred.And(
                            List.of(
                                    Pred.Compare.str(
                                            Op.STREQ, new Val.Attr("variables/name"), name()),
                                    Pred.Compare.str(Op.STREQ, cat, pick(CATS))),
                            null);
        };
    }

    /**
     * Numeric comparisons of every kind on a plain, a nested and a list-valued property: the
     * threshold anchors and the largest/smallest aggregates must agree with the reference.
     */
    private Pred threshold() {
        String path =
                switch (r.nextInt(3)) {
                    case 0 -> "variables/n";
                    case 1 -> seen("variables/obj.x", "nested property path");
                    default -> seen("variables/nums", "list-valued property");
                };
        Val v = new Val.Attr(path);
        double t = r.nextInt(5) - 1;
        return switch (r.nextInt(10)) {
            case 0 -> Pred.Compare.num(Op.GT, v, t);
            case 1 -> Pred.Compare.num(Op.GE, v, t);
            case 2 -> Pred.Compare.num(Op.LT, v, t);
            case 3 -> Pred.Compare.num(Op.LE, v, t);
            case 4 -> Pred.Compare.num(Op.EQ, v, t);
            case 5 -> Pred.Compare.num(Op.NOT_EQ, v, t);
            case 6 ->
                    r.nextBoolean()
                            ? Pred.Compare.range(v, t, r.nextBoolean() ? null : t + 2)
                            : Pred.Compare.range(v, null, t + 2);
            case 7 -> new Pred.Exists(v, r.nextBoolean(), null);
            case 8 -> Pred.Compare.str(Op.STARTS_WITH, new Val.Attr("variables/cat"), "x");
            default -> Pred.Compare.str(Op.NOT_STREQ, new Val.Attr("variables/obj.x"), "1");
        };
    }

    private Pred aggregate() {
        int t = r.nextInt(4);
        return switch (r.nextInt(8)) {
            case 0 -> Pred.Compare.num(Op.GE, new Val.Attr("metrics/occurrences"), 1 + t);
            case 1 -> Pred.Compare.num(Op.LT, new Val.Attr("metrics/occurrences"), 1 + t);
            // Sums of fractions (see event's n): 0.1 + 0.2 + 0.3 is not 0.6, and taking the
            // leaving entries off a total is not the sum of those left.
            case 2 ->
                    t < 2
                            ? Pred.Compare.num(Op.GE, new Val.Attr("metrics/n"), 2 + t * 2)
                            : Pred.Compare.num(
                                    t == 2 ? Op.EQ : Op.GT, new Val.Attr("metrics/n"), 0.5);
            case 3 -> Pred.Compare.num(Op.EQ, new Val.Attr("metrics/" + name()), t);
            case 4 -> Pred.Compare.num(Op.GE, new Val.Attr("metrics/visits"), 1 + t);
            case 5 -> Pred.Compare.num(Op.GE, new Val.TotalDistinct("variables/cat"), 1 + t % 3);
            case 6 -> Pred.Compare.num(Op.EQ, new Val.Attr("metrics/visitors"), t % 2);
            default -> Pred.Compare.range(new Val.Total(name()), 1.0, (double) (1 + t));
        };
    }

    private Pred sequence(Context scope) {
        List<SeqItem> items = new ArrayList<>();
        int steps = 2 + r.nextInt(2);
        if (r.nextInt(8) == 0) {
            items.add(new SeqItem.ExcludeNext(null));
            items.add(new SeqItem.Checkpoint(dimension()));
            seen.add("sequence leading exclusion");
        }
        for (int i = 0; i < steps; i++) {
            if (i > 0) {
                switch (r.nextInt(7)) {
                    case 0 ->
                            items.add(
                                    new SeqItem.TimeRestriction(
                                            r.nextBoolean()
                                                    ? SeqItem.Limit.WITHIN
                                                    : SeqItem.Limit.AFTER,
                                            1 + r.nextInt(3),
                                            TimeUnit.HOUR,
                                            null));
                    case 1 ->
                            items.add(
                                    new SeqItem.ContainerRestriction(
                                            r.nextBoolean()
                                                    ? SeqItem.Limit.WITHIN
                                                    : SeqItem.Limit.AFTER,
                                            1 + r.nextInt(2),
                                            Context.HITS,
                                            null));
                    case 2 -> {
                        items.add(new SeqItem.ExcludeNext(null));
                        items.add(new SeqItem.Checkpoint(dimension()));
                        seen.add("sequence exclusion");
                    }
                    case 6 ->
                            items.add(
                                    seen(
                                            new SeqItem.DimensionRestriction(
                                                    r.nextBoolean()
                                                            ? SeqItem.Limit.WITHIN
                                                            : SeqItem.Limit.AFTER,
                                                    1 + r.nextInt(2),
                                                    "variables/cat",
                                                    null),
                                            "sequence dimension restriction"));
                    default -> {}
                }
            }
            if (r.nextInt(5) == 0) {
                items.add(
                        new SeqItem.Group(
                                r.nextBoolean(), List.of(dimension(), dimension()), null));
            } else {
                items.add(new SeqItem.Checkpoint(dimension()));
            }
        }
        if (r.nextInt(8) == 0) {
            items.add(new SeqItem.ExcludeNext(null));
            items.add(new SeqItem.Checkpoint(dimension()));
            seen.add("sequence trailing exclusion");
        }
        Pred.SequenceKind kind =
                switch (r.nextInt(6)) {
                    case 0 -> Pred.SequenceKind.PREFIX;
                    case 1 -> Pred.SequenceKind.SUFFIX;
                    default -> Pred.SequenceKind.SEQUENCE;
                };
        seen.add("sequence " + kind.name().toLowerCase(java.util.Locale.ROOT));
        for (SeqItem it : items) {
            if (it instanceof SeqItem.TimeRestriction t) {
                seen.add("sequence time restriction " + t.limit().json());
            } else if (it instanceof SeqItem.ContainerRestriction c) {
                seen.add("sequence container restriction " + c.limit().json());
            } else if (it instanceof SeqItem.Group g) {
                seen.add(g.all() ? "sequence-and" : "sequence-or");
            }
        }
        return new Pred.Sequence(kind, List.copyOf(items), null);
    }

    /** Values of the events' {@code n}: small integers, and tenths that doubles hold inexactly. */
    private static final double[] N_VALUES = {0, 1, 2, 3, 0.1, 0.2, 0.3, 0.7};

    Event event(long time) {
        Map<String, Object> props = new java.util.LinkedHashMap<>();
        if (r.nextInt(5) > 0) {
            props.put("cat", pick(CATS));
        }
        if (r.nextInt(3) > 0) {
            props.put("n", N_VALUES[r.nextInt(N_VALUES.length)]);
        }
        if (r.nextInt(3) == 0) {
            props.put("tags", List.of("t" + r.nextInt(3), "t" + r.nextInt(3)));
        }
        if (r.nextInt(3) == 0) {
            props.put("obj", Map.of("x", (double) (r.nextInt(6) - 2)));
        }
        if (r.nextInt(3) == 0) {
            props.put("nums", List.of((double) (r.nextInt(6) - 2), String.valueOf(r.nextInt(4))));
        }
        String session = r.nextInt(5) == 0 ? null : pick(SESSIONS);
        return new Event(name(), time, props, null, session);
    }

    /** A gap between events: mostly minutes, sometimes hours or days, sometimes backwards. */
    long gap() {
        return switch (r.nextInt(10)) {
            case 0 -> -r.nextInt(3 * 3_600_000);
            case 1, 2 -> r.nextInt(2 * 86_400_000);
            case 3 -> 0;
            default -> r.nextInt(30 * 60_000);
        };
    }

    /** An event name: one of twelve, the first three most often. */
    private String name() {
        String n = r.nextInt(10) < 7 ? pick(NAMES) : pick(MANY_NAMES);
        seen.add("event name " + n);
        return n;
    }

    private <T> T seen(T generated, String kind) {
        seen.add(kind);
        return generated;
    }

    private <T> T pick(List<T> xs) {
        return xs.get(r.nextInt(xs.size()));
    }

    private <T> T pick(T[] xs) {
        return xs[r.nextInt(xs.length)];
    }
}
