package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Context;
import io.cohortflow.core.definition.Pred;
import io.cohortflow.core.definition.SeqItem;
import io.cohortflow.core.event.Event;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a sequence's checkpoints and steps occur in one unit's hits, for {@link SequenceMatcher}'s
 * search: every interval of hit positions where a checkpoint holds, the intervals each step can
 * take (its candidates) and how late an exclusion lets the next step start. Each is made when first
 * asked and kept for the one evaluation its matcher is made for.
 */
final class SequenceIntervals {
    private final ReferenceEvaluator eval;
    private final List<Event> hits;
    private final List<SequenceMatcher.Step> steps;
    // By identity: checkpoints are the definition's own nodes, and a deep hash per lookup is waste.
    // Sized for the few checkpoints of a sequence: a matcher is made per evaluation.
    private final Map<Pred, List<int[]>> intervalCache = new java.util.IdentityHashMap<>(4);
    private final Map<Pred, int[]> earliestEndCache = new java.util.IdentityHashMap<>(2);
    // Per step, made when first asked: see candidates and occurrences.
    private final List<List<int[]>> candidates;
    private Occurrences[] occurrences;

    SequenceIntervals(ReferenceEvaluator eval, List<Event> hits, List<SequenceMatcher.Step> steps) {
        this.eval = eval;
        this.hits = hits;
        this.steps = steps;
        candidates = new ArrayList<>(java.util.Collections.nCopies(steps.size(), null));
    }

    /** Every interval where the checkpoint holds, in start order. */
    List<int[]> of(Pred checkpoint) {
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

    /**
     * The intervals step {@code k} (one checkpoint or {@code sequence-or}) can take, by start; for
     * a {@code sequence-and} of hit checkpoints, per hit of a member (by position) the latest start
     * that holds every member by then ({@code -1} before every member has occurred) and the hit.
     */
    List<int[]> candidates(int k) {
        List<int[]> out = candidates.get(k);
        if (out == null) {
            SequenceMatcher.Step step = steps.get(k);
            if (step.group() == null) {
                out = of(step.checkpoint());
            } else if (step.group().all()) {
                out = latestStarts(step.group().checkpoints());
            } else {
                out = new ArrayList<>();
                for (Pred p : step.group().checkpoints()) {
                    out.addAll(of(p));
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
            for (int[] iv : of(members.get(m))) {
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
    List<int[]> groupCandidates(SeqItem.Group g, int lb) {
        List<List<int[]>> members = new ArrayList<>();
        int count = 0;
        for (Pred p : g.checkpoints()) {
            List<int[]> m = new ArrayList<>(from(of(p), lb));
            if (m.isEmpty()) {
                return List.of();
            }
            m.sort((a, b) -> Integer.compare(a[1], b[1]));
            members.add(m);
            count += m.size();
        }
        int[] ends = new int[count];
        int n = 0;
        for (List<int[]> m : members) {
            for (int[] iv : m) {
                ends[n++] = iv[1];
            }
        }
        java.util.Arrays.sort(ends);
        // The ends in order, each member's occurrences by end: each member's latest start among
        // those ended so far grows as the sweep goes, so every occurrence is read once. A scan of
        // every occurrence per end made this quadratic, and the search that asks it per previous
        // end cubic in the history (interleaved visits, where the gaps are no range).
        int[] next = new int[members.size()];
        int[] latest = new int[members.size()];
        java.util.Arrays.fill(latest, -1);
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < ends.length; i++) {
            int e = ends[i];
            if (i > 0 && e == ends[i - 1]) {
                continue; // each end once
            }
            int latestStart = Integer.MAX_VALUE;
            for (int j = 0; j < members.size(); j++) {
                List<int[]> m = members.get(j);
                while (next[j] < m.size() && m.get(next[j])[1] <= e) {
                    latest[j] = Math.max(latest[j], m.get(next[j])[0]);
                    next[j]++;
                }
                latestStart = Math.min(latestStart, latest[j]);
            }
            if (latestStart >= 0) {
                out.add(new int[] {latestStart, e});
            }
        }
        return out;
    }

    /** Step {@code k}'s members' occurrences by start, made when first asked. */
    Occurrences occurrences(int k) {
        if (occurrences == null) {
            occurrences = new Occurrences[steps.size()];
        }
        if (occurrences[k] == null) {
            List<int[]> all = new ArrayList<>();
            for (Pred p : steps.get(k).group().checkpoints()) {
                all.addAll(of(p));
            }
            occurrences[k] = new Occurrences(all);
        }
        return occurrences[k];
    }

    /** The intervals of {@code all} that start at or after {@code lb}, in their order. */
    static List<int[]> from(List<int[]> all, int lb) {
        List<int[]> out = new ArrayList<>();
        for (int[] iv : all) {
            if (iv[0] >= lb) {
                out.add(iv);
            }
        }
        return out;
    }

    /**
     * The latest start an exclusion allows after {@code from}: before the earliest end of its
     * intervals that start after it (one of those wholly inside the gap excludes the step).
     */
    long latestStartBesides(Pred x, int from) {
        List<int[]> all = of(x);
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
     * Whether one of {@code exclusions} occurs wholly inside the gap after {@code prevEnd} when the
     * next step starts at {@code nextStart}.
     */
    boolean excluded(List<Pred> exclusions, int prevEnd, int nextStart) {
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
                    List<int[]> all = of(k);
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
