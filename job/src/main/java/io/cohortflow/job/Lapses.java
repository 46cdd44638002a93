package io.cohortflow.job;

import io.cohortflow.core.eval.MembershipChange;
import io.cohortflow.core.eval.ProfileHistory;
import io.cohortflow.core.eval.SegmentCatalog;
import io.cohortflow.core.eval.SegmentEngine;
import io.cohortflow.core.eval.UserProfile;
import io.cohortflow.job.state.MapStateHistory;
import java.util.List;
import org.apache.flink.streaming.api.TimerService;

/**
 * A user's lapses in the job: applied when due, each at its own instant, and one event-time timer
 * for the next. Only the earliest lapse needs a timer, as each lapse computes the next, so a
 * superseded timer is deleted rather than left to wake the user for nothing.
 */
final class Lapses {
    private final SegmentEngine engine;

    /**
     * The users' history state (what of it is not in their profiles, see {@link ProfileHistory}).
     */
    private final MapStateHistory history;

    /** The end of a backfill's input ({@link Long#MAX_VALUE} for the streaming job). */
    private final long asOf;

    /**
     * The latest instant a lapse is applied at here: a backfill leaves the lapses at its end, like
     * the events there, to the streaming job it bootstraps. A streaming job applies the events at
     * an instant before the lapses at it (a timer fires once the watermark reaches its instant,
     * after every event at it), so a lapse applied by the backfill would exit a member whom an
     * event at that very instant keeps in, and the bootstrapped job would enter them again.
     */
    private final long lastLapse;

    Lapses(SegmentEngine engine, MapStateHistory history, long asOf) {
        this.engine = engine;
        this.history = history;
        this.asOf = asOf;
        this.lastLapse = asOf == Long.MAX_VALUE ? Long.MAX_VALUE : asOf - 1;
    }

    /**
     * Applies the user's lapses in {@code (after, through]}, each at its own instant, as their
     * timers would have. Called with the watermark when a user is visited (a late event, a sweep):
     * a timer registered at or before the current watermark fires only when the watermark next
     * moves, which it never does while the events are idle. A backfill calls it with its end, as
     * batch mode ignores the timers registered while a key's timers fire.
     */
    List<MembershipChange> apply(UserProfile p, SegmentCatalog catalog, long after, long through) {
        return engine.lapsesThrough(
                p,
                ProfileHistory.of(p, history, history),
                catalog,
                after,
                Math.min(through, lastLapse));
    }

    /**
     * Whether the user's next wake-up (their next lapse, or their state's {@code expiry}) is
     * earlier than the timer their profile records, or they have none: their timer fired while the
     * definitions were being read, and was deferred; or it was registered under a longer user TTL
     * than the job runs with now (the setting was changed between runs). {@link #register} then
     * registers it.
     */
    boolean earlier(UserProfile p, long expiry) {
        long next = Math.min(p.nextExpiry(), expiry);
        return next != Long.MAX_VALUE && next <= lastLapse && next < p.scheduledWakeUp();
    }

    /**
     * After the lapse at {@code failedAt} failed (the user keeps their state as it was): its timer
     * is spent, and not registered again, as it would fail again at every watermark; the user's
     * next event (which registers their next wake-up) or a sweep tries it again. Their state's
     * {@code expiry} gets the timer instead, so that a user who never comes back still goes.
     */
    void failed(UserProfile p, TimerService timers, long failedAt, long expiry) {
        if (p.scheduledWakeUp() == failedAt) {
            p.scheduledWakeUp(Long.MAX_VALUE);
        }
        long scheduled = p.scheduledWakeUp();
        if (expiry > failedAt && expiry <= lastLapse && expiry < scheduled) {
            if (scheduled != Long.MAX_VALUE && scheduled != asOf) {
                timers.deleteEventTimeTimer(scheduled);
            }
            timers.registerEventTimeTimer(expiry);
            p.scheduledWakeUp(expiry);
        }
    }

    /**
     * Registers the user's next lapse instant once (the profile remembers what is registered), and
     * deletes the timer it supersedes. A backfill leaves lapses from its end on to the streaming
     * job it bootstraps (its savepoint holds each user's next lapse as a timer: StateWriter),
     * rather than firing them all as its input ends.
     *
     * @param expiry when the user's state expires for want of new events ({@link Long#MAX_VALUE}:
     *     never), woken for like a lapse
     */
    void register(UserProfile p, TimerService timers, long expiry) {
        if (!earlier(p, expiry)) {
            return;
        }
        long next = Math.min(p.nextExpiry(), expiry);
        long scheduled = p.scheduledWakeUp();
        if (scheduled != Long.MAX_VALUE && scheduled != asOf) {
            timers.deleteEventTimeTimer(scheduled); // not the backfill's end-of-input timer
        }
        timers.registerEventTimeTimer(next);
        p.scheduledWakeUp(next);
    }
}
