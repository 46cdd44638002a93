package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Context;
import io.cohortflow.core.definition.Pred;
import io.cohortflow.core.definition.SeqItem;
import io.cohortflow.core.event.Event;
import io.cohortflow.core.event.Values;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
 * candidates in range are checked one by one. A {@code sequence-and} step's start depends on which
 * members it takes, so it is searched candidate by candidate, remembered per previous end.
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
    private final Map<String, long[]> changeCounts = new HashMap<>(2);

    private int[] visitOrdinal;
    // The visit ordinals as a measure when they never go down (no visit's hits interleave with
    // another's), else null; the hits' times when in order, else null. Made when first needed.
    private long[] visitsInOrder;
    private long[] times;
    private boolean timesRead;

    // Per sequence-and step, made when first asked: the interval it takes after each previous end
    // in the first match found (indexed by previous end + 1; NONE when there is none).
    private int[][][] groupTaken;
    // Per step other than sequence-and, made when first asked: its candidates in start order, and
    // from each, the first that leads on to a match (UNKNOWN: not asked yet). The other steps need
    // no memo of their own: a range and this answer them in a few binary searches.
    private final List<List<int[]>> candidates;
    private final int[][] firstLeadingOn;

    private static final int[] NONE = new int[0];
    private static final int UNKNOWN = -1;

    SequenceMatcher(ReferenceEvaluator eval, Pred.Sequence s, List<Event> hits) {
        this.eval = eval;
        this.hits = hits;
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
        Step step = steps.get(k);
        long lo = prevEnd + 1;
        long hi = hits.size() - 1;
        int from = k == firstStepFromStart ? -1 : prevEnd;
        for (Pred x : step.exclusions()) {
            hi = Math.min(hi, latestStartBesides(x, from));
        }
        boolean ranged = true;
        if (k > 0) {
            for (SeqItem r : step.restrictions()) {
                long[] bounds = startBounds(r, prevEnd);
                if (bounds == null) {
                    ranged = false;
                } else {
                    lo = Math.max(lo, bounds[0]);
                    hi = Math.min(hi, bounds[1]);
                }
            }
        }
        List<int[]> cands = candidates(k);
        int a = firstStartAtLeast(cands, lo);
        int b = firstStartAtLeast(cands, hi + 1) - 1;
        if (lo > hi || a > b) {
            return NONE;
        }
        if (ranged) {
            int j = firstLeadingOn(k, a);
            return j <= b ? cands.get(j) : NONE;
        }
        for (int j = a; j <= b; j++) {
            if (restrictionsHold(step.restrictions(), prevEnd, cands.get(j)[0])
                    && firstLeadingOn(k, j) == j) {
                return cands.get(j);
            }
        }
        return NONE;
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

    /**
     * The least and greatest start a restriction allows after {@code prevEnd}, or null when its
     * measure does not grow with the start in this unit (visits interleaved, times out of order).
     */
    private long[] startBounds(SeqItem r, int prevEnd) {
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

    private static int firstStartAtLeast(List<int[]> cands, long start) {
        int lo = 0;
        int hi = cands.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cands.get(mid)[0] >= start) {
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
        if (k > 0 && !restrictionsHold(step.restrictions(), prevEnd, start)) {
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

    /** The intervals step {@code k} (one checkpoint or {@code sequence-or}) can take, by start. */
    private List<int[]> candidates(int k) {
        List<int[]> out = candidates.get(k);
        if (out == null) {
            Step step = steps.get(k);
            if (step.group() == null) {
                out = intervals(step.checkpoint());
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

    private boolean restrictionsHold(List<SeqItem> restrictions, int prevEnd, int nextStart) {
        for (SeqItem r : restrictions) {
            long gap;
            long limit;
            SeqItem.Limit kind;
            if (r instanceof SeqItem.TimeRestriction t) {
                long from = hits.get(prevEnd).time();
                long to = hits.get(nextStart).time();
                long bound = t.unit().plus(from, t.count());
                boolean ok = t.limit() == SeqItem.Limit.WITHIN ? to <= bound : to >= bound;
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
