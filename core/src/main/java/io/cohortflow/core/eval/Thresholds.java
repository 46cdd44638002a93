package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Op;
import io.cohortflow.core.definition.Pred;
import java.util.ArrayList;
import java.util.List;

/**
 * What the numbers of a comparison on an aggregate mean for the counter compared with them, as
 * {@link SegmentCompiler} plans it: the values at which the comparison's outcome can change, and
 * how many newest entries a count must keep for the comparison to stay exact.
 */
final class Thresholds {
    private Thresholds() {}

    /** Counts compared with thresholds above this keep all their entries. */
    private static final int MAX_RETAIN = 1_000;

    /** How many newest entries a count needs so every comparison in {@code c} stays exact. */
    static int retainFor(Pred.Compare c) {
        double max = 0;
        List<Double> all = new ArrayList<>();
        if (c.num() != null) {
            all.add(c.num());
        }
        if (c.nums() != null) {
            all.addAll(c.nums());
        }
        if (c.low() != null) {
            all.add(c.low());
        }
        if (c.high() != null) {
            all.add(c.high());
        }
        for (double d : all) {
            max = Math.max(max, d);
        }
        if (max >= MAX_RETAIN) {
            return Integer.MAX_VALUE;
        }
        return (int) Math.floor(max) + 2;
    }

    /** The values a comparison's outcome can change at, each with its side. */
    static Pivot[] pivots(Pred.Compare c) {
        Op op = c.op().negationOf() != null ? c.op().negationOf() : c.op();
        List<Pivot> out = new ArrayList<>();
        switch (op) {
            case GT -> out.add(Pivot.lower(c.num()));
            case GE -> out.add(Pivot.upper(c.num()));
            case LT -> out.add(Pivot.upper(c.num()));
            case LE -> out.add(Pivot.lower(c.num()));
            case RANGE -> {
                if (c.low() != null) {
                    out.add(Pivot.upper(c.low()));
                }
                if (c.high() != null) {
                    out.add(Pivot.lower(c.high()));
                }
            }
            case EQ_IN -> c.nums().forEach(n -> out.add(Pivot.point(n)));
            default -> {
                if (c.num() != null) {
                    out.add(Pivot.point(c.num()));
                }
                if (c.nums() != null) {
                    c.nums().forEach(n -> out.add(Pivot.point(n)));
                }
            }
        }
        return out.toArray(Pivot[]::new);
    }
}
