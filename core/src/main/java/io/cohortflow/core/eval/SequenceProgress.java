package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Context;
import io.cohortflow.core.definition.Pred;
import io.cohortflow.core.definition.SeqItem;
import io.cohortflow.core.definition.Visitor;
import io.cohortflow.core.definition.Window;
import io.cohortflow.core.event.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A sequence matched as the user's events arrive, instead of over the stored history: for the
 * definitions that are one sequence of hit checkpoints ({@code visitors{sequence}}, the container
 * optionally windowed) whose gaps are bounded in time only ({@code within} or {@code after}, no
 * exclusions, groups, visit checkpoints, or gaps counted in hits, visits or dimension changes).
 *
 * <p>A user who is not a member keeps, per step but the last, one partial match through that step
 * (the times of its first and last hits), the one that dominates the others for what follows: the
 * latest-ending for a {@code within} gap (the latest bound for the next step), the earliest-ending
 * for an {@code after} gap, and the latest-starting for a free gap (it outlives the others). An
 * appended event extends the partial matches it can, from the last step down so that it serves one
 * step only; it completes the sequence when it satisfies the last checkpoint after the kept partial
 * match of the step before. A match is visible while its first hit is (windows and the horizon take
 * the oldest events first), so a kept partial match whose first hit left is dropped when no other
 * can exist (the latest single hit of the first step is gone: so are the older), and otherwise the
 * answer falls back to a replay of the history ({@link #FALLBACK}), counted. Members keep nothing:
 * appending cannot end a match ({@link AppendRules#monotone}), and a lapse is evaluated from the
 * history, which replays the progress anew.
 *
 * <p>The progress lives in the profile's {@link UserProfile#sequences} rows, keyed by segment
 * ordinal and step, with a marker row saying it is held: a profile without it (stored before, or a
 * member's) is evaluated from the history on the next event that may complete the sequence, as
 * before. A replay runs the same steps over the visible history, so both paths share one rule.
 */
final class SequenceProgress {
    /** Answers: no match. */
    static final long NONE = Long.MIN_VALUE;

    /** Answers: the progress kept cannot tell; replay the history. */
    static final long FALLBACK = Long.MIN_VALUE + 1;

    /** Steps of a sequence held this way: the row key holds the step in three bits. */
    static final int MAX_STEPS = 8;

    static final int START = 0;
    static final int END = 1;

    /** Which partial match through a step is kept, by the gap after it. */
    private enum Keep {
        LATEST_END,
        EARLIEST_END,
        LATEST_START
    }

    private static final ReferenceEvaluator HIT = new ReferenceEvaluator(0);

    private final Pred[] checkpoints;

    /** The time restrictions of the gap before each step (none before the first). */
    private final List<List<SeqItem.TimeRestriction>> gaps;

    private final Keep[] keep;
    @Nullable private final Window window;
    @Nullable private final Set<String> relevantNames;

    private SequenceProgress(
            List<Pred> checkpoints,
            List<List<SeqItem.TimeRestriction>> gaps,
            @Nullable Window window,
            @Nullable Set<String> relevantNames) {
        this.checkpoints = checkpoints.toArray(new Pred[0]);
        this.gaps = gaps;
        this.window = window;
        this.relevantNames = relevantNames;
        this.keep = new Keep[this.checkpoints.length];
        for (int k = 0; k + 1 < this.checkpoints.length; k++) {
            List<SeqItem.TimeRestriction> next = gaps.get(k + 1);
            keep[k] =
                    next.isEmpty()
                            ? Keep.LATEST_START
                            : next.get(0).limit() == SeqItem.Limit.WITHIN
                                    ? Keep.LATEST_END
                                    : Keep.EARLIEST_END;
        }
    }

    /**
     * The progress of {@code top}'s sequence, or null when its shape is not one this class matches
     * (see the class comment).
     *
     * @param relevantNames the names of the events the definition reads (null: any)
     */
    static @Nullable SequenceProgress of(Pred.Container top, @Nullable Set<String> relevantNames) {
        if (top.context() != Context.VISITORS
                || top.atLeast() != 1
                || !(top.pred() instanceof Pred.Sequence s)
                || s.kind() != Pred.SequenceKind.SEQUENCE) {
            return null;
        }
        List<Pred> checkpoints = new ArrayList<>();
        List<List<SeqItem.TimeRestriction>> gaps = new ArrayList<>();
        List<SeqItem.TimeRestriction> gap = new ArrayList<>();
        for (SeqItem it : s.stream()) {
            if (it instanceof SeqItem.Checkpoint c && hitLocal(c.pred())) {
                checkpoints.add(c.pred());
                // Restrictions before the first step bound nothing (the matcher ignores them).
                gaps.add(checkpoints.size() == 1 ? List.of() : List.copyOf(gap));
                gap.clear();
            } else if (it instanceof SeqItem.TimeRestriction t) {
                if (!gap.isEmpty() && gap.get(0).limit() != t.limit()) {
                    return null; // within and after on one gap: no single partial match dominates
                }
                gap.add(t);
            } else {
                return null;
            }
        }
        if (checkpoints.isEmpty() || checkpoints.size() > MAX_STEPS || !gap.isEmpty()) {
            return null;
        }
        return new SequenceProgress(checkpoints, gaps, top.window(), relevantNames);
    }

    /**
     * Whether a checkpoint's answer for one hit depends on that hit alone: not a visit (which spans
     * hits), and nothing inside windowed (a window moves with the user's now) or sequenced.
     */
    private static boolean hitLocal(Pred p) {
        if (p instanceof Pred.Container c && c.context() == Context.VISITS) {
            return false;
        }
        boolean[] local = {true};
        Visitor.walk(
                p,
                x -> {
                    if ((x instanceof Pred.Container c && c.window() != null)
                            || x instanceof Pred.Sequence) {
                        local[0] = false;
                    }
                });
        return local[0];
    }

    /**
     * Whether the user's progress through every such sequence they are not a member of is held: in
     * a profile from before progress was held, not until it has been replayed (see {@link
     * UserProfile#sequencesHeld}).
     */
    static boolean held(UserProfile p) {
        return p.sequencesHeld;
    }

    /**
     * Advances the progress of a user who is not a member by {@code e}, the newest event of their
     * history, and answers: the time of the first hit of a match {@code e} completes, {@link
     * #NONE}, or {@link #FALLBACK}. A completed match leaves nothing held (members keep no
     * progress).
     */
    long advance(UserProfile p, int ordinal, Event e, long horizon) {
        if (!visible(p, e.time(), horizon)
                || (relevantNames != null && !relevantNames.contains(e.name()))) {
            return NONE;
        }
        long match = step(p, ordinal, e, horizon);
        if (match != NONE && match != FALLBACK) {
            forget(p, ordinal);
        }
        return match;
    }

    /**
     * Replays the progress from {@code events} (the user's visible events the definition reads, in
     * time order), holds it unless the user matches, and answers as {@link #advance} does (the
     * match with the latest first hit: it stays visible longest).
     */
    long replay(UserProfile p, int ordinal, List<Event> events, long horizon) {
        forget(p, ordinal);
        long match = NONE;
        for (Event e : events) {
            if (window != null && !window.visible(e.time(), p.now)) {
                continue;
            }
            long m = step(p, ordinal, e, horizon);
            if (m == FALLBACK) {
                // Every event replayed is visible, so is every partial match kept.
                throw new IllegalStateException("a replay of a sequence fell back");
            }
            match = Math.max(match, m);
        }
        if (match != NONE) {
            forget(p, ordinal);
        }
        return match;
    }

    /**
     * Extends the partial matches {@code e} can, from the last step down so that it serves one step
     * only, and answers the first hit's time of the match it completes, {@link #NONE}, or {@link
     * #FALLBACK}.
     */
    private long step(UserProfile p, int ordinal, Event e, long horizon) {
        long match = NONE;
        int last = checkpoints.length - 1;
        for (int k = last; k >= 0; k--) {
            if (!HIT.pred(checkpoints[k], List.of(e))) {
                continue;
            }
            long start = e.time();
            if (k > 0) {
                int row = p.sequences.find(key(ordinal, k - 1));
                if (row < 0) {
                    continue;
                }
                start = p.sequences.get(row, START);
                if (!visible(p, start, horizon)) {
                    if (k - 1 == 0 && keep[0] != Keep.EARLIEST_END) {
                        // The latest single hit of the first step has left: so have the others.
                        p.sequences.removeAt(row);
                        continue;
                    }
                    return FALLBACK;
                }
                if (!gapHolds(k, p.sequences.get(row, END), e.time())) {
                    continue;
                }
            }
            if (k == last) {
                match = start;
            } else {
                keep(p, ordinal, k, start, e.time(), horizon);
            }
        }
        return match;
    }

    /**
     * The instant a match whose first hit is at {@code start} stops being visible: when the answer
     * may change without an event.
     */
    long expiry(long start, long horizon) {
        long end = start > Long.MAX_VALUE - horizon ? Long.MAX_VALUE : start + horizon;
        return window == null ? end : Math.min(end, window.expiry(start));
    }

    /** Drops the progress of segment {@code ordinal}: it is no longer held. */
    static void forget(UserProfile p, int ordinal) {
        int from = key(ordinal, 0);
        int to = key(ordinal, MAX_STEPS - 1);
        p.sequences.removeIf(
                row -> p.sequences.ordinal(row) >= from && p.sequences.ordinal(row) <= to);
    }

    /** The segment ordinal a progress row belongs to. */
    static int ordinalOf(int key) {
        return key >>> 3;
    }

    /**
     * Keeps the partial match {@code (start, end)} through step {@code k}, visible, if it dominates
     * the one kept. One kept that has left is replaced when the new one dominates every other (it
     * ends last; or the one kept started last, so the others have left too); otherwise (the
     * earliest-ending) it stays, and the step after it falls back when it meets it.
     */
    private void keep(UserProfile p, int ordinal, int k, long start, long end, long horizon) {
        int key = key(ordinal, k);
        int row = p.sequences.find(key);
        if (row >= 0) {
            long heldStart = p.sequences.get(row, START);
            boolean replace =
                    switch (keep[k]) {
                        // The new one ends at the newest event: the latest bound for the next step.
                        case LATEST_END ->
                                end > p.sequences.get(row, END)
                                        || start > heldStart
                                        || !visible(p, heldStart, horizon);
                        case EARLIEST_END -> false;
                        case LATEST_START -> start > heldStart || !visible(p, heldStart, horizon);
                    };
            if (!replace) {
                return;
            }
        } else {
            row = p.sequences.upsert(key);
        }
        p.sequences.set(row, START, start);
        p.sequences.set(row, END, end);
    }

    private boolean gapHolds(int k, long from, long to) {
        for (SeqItem.TimeRestriction t : gaps.get(k)) {
            long bound = t.unit().plus(from, t.count());
            if (t.limit() == SeqItem.Limit.WITHIN ? to > bound : to < bound) {
                return false;
            }
        }
        return true;
    }

    /** Whether a hit at {@code time} is still seen by the definition at the user's now. */
    private boolean visible(UserProfile p, long time, long horizon) {
        return HistorySegments.visibleAt(p, time, p.now, horizon)
                && (window == null || window.visible(time, p.now));
    }

    private static int key(int ordinal, int step) {
        return ordinal << 3 | step; // MAX_STEPS = 2^3
    }
}
