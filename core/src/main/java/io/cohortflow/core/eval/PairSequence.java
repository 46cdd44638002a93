package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Attributes;
import io.cohortflow.core.definition.Context;
import io.cohortflow.core.definition.Op;
import io.cohortflow.core.definition.Pred;
import io.cohortflow.core.definition.SeqItem;
import io.cohortflow.core.definition.Val;
import io.cohortflow.core.event.Event;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A sequence of two checkpoints that each name events, the second at most some time after the first
 * or at any time after it ("A then B within a day", {@code visitors{sequence[A, within, B]}}), the
 * shape of most sequences publishers define. For a user who is not a member, an event appended to
 * their history is a member's last step or nothing (see {@link AppendRules}): it completes a match
 * exactly when it is a B and the newest A before it is within reach, and a user's newest event of
 * each name is in their profile ({@link NameCounts}). So the answer needs no read of the history,
 * where the general evaluation reads every A and B the user has.
 *
 * @param first the names of the first checkpoint's events (no event satisfies it otherwise)
 * @param second the names of the second's; none of the first's, so one event is never both steps
 * @param within the longest time from the first step to the second, or null for any
 */
record PairSequence(
        Set<String> first, Set<String> second, SeqItem.@Nullable TimeRestriction within) {

    PairSequence {
        first = NameSet.of(first);
        second = NameSet.of(second);
    }

    /** The pair {@code top} is, or null when it is not one. */
    static @Nullable PairSequence of(Pred.Container top) {
        if (top.context() != Context.VISITORS
                || top.window() != null
                || top.atLeast() != 1
                || !(top.pred() instanceof Pred.Sequence s)
                || s.kind() != Pred.SequenceKind.SEQUENCE) {
            return null;
        }
        List<SeqItem> stream = s.stream();
        SeqItem.TimeRestriction within = null;
        if (stream.size() == 3
                && stream.get(1) instanceof SeqItem.TimeRestriction t
                && t.limit() == SeqItem.Limit.WITHIN) {
            within = t;
        } else if (stream.size() != 2) {
            return null;
        }
        if (!(stream.get(0) instanceof SeqItem.Checkpoint a)
                || !(stream.get(stream.size() - 1) instanceof SeqItem.Checkpoint b)) {
            return null;
        }
        Set<String> first = names(a.pred());
        Set<String> second = names(b.pred());
        if (first == null || second == null || first.isEmpty() || second.isEmpty()) {
            return null;
        }
        for (String n : first) {
            if (second.contains(n)) {
                return null;
            }
        }
        return new PairSequence(first, second, within);
    }

    /**
     * The names {@code p} holds for exactly, as a hit checkpoint: an event satisfies it if and only
     * if its name is one of them. Null when it tests anything else.
     */
    private static @Nullable Set<String> names(Pred p) {
        if (p instanceof Pred.Container c) {
            return c.context() == Context.HITS && c.window() == null && c.atLeast() == 1
                    ? names(c.pred())
                    : null;
        }
        if (p instanceof Pred.EventExists x) {
            return x.negated() ? null : Set.of(x.event());
        }
        if (p instanceof Pred.Compare c
                && c.val() instanceof Val.Attr a
                && a.name().equals(Attributes.VARIABLES + Attributes.NAME)) {
            if (c.op() == Op.STREQ) {
                return Set.of(c.str());
            }
            if (c.op() == Op.STREQ_IN) {
                return Set.copyOf(c.strs());
            }
            return null;
        }
        if (p instanceof Pred.Or o) {
            Set<String> out = new HashSet<>();
            for (Pred x : o.preds()) {
                Set<String> n = names(x);
                if (n == null) {
                    return null;
                }
                out.addAll(n);
            }
            return out;
        }
        return null;
    }

    /**
     * Whether appending {@code e} to the history of {@code p}, who is not a member, makes them one:
     * {@code e} is a second step and the newest first-step event is visible and within reach of it
     * (a first-step event at {@code e}'s instant arrived before it, so it precedes it). Null when a
     * name's newest time is not known (a profile stored before they were kept).
     */
    @Nullable Boolean completes(UserProfile p, Event e, long horizon) {
        if (!second.contains(e.name())) {
            return false; // a first step, or an event of neither: the last step of no match
        }
        long newest = newestFirst(p);
        if (newest == NameCounts.UNKNOWN) {
            return null;
        }
        if (newest == Long.MIN_VALUE || !HistorySegments.visibleAt(p, newest, p.now, horizon)) {
            return false; // every first-step event is older still
        }
        return within == null || SequenceGaps.within(within, newest, e.time());
    }

    /**
     * The time of the user's newest first-step event: {@link Long#MIN_VALUE} for none, {@link
     * NameCounts#UNKNOWN} when a name's is not known.
     */
    long newestFirst(UserProfile p) {
        long newest = Long.MIN_VALUE;
        for (String n : first) {
            long t = p.names.newest(n);
            if (t == NameCounts.UNKNOWN) {
                return NameCounts.UNKNOWN;
            }
            newest = Math.max(newest, t);
        }
        return newest;
    }
}
