package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Pred;
import io.cohortflow.core.definition.SeqItem;
import io.cohortflow.core.event.Event;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether a unit's hits contain a sequence. A step matches an interval of hit positions: one hit
 * for a hit checkpoint, a whole visit for a visits container, the span of its members for {@code
 * sequence-and}. Each step starts after the previous one ends. Restrictions bound the gap from the
 * end of one step to the start of the next: {@code within N} means at most N units (time, hits,
 * visits or dimension-value changes), {@code after N} at least N. An excluded checkpoint must not
 * occur wholly inside the gap it sits in. {@code sequence-prefix} (suffix) holds when the sequence
 * occurs with at least one hit before (after) it.
 *
 * <p>The search is exhaustive, so it finds a match whenever one exists (not just the greedy
 * earliest one): "A A B" matches "A then B within 1 hit". It stays near linear in the unit's hits:
 * every gap measure grows with the next step's start (time, hits, visits, changes: counts from the
 * previous end), so after one previous end the starts a gap allows are one range, found by binary
 * search, and the question is whether a candidate in that range leads on to a match. Whether each
 * candidate does is asked once per step, and the first that does from any position is remembered,
 * so a step costs a pass over its candidates however many previous ends try it (a search per pair
 * of ends was quadratic: 11 ms an event at 1 000 events for a restriction that never held). Where a
 * measure does not grow with the start (visits whose hits interleave, hits out of time order), the
 * candidates in range are checked one by one. A {@code sequence-and} step takes its candidate ends
 * from its members' occurrences, each with the latest start that still holds every member (it grows
 * with the end), so the same range and memo serve it ({@link #takeGroupInRange}; searched candidate
 * by candidate it cost 67 s for 400 events of one user). Where the gap is not a range, a {@code
 * sequence-and} is still searched candidate by candidate, remembered per previous end. Where the
 * checkpoints and steps occur is {@link SequenceIntervals}'s to find, and the gaps between them
 * {@link SequenceGaps}'s to measure; this class searches.
 */
final class SequenceMatcher {

    /** One step of the sequence, and what constrains the gap before it. */
    record Step(
            Pred checkpoint,
            SeqItem.Group group,
            List<SeqItem> restrictions,
            List<Pred> exclusions) {}

    /** The checkpoint any hit satisfies: the step before a prefix's sequence, after a suffix's. */
    private static final Pred ANY_HIT =
            new Pred.Exists(
                    new io.cohortflow.core.definition.Val.Attr("variables/name"), false, null);

    private final List<Event> hits;
    private final SequenceGaps gaps;
    private final List<Step> steps = new ArrayList<>();
    private final List<Pred> trailingExclusions = new ArrayList<>();
    // The step whose leading exclusions are checked from the unit's first hit (a prefix's first
    // step of its own), and the step before which the trailing exclusions are checked (a
    // suffix's step of any hit comes after it).
    private final int firstStepFromStart;
    private final int trailingAt;
    private final SequenceIntervals intervals;

    // Per sequence-and step, made when first asked: the interval it takes after each previous end
    // in the first match found (indexed by previous end + 1; NONE when there is none).
    private int[][][] groupTaken;
    // Per step, made when first asked: from each of its candidates (SequenceIntervals.candidates),
    // the first that leads on to a match (UNKNOWN: not asked yet). With them a step whose gap is a
    // range needs no memo of its own: a few binary searches answer it again.
    private final int[][] firstLeadingOn;

    private static final int[] NONE = new int[0];
    private static final int UNKNOWN = -1;

    SequenceMatcher(ReferenceEvaluator eval, Pred.Sequence s, List<Event> hits) {
        this.hits = hits;
        this.gaps = new SequenceGaps(hits);
        List<SeqItem> restrictions = new ArrayList<>();
        List<Pred> exclusions = new ArrayList<>();
        boolean excludeNext = false;
        if (s.kind() == Pred.SequenceKind.PREFIX) {
            steps.add(new Step(ANY_HIT, null, List.of(), List.of()));
        }
        for (SeqItem it : s.stream()) {
            if (it instanceof SeqItem.ExcludeNext) {
                excludeNext = true;
            } else if (it instanceof SeqItem.Checkpoint c && excludeNext) {
                exclusions.add(c.pred());
                excludeNext = false;
            } else if (it instanceof SeqItem.Checkpoint c) {
                steps.add(
                        new Step(
                                c.pred(),
                                null,
                                List.copyOf(restrictions),
                                List.copyOf(exclusions)));
                restrictions.clear();
                exclusions.clear();
            } else if (it instanceof SeqItem.Group g) {
                steps.add(new Step(null, g, List.copyOf(restrictions), List.copyOf(exclusions)));
                restrictions.clear();
                exclusions.clear();
            } else {
                restrictions.add(it);
            }
        }
        trailingExclusions.addAll(exclusions);
        // The step any hit satisfies sits outside the sequence: an exclusion at that open end
        // still covers everything from the unit's edge to the sequence, not just the gap between
        // the sequence and the hit chosen for that step (which could always be its neighbour).
        firstStepFromStart = s.kind() == Pred.SequenceKind.PREFIX ? 1 : 0;
        trailingAt = steps.size();
        if (s.kind() == Pred.SequenceKind.SUFFIX) {
            steps.add(new Step(ANY_HIT, null, List.of(), List.of()));
        }
        intervals = new SequenceIntervals(eval, hits, steps);
        firstLeadingOn = new int[steps.size()][];
    }

    boolean matches() {
        return !hits.isEmpty() && match(0, -1);
    }

    /**
     * After {@link #matches}: per step, the positions of the unit that satisfy it on their own, and
     * the hits of the match found (null when there was none). Steps are the sequence's, with the
     * one any hit satisfies before a prefix's (after a suffix's).
     */
    List<Explanation.Step> explainSteps(boolean matched) {
        List<Explanation.Step> out = new ArrayList<>(steps.size());
        int prevEnd = -1;
        for (int k = 0; k < steps.size(); k++) {
            List<Explanation.Hit> hitsOfStep = null;
            if (matched) {
                int[] chosen = take(k, prevEnd);
                prevEnd = chosen[1];
                hitsOfStep = new ArrayList<>();
                for (int i = chosen[0]; i <= chosen[1]; i++) {
                    Event e = hits.get(i);
                    hitsOfStep.add(
                            new Explanation.Hit(
                                    e.name(), java.time.Instant.ofEpochMilli(e.time()).toString()));
                }
            }
            int candidateCount =
                    isAll(steps.get(k))
                            ? intervals.groupCandidates(steps.get(k).group(), 0).size()
                            : intervals.candidates(k).size();
            out.add(new Explanation.Step(candidateCount, hitsOfStep));
        }
        return out;
    }

    private boolean match(int k, int prevEnd) {
        if (k == trailingAt) {
            for (Pred x : trailingExclusions) {
                // In start order: the last interval tells whether any starts after prevEnd (a
                // scan here ran for every pair of steps, like the exclusions between them did).
                List<int[]> all = intervals.of(x);
                if (!all.isEmpty() && all.get(all.size() - 1)[0] > prevEnd) {
                    return false;
                }
            }
        }
        return k == steps.size() || take(k, prevEnd) != NONE;
    }

    /** The interval step {@code k} takes after {@code prevEnd} in the first match, or NONE. */
    private int[] take(int k, int prevEnd) {
        if (!isAll(steps.get(k))) {
            return takeInRange(k, prevEnd);
        }
        if (groupTaken == null) {
            groupTaken = new int[steps.size()][][];
        }
        int[][] memo = groupTaken[k];
        if (memo == null) {
            memo = groupTaken[k] = new int[hits.size() + 1][];
        }
        int[] t = memo[prevEnd + 1];
        if (t == null) {
            t = takeGroup(k, prevEnd);
            memo[prevEnd + 1] = t;
        }
        return t;
    }

    private int[] takeGroup(int k, int prevEnd) {
        int[] ranged = takeGroupInRange(k, prevEnd);
        if (ranged != null) {
            return ranged;
        }
        Step step = steps.get(k);
        GroupStarts groupStarts = new GroupStarts(step, k, prevEnd);
        for (int[] cand : intervals.groupCandidates(step.group(), prevEnd + 1)) {
            int start = groupStarts.latest(cand);
            if (start >= 0 && match(k + 1, cand[1])) {
                return new int[] {start, cand[1]};
            }
        }
        return NONE;
    }

    /**
     * A step of one checkpoint or {@code sequence-or}: the starts its gap allows are a range, and
     * of the candidates in it the first that leads on to a match is taken.
     */
    private int[] takeInRange(int k, int prevEnd) {
        long[] range = startRange(k, prevEnd);
        long lo = range[0];
        long hi = range[1];
        List<int[]> cands = intervals.candidates(k);
        int a = firstAtLeast(cands, 0, lo);
        int b = firstAtLeast(cands, 0, hi + 1) - 1;
        if (lo > hi || a > b) {
            return NONE;
        }
        if (range[2] == RANGED) {
            int j = firstLeadingOn(k, a);
            return j <= b ? cands.get(j) : NONE;
        }
        for (int j = a; j <= b; j++) {
            if (gaps.restrictionsHold(steps.get(k).restrictions(), prevEnd, cands.get(j)[0])
                    && firstLeadingOn(k, j) == j) {
                return cands.get(j);
            }
        }
        return NONE;
    }

    private static final long RANGED = 1;

    /**
     * The least and greatest start the gap before step {@code k} allows after {@code prevEnd}, and
     * {@link #RANGED} when that is all there is to it; otherwise a restriction whose measure does
     * not grow with the start is left out of the range and must be checked per start.
     */
    private long[] startRange(int k, int prevEnd) {
        Step step = steps.get(k);
        long lo = prevEnd + 1;
        long hi = hits.size() - 1;
        int from = k == firstStepFromStart ? -1 : prevEnd;
        for (Pred x : step.exclusions()) {
            hi = Math.min(hi, intervals.latestStartBesides(x, from));
        }
        long ranged = RANGED;
        if (k > 0) {
            for (SeqItem r : step.restrictions()) {
                long[] bounds = gaps.startBounds(r, prevEnd);
                if (bounds == null) {
                    ranged = 0;
                } else {
                    lo = Math.max(lo, bounds[0]);
                    hi = Math.min(hi, bounds[1]);
                }
            }
        }
        return new long[] {lo, hi, ranged};
    }

    /**
     * A {@code sequence-and} step whose gap is a range. Its candidate ends are its members'
     * occurrences' ends, each with the latest start that still holds every member by then, which
     * grows with the end ({@link SequenceIntervals#candidates}). An end qualifies when that latest
     * start reaches the range and some occurrence starting in the range ends by it (from the least
     * such end {@code mu} on): a suffix of the ends. Of those, only ends of occurrences that start
     * after the previous end are the step's (a visit straddling the previous end is not), which the
     * search skips; the first that leads on is taken, starting at the latest member occurrence the
     * range and that end allow. Null when the gap is not a range.
     */
    private int[] takeGroupInRange(int k, int prevEnd) {
        long[] range = startRange(k, prevEnd);
        if (range[2] != RANGED) {
            return null;
        }
        long lo = range[0];
        long hi = range[1];
        int lb = prevEnd + 1;
        if (lo > hi) {
            return NONE;
        }
        // {latest start, end, latest start ending there}
        List<int[]> cands = intervals.candidates(k);
        Occurrences occ = intervals.occurrences(k);
        int a = occ.firstStartAtLeast(lo);
        int b = occ.firstStartAtLeast(hi + 1) - 1;
        if (a > b) {
            return NONE;
        }
        int mu = occ.leastEnd(a, b);
        int i = Math.max(firstAtLeast(cands, 0, lo), firstAtLeast(cands, 1, mu));
        while (i < cands.size()) {
            if (cands.get(i)[2] < lb) {
                i++;
                continue;
            }
            int f = firstLeadingOn(k, i);
            if (f == cands.size()) {
                return NONE;
            }
            if (cands.get(f)[2] >= lb) {
                int end = cands.get(f)[1];
                int latest = cands.get(f)[0];
                return new int[] {latest <= hi ? latest : occ.latestStartEndingBy(a, b, end), end};
            }
            i = f + 1;
        }
        return NONE;
    }

    /** The first of {@code cands} whose {@code column} is at least {@code value} (it grows). */
    private static int firstAtLeast(List<int[]> cands, int column, long value) {
        int lo = 0;
        int hi = cands.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cands.get(mid)[column] >= value) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    /**
     * The first candidate of step {@code k} from {@code i} on that leads on to a match (the rest of
     * the sequence matches after it), or the number of candidates when none does. Each candidate is
     * asked once per evaluation, and every one passed over remembers the answer.
     */
    private int firstLeadingOn(int k, int i) {
        List<int[]> cands = intervals.candidates(k);
        int[] first = firstLeadingOn[k];
        if (first == null) {
            first = firstLeadingOn[k] = new int[cands.size()];
            java.util.Arrays.fill(first, UNKNOWN);
        }
        int j = i;
        while (j < cands.size() && first[j] == UNKNOWN && !match(k + 1, cands.get(j)[1])) {
            j++;
        }
        int found = j == cands.size() ? j : first[j] != UNKNOWN ? first[j] : j;
        for (int m = i; m <= j && m < cands.size(); m++) {
            first[m] = found;
        }
        return found;
    }

    /** Whether step {@code k} may start at {@code start} after the previous step ended. */
    private boolean gapAllows(Step step, int k, int prevEnd, int start) {
        if (k > 0 && !gaps.restrictionsHold(step.restrictions(), prevEnd, start)) {
            return false;
        }
        return !intervals.excluded(
                step.exclusions(), k == firstStepFromStart ? -1 : prevEnd, start);
    }

    private static boolean isAll(Step step) {
        return step.group() != null && step.group().all();
    }

    /**
     * Where a {@code sequence-and} step may start, for one previous end. Its members may begin
     * anywhere at or after that end, and a restriction before the step ({@code after N}, say) may
     * need a later start than the earliest member's: every start that keeps all members inside the
     * step is tried, the latest the gap allows first. Asked for candidates in order of their ends
     * (and so of their latest starts too), it takes in each member occurrence once, as the ends
     * pass it, and keeps the starts the gap allows in order: a scan of every occurrence per
     * candidate made the search cubic in the history where the gaps are no range.
     */
    private final class GroupStarts {
        private final Step step;
        private final int k;
        private final int prevEnd;
        private final List<int[]> byEnd = new ArrayList<>();
        private final java.util.BitSet checked = new java.util.BitSet();
        private final java.util.BitSet allowedStarts = new java.util.BitSet();
        private int taken;
        private int lastEnd = Integer.MIN_VALUE;

        GroupStarts(Step step, int k, int prevEnd) {
            this.step = step;
            this.k = k;
            this.prevEnd = prevEnd;
            for (Pred p : step.group().checkpoints()) {
                byEnd.addAll(SequenceIntervals.from(intervals.of(p), prevEnd + 1));
            }
            byEnd.sort((a, b) -> Integer.compare(a[1], b[1]));
        }

        /**
         * The latest start, no later than {@code cand[0]} (the latest start that keeps every member
         * inside the step), of a member occurrence that ends by {@code cand[1]} and that the gap
         * before the step allows; -1 when there is none. Candidates come with ends that grow.
         */
        int latest(int[] cand) {
            if (cand[1] < lastEnd) {
                throw new IllegalStateException("candidates out of order of their ends");
            }
            lastEnd = cand[1];
            while (taken < byEnd.size() && byEnd.get(taken)[1] <= cand[1]) {
                int start = byEnd.get(taken++)[0];
                if (!checked.get(start)) {
                    checked.set(start);
                    if (gapAllows(step, k, prevEnd, start)) {
                        allowedStarts.set(start);
                    }
                }
            }
            return cand[0] < 0 ? -1 : allowedStarts.previousSetBit(cand[0]);
        }
    }
}
