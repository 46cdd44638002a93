package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Context;
import io.cohortflow.core.definition.Pred;
import io.cohortflow.core.definition.SeqItem;
import io.cohortflow.core.event.Event;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
 * sequence-and} is still searched candidate by candidate, remembered per previous end.
 */
final class SequenceMatcher {

    /** One step of the sequence, and what constrains the gap before it. */
    private record Step(
            Pred checkpoint,
            SeqItem.Group group,
            List<SeqItem> restrictions,
            List<Pred> exclusions) {}

    /** The checkpoint any hit satisfies: the step before a prefix's sequence, after a suffix's. */
    private static final Pred ANY_HIT =
            new Pred.Exists(
                    new io.cohortflow.core.definition.Val.Attr("variables/name"), false, null);

    private final ReferenceEvaluator eval;
    private final List<Event> hits;
    private final SequenceGaps gaps;
    private final List<Step> steps = new ArrayList<>();
    private final List<Pred> trailingExclusions = new ArrayList<>();
    // The step whose leading exclusions are checked from the unit's first hit (a prefix's first
    // step of its own), and the step before which the trailing exclusions are checked (a
    // suffix's step of any hit comes after it).
    private final int firstStepFromStart;
    private final int trailingAt;
    // By identity: checkpoints are the definition's own nodes, and a deep hash per lookup is waste.
    // Sized for the few checkpoints of a sequence: a matcher is made per evaluation.
    private final Map<Pred, List<int[]>> intervalCache = new java.util.IdentityHashMap<>(4);
    private final Map<Pred, int[]> earliestEndCache = new java.util.IdentityHashMap<>(2);

    // Per sequence-and step, made when first asked: the interval it takes after each previous end
    // in the first match found (indexed by previous end + 1; NONE when there is none).
    private int[][][] groupTaken;
    // Per step, made when first asked: its candidates (see candidates), and from each, the first
    // that leads on to a match (UNKNOWN: not asked yet). With them a step whose gap is a range
    // needs
    // no memo of its own: a few binary searches answer it again.
    private final List<List<int[]>> candidates;
    private final int[][] firstLeadingOn;
    private Occurrences[] occurrences;

    private static final int[] NONE = new int[0];
    private static final int UNKNOWN = -1;

