package io.cohortflow.core.eval;

import java.util.List;

/**
 * A sequence step's occurrences (intervals of hit positions) by start, with the least end over any
 * run of them in a sparse table: {@link SequenceMatcher} asks which ends a gap's range of starts
 * allows without a scan per previous end.
 */
final class Occurrences {
    private final int[] starts;
    private final int[] ends;
    private final int[][] leastEnds;

    Occurrences(List<int[]> intervals) {
        intervals.sort((x, y) -> Integer.compare(x[0], y[0]));
        int n = intervals.size();
        starts = new int[n];
        ends = new int[n];
        for (int i = 0; i < n; i++) {
            starts[i] = intervals.get(i)[0];
            ends[i] = intervals.get(i)[1];
        }
        int levels = 1;
        while ((1 << levels) <= n) {
            levels++;
        }
        leastEnds = new int[levels][];
        leastEnds[0] = ends;
        for (int j = 1; j < levels; j++) {
            int width = 1 << j;
            leastEnds[j] = new int[n - width + 1];
            for (int i = 0; i + width <= n; i++) {
                leastEnds[j][i] = Math.min(leastEnds[j - 1][i], leastEnds[j - 1][i + (width >> 1)]);
            }
        }
    }

    int firstStartAtLeast(long value) {
        int lo = 0;
        int hi = starts.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (starts[mid] >= value) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    /** The least end of the occurrences {@code a..b} (in start order, inclusive). */
    int leastEnd(int a, int b) {
        int j = 31 - Integer.numberOfLeadingZeros(b - a + 1);
        return Math.min(leastEnds[j][a], leastEnds[j][b - (1 << j) + 1]);
    }

    /** The latest start among occurrences {@code a..b} that end by {@code end}. */
    int latestStartEndingBy(int a, int b, int end) {
        for (int i = b; i >= a; i--) {
            if (ends[i] <= end) {
                return starts[i];
            }
        }
        throw new IllegalStateException("no occurrence ends by " + end);
    }
}
