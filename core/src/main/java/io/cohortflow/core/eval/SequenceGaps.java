package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Context;
import io.cohortflow.core.definition.SeqItem;
import io.cohortflow.core.event.Event;
import io.cohortflow.core.event.Values;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The gaps between a sequence's steps over one unit's hits, measured as its restrictions count
 * them: time, hits, visits, or changes of a dimension's value from the end of one step to the start
 * of the next. Each measure is a running count per hit (a gap is a difference, never a rescan), so
 * that {@link SequenceMatcher} can ask both whether a gap holds and which starts a restriction
 * allows after a previous end: a range, since every measure grows with the start, unless the unit's
 * visits interleave or its hits are out of time order.
 */
final class SequenceGaps {
    private final List<Event> hits;
    private final Map<String, long[]> changeCounts = new HashMap<>(2);
    private int[] visitOrdinal;
    // The visit ordinals as a measure when they never go down (no visit's hits interleave with
    // another's), else null; the hits' times when in order, else null. Made when first needed.
    private long[] visitsInOrder;
    private long[] times;
    private boolean timesRead;

    SequenceGaps(List<Event> hits) {
        this.hits = hits;
    }

    /**
     * The least and greatest start a restriction allows after {@code prevEnd}, or null when its
     * measure does not grow with the start in this unit (visits interleaved, times out of order).
     */
    long[] startBounds(SeqItem r, int prevEnd) {
        long[] measure;
        long limit;
        SeqItem.Limit kind;
        long base;
        if (r instanceof SeqItem.TimeRestriction t) {
            measure = times();
            if (measure == null) {
                return null;
            }
            base = 0;
            limit = t.unit().plus(measure[prevEnd], t.count());
            kind = t.limit();
        } else if (r instanceof SeqItem.ContainerRestriction c && c.context() == Context.HITS) {
            return c.limit() == SeqItem.Limit.WITHIN
                    ? new long[] {0, (long) prevEnd + c.count()}
                    : new long[] {(long) prevEnd + c.count(), Long.MAX_VALUE};
        } else if (r instanceof SeqItem.ContainerRestriction c) {
            int[] ordinals = visitOrdinals();
            measure = visitsInOrder;
            if (measure == null) {
                return null;
            }
            base = ordinals[prevEnd];
            limit = c.count();
            kind = c.limit();
        } else {
            SeqItem.DimensionRestriction d = (SeqItem.DimensionRestriction) r;
            measure =
                    changeCounts.computeIfAbsent(
                            d.attr().substring("variables/".length()), this::changeCounts);
            base = measure[prevEnd];
            limit = d.count();
            kind = d.limit();
        }
        // measure[start] - base within the limit, or at least it: a prefix or a suffix of starts.
        return kind == SeqItem.Limit.WITHIN
                ? new long[] {0, firstAbove(measure, base + limit) - 1}
                : new long[] {firstAbove(measure, base + limit - 1), Long.MAX_VALUE};
    }

    /** The first position whose (non-decreasing) measure exceeds {@code value}. */
    private static int firstAbove(long[] measure, long value) {
        int lo = 0;
        int hi = measure.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (measure[mid] > value) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    boolean restrictionsHold(List<SeqItem> restrictions, int prevEnd, int nextStart) {
        for (SeqItem r : restrictions) {
            long gap;
            long limit;
            SeqItem.Limit kind;
            if (r instanceof SeqItem.TimeRestriction t) {
                long from = hits.get(prevEnd).time();
                long to = hits.get(nextStart).time();
                boolean ok =
                        t.limit() == SeqItem.Limit.WITHIN
                                ? within(t, from, to)
                                : to >= t.unit().plus(from, t.count());
                if (!ok) {
                    return false;
                }
                continue;
            } else if (r instanceof SeqItem.ContainerRestriction c) {
                gap =
                        c.context() == Context.HITS
                                ? nextStart - prevEnd
                                : visitOrdinals()[nextStart] - visitOrdinals()[prevEnd];
                limit = c.count();
                kind = c.limit();
            } else {
                SeqItem.DimensionRestriction d = (SeqItem.DimensionRestriction) r;
                gap = changes(d.attr().substring("variables/".length()), prevEnd, nextStart);
                limit = d.count();
                kind = d.limit();
            }
            if (kind == SeqItem.Limit.WITHIN ? gap > limit : gap < limit) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code to} is within {@code t}'s limit of {@code from}: at most its length after. */
    static boolean within(SeqItem.TimeRestriction t, long from, long to) {
        return to <= t.unit().plus(from, t.count());
    }

    private long changes(String path, int from, int to) {
        long[] before = changeCounts.computeIfAbsent(path, this::changeCounts);
        return before[to] - before[from];
    }

    /**
     * Per hit, the changes of the dimension's value up to it: a gap's changes are a difference, not
     * a rescan of the gap for every pair of steps (which made the search cubic).
     */
    private long[] changeCounts(String path) {
        long[] out = new long[hits.size()];
        for (int i = 1; i < hits.size(); i++) {
            Object a = comparable(Values.dimension(hits.get(i - 1), path));
            Object b = comparable(Values.dimension(hits.get(i), path));
            out[i] = out[i - 1] + (Objects.equals(a, b) ? 0 : 1);
        }
        return out;
    }

    /** A scalar by its text (1 and 1.0 are one value); a list or object as it is. */
    private static Object comparable(Object v) {
        String text = Values.text(v);
        return text != null ? text : v;
    }

    /** The ordinal of each hit's visit, by first appearance. */
    private int[] visitOrdinals() {
        if (visitOrdinal == null) {
            visitOrdinal = new int[hits.size()];
            Map<String, Integer> seen = new HashMap<>();
            long[] inOrder = new long[hits.size()];
            boolean ordered = true;
            for (int i = 0; i < hits.size(); i++) {
                visitOrdinal[i] =
                        seen.computeIfAbsent(Metrics.visitKey(hits.get(i)), k -> seen.size());
                inOrder[i] = visitOrdinal[i];
                ordered &= i == 0 || inOrder[i] >= inOrder[i - 1];
            }
            visitsInOrder = ordered ? inOrder : null;
        }
        return visitOrdinal;
    }

    /** The hits' times, or null when they are not in order. */
    private long[] times() {
        if (!timesRead) {
            timesRead = true;
            long[] out = new long[hits.size()];
            for (int i = 0; i < hits.size(); i++) {
                out[i] = hits.get(i).time();
                if (i > 0 && out[i] < out[i - 1]) {
                    return null;
                }
            }
            times = out;
        }
        return times;
    }
}