    SequenceMatcher(ReferenceEvaluator eval, Pred.Sequence s, List<Event> hits) {
        this.eval = eval;
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
        candidates = new ArrayList<>(java.util.Collections.nCopies(steps.size(), null));
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
                            ? groupCandidates(steps.get(k), 0).size()
                            : candidates(k).size();
            out.add(new Explanation.Step(candidateCount, hitsOfStep));
        }
        return out;
    }

    private boolean match(int k, int prevEnd) {
        if (k == trailingAt) {
            for (Pred x : trailingExclusions) {
                // In start order: the last interval tells whether any starts after prevEnd (a
                // scan here ran for every pair of steps, like the exclusions between them did).
                List<int[]> all = intervals(x);
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
        for (int[] cand : groupCandidates(step, prevEnd + 1)) {
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
        List<int[]> cands = candidates(k);
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
            hi = Math.min(hi, latestStartBesides(x, from));
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
     * grows with the end ({@link #candidates}). An end qualifies when that latest start reaches the
     * range and some occurrence starting in the range ends by it (from the least such end {@code
     * mu} on): a suffix of the ends. Of those, only ends of occurrences that start after the
     * previous end are the step's (a visit straddling the previous end is not), which the search
     * skips; the first that leads on is taken, starting at the latest member occurrence the range
     * and that end allow. Null when the gap is not a range.
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
        List<int[]> cands = candidates(k); // {latest start, end, latest start ending there}
        Occurrences occ = occurrences(k);
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

    /** Step {@code k}'s members' occurrences by start, made when first asked. */
    private Occurrences occurrences(int k) {
        if (occurrences == null) {
            occurrences = new Occurrences[steps.size()];
        }
        if (occurrences[k] == null) {
            List<int[]> all = new ArrayList<>();
            for (Pred p : steps.get(k).group().checkpoints()) {
                all.addAll(intervals(p));
            }
            occurrences[k] = new Occurrences(all);
        }
        return occurrences[k];
    }

    /**
     * The latest start an exclusion allows after {@code from}: before the earliest end of its
     * intervals that start after it (one of those wholly inside the gap excludes the step).
     */
    private long latestStartBesides(Pred x, int from) {
        List<int[]> all = intervals(x);
        int lo = 0;
        int hi = all.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (all.get(mid)[0] > from) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo < all.size() ? earliestEnds(x)[lo] : Long.MAX_VALUE;
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
        List<int[]> cands = candidates(k);
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
        return !excluded(step.exclusions(), k == firstStepFromStart ? -1 : prevEnd, start);
    }

    private static boolean isAll(Step step) {
        return step.group() != null && step.group().all();
    }

    /**
     * Where a {@code sequence-and} step may start, for one previous end. Its members may begin
     * anywhere at or after that end, and a restriction before the step ({@code after N}, say) may
     * need a later start than the earliest member's: every start that keeps all members inside the
     * step is tried, the latest the gap allows first.
     */
    private final class GroupStarts {
        private final Step step;
        private final int k;
        private final int prevEnd;
        private final List<int[]> occurrences = new ArrayList<>();
        private final Map<Integer, Boolean> allowed = new HashMap<>();

        GroupStarts(Step step, int k, int prevEnd) {
            this.step = step;
            this.k = k;
            this.prevEnd = prevEnd;
            for (Pred p : step.group().checkpoints()) {
                occurrences.addAll(from(intervals(p), prevEnd + 1));
            }
            occurrences.sort((a, b) -> Integer.compare(b[0], a[0])); // latest start first
        }

        /**
         * The latest start, no later than {@code cand[0]} (the latest start that keeps every member
         * inside the step), of a member occurrence that ends by {@code cand[1]} and that the gap
         * before the step allows; -1 when there is none.
         */
        int latest(int[] cand) {
            for (int[] iv : occurrences) {
                if (iv[0] > cand[0] || iv[1] > cand[1]) {
                    continue;
                }
                if (allowed.computeIfAbsent(iv[0], s -> gapAllows(step, k, prevEnd, s))) {
                    return iv[0];
                }
            }
            return -1;
        }
    }

    /**
     * The intervals step {@code k} (one checkpoint or {@code sequence-or}) can take, by start; for
     * a {@code sequence-and} of hit checkpoints, per hit of a member (by position) the latest start
     * that holds every member by then ({@code -1} before every member has occurred) and the hit.
     */
    private List<int[]> candidates(int k) {
        List<int[]> out = candidates.get(k);
        if (out == null) {
            Step step = steps.get(k);
            if (step.group() == null) {
                out = intervals(step.checkpoint());
            } else if (step.group().all()) {
                out = latestStarts(step.group().checkpoints());
            } else {
                out = new ArrayList<>();
                for (Pred p : step.group().checkpoints()) {
                    out.addAll(intervals(p));
                }
                out.sort((a, b) -> Integer.compare(a[0], b[0])); // stable: members' order in a tie
            }
            candidates.set(k, out);
        }
        return out;
    }

    private List<int[]> latestStarts(List<Pred> members) {
        int[] latest = new int[members.size()];
        java.util.Arrays.fill(latest, -1);
        // By end: each member's occurrences ending there (member, start).
        java.util.TreeMap<Integer, List<int[]>> byEnd = new java.util.TreeMap<>();
        for (int m = 0; m < members.size(); m++) {
            for (int[] iv : intervals(members.get(m))) {
                byEnd.computeIfAbsent(iv[1], x -> new ArrayList<>(2)).add(new int[] {m, iv[0]});
            }
        }
        List<int[]> out = new ArrayList<>(byEnd.size());
        for (Map.Entry<Integer, List<int[]>> e : byEnd.entrySet()) {
            int latestHere = -1;
            for (int[] ms : e.getValue()) {
                latest[ms[0]] = Math.max(latest[ms[0]], ms[1]);
                latestHere = Math.max(latestHere, ms[1]);
            }
            int start = Integer.MAX_VALUE;
            for (int l : latest) {
                start = Math.min(start, l);
            }
            out.add(new int[] {start, e.getKey(), latestHere});
        }
        return out;
    }

    /**
     * The intervals a {@code sequence-and} step can take from {@code lb} on: one per end {@code e}
     * at which every member has an occurrence ending by {@code e}, starting at the latest start
     * that still holds an occurrence of every member.
     */
    private List<int[]> groupCandidates(Step step, int lb) {
        SeqItem.Group g = step.group();
        List<List<int[]>> members = new ArrayList<>();
        Set<Integer> ends = new java.util.TreeSet<>();
        for (Pred p : g.checkpoints()) {
            List<int[]> m = from(intervals(p), lb);
            if (m.isEmpty()) {
                return List.of();
            }
            members.add(m);
            for (int[] iv : m) {
                ends.add(iv[1]);
            }
        }
        List<int[]> out = new ArrayList<>();
        for (int e : ends) {
            int latestStart = Integer.MAX_VALUE;
            for (List<int[]> m : members) {
                int memberLatest = -1;
                for (int[] iv : m) {
                    if (iv[1] <= e) {
                        memberLatest = Math.max(memberLatest, iv[0]);
                    }
                }
                latestStart = Math.min(latestStart, memberLatest);
            }
            if (latestStart >= 0) {
                out.add(new int[] {latestStart, e});
            }
        }
        return out;
    }

    private static List<int[]> from(List<int[]> all, int lb) {
        List<int[]> out = new ArrayList<>();
        for (int[] iv : all) {
            if (iv[0] >= lb) {
                out.add(iv);
            }
        }
        return out;
    }

    /** Every interval where the checkpoint holds, in start order. */
    private List<int[]> intervals(Pred checkpoint) {
        List<int[]> cached = intervalCache.get(checkpoint);
        if (cached != null) {
            return cached;
        }
        List<int[]> out = new ArrayList<>();
        if (checkpoint instanceof Pred.Container c && c.context() == Context.VISITS) {
            Map<String, int[]> span = new java.util.LinkedHashMap<>();
            Map<String, List<Event>> visitHits = new HashMap<>();
            for (int i = 0; i < hits.size(); i++) {
                String v = Metrics.visitKey(hits.get(i));
                int idx = i;
                span.computeIfAbsent(v, x -> new int[] {idx, idx})[1] = i;
                visitHits.computeIfAbsent(v, x -> new ArrayList<>()).add(hits.get(i));
            }
            for (Map.Entry<String, int[]> e : span.entrySet()) {
                List<Event> visit = eval.windowed(c, visitHits.get(e.getKey()));
                if (!visit.isEmpty() && eval.pred(c.pred(), visit)) {
                    out.add(e.getValue());
                }
            }
            out.sort((a, b) -> Integer.compare(a[0], b[0]));
        } else {
            for (int i = 0; i < hits.size(); i++) {
                if (eval.pred(checkpoint, List.of(hits.get(i)))) {
                    out.add(new int[] {i, i});
                }
            }
        }
        intervalCache.put(checkpoint, out);
        return out;
    }

    private boolean excluded(List<Pred> exclusions, int prevEnd, int nextStart) {
        for (Pred x : exclusions) {
            if (nextStart > latestStartBesides(x, prevEnd)) {
                return true;
            }
        }
        return false;
    }

    /** Per interval of {@code x} (in start order), the least end from it on. */
    private int[] earliestEnds(Pred x) {
        return earliestEndCache.computeIfAbsent(
                x,
                k -> {
                    List<int[]> all = intervals(k);
                    int[] out = new int[all.size()];
                    int least = Integer.MAX_VALUE;
                    for (int i = all.size() - 1; i >= 0; i--) {
                        least = Math.min(least, all.get(i)[1]);
                        out[i] = least;
                    }
                    return out;
                });
    }
}
