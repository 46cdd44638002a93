package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Context;
import io.cohortflow.core.definition.Pred;
import io.cohortflow.core.definition.SeqItem;
import io.cohortflow.core.event.Event;
import io.cohortflow.core.event.Values;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The sequence search as it was before {@link SequenceMatcher} found steps by range (2026-12-05): a
 * depth-first search over every candidate of every step, memoising failures, quadratic or worse in
 * the unit's hits. Kept as the test's oracle: slow and plainly exhaustive, so a faster search that
 * answers differently is caught ({@code SequenceSearchTest}).
 */
final class ExhaustiveSequenceSearch {

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
    private final Map<String, int[]> changeCounts = new HashMap<>(2);

    // Made on the first failure: most evaluations match or fail without a search.
    private Set<Long> failed = Set.of();
    private int[] visitOrdinal;

    ExhaustiveSequenceSearch(ReferenceEvaluator eval, Pred.Sequence s, List<Event> hits) {
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
    }

    boolean matches() {
        return !hits.isEmpty() && match(0, -1);
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
        if (k == steps.size()) {
            return true;
        }
        long key = ((long) k << 32) | (prevEnd + 1);
        if (!failed.isEmpty() && failed.contains(key)) {
            return false;
        }
        Step step = steps.get(k);
        GroupStarts groupStarts = isAll(step) ? new GroupStarts(step, k, prevEnd) : null;
        for (int[] cand : candidates(step, prevEnd + 1)) {
            int start = groupStarts != null ? groupStarts.latest(cand) : cand[0];
            if (start < 0 || (groupStarts == null && !gapAllows(step, k, prevEnd, start))) {
                continue;
            }
            if (match(k + 1, cand[1])) {
                return true;
            }
        }
        if (failed.isEmpty()) {
            failed = new HashSet<>();
        }
        failed.add(key);
        return false;
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

    /**
     * The intervals a step can take from {@code lb} on. For {@code sequence-and}: one per end
     * {@code e} at which every member has an occurrence ending by {@code e}, starting at the latest
     * start that still holds an occurrence of every member.
     */
    private List<int[]> candidates(Step step, int lb) {
        if (step.group() == null) {
            return from(intervals(step.checkpoint()), lb);
        }
        SeqItem.Group g = step.group();
        if (!g.all()) {
            List<int[]> out = new ArrayList<>();
            for (Pred p : g.checkpoints()) {
                out.addAll(from(intervals(p), lb));
            }
            return out;
        }
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
            // Of the intervals starting after prevEnd, the one ending first: a binary search and
            // a suffix minimum, not a scan per pair of steps (which made the search cubic).
            List<int[]> all = intervals(x);
            int lo = 0;
            int hi = all.size();
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (all.get(mid)[0] > prevEnd) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            if (lo < all.size() && earliestEnds(x)[lo] < nextStart) {
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

    private int changes(String path, int from, int to) {
        int[] before = changeCounts.computeIfAbsent(path, this::changeCounts);
        return before[to] - before[from];
    }

    /**
     * Per hit, the changes of the dimension's value up to it: a gap's changes are a difference, not
     * a rescan of the gap for every pair of steps (which made the search cubic).
     */
    private int[] changeCounts(String path) {
        int[] out = new int[hits.size()];
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
            for (int i = 0; i < hits.size(); i++) {
                visitOrdinal[i] =
                        seen.computeIfAbsent(Metrics.visitKey(hits.get(i)), k -> seen.size());
            }
        }
        return visitOrdinal;
    }
}
