package io.cohortflow.core.eval;

import io.cohortflow.core.event.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The operations the job, the backfill and the synchronous API call on one user's state. Holds no
 * user state itself: the caller loads the user's {@link UserProfile} and {@link EventHistory},
 * calls one operation, and stores them back. An instance serves one thread at a time (its work
 * counters and scratch space are its own); catalogs may be shared.
 *
 * <p>Time is event time: a user's "now" is the latest event time seen or the watermark passed to
 * {@link #advanceTo}, never the wall clock, so a replay of history gives the answers the live
 * stream gave. A late event (older than the user's now) is placed in order and counts wherever it
 * is still visible; one older than the horizon, or at or before the history floor, changes nothing
 * and is reported as ignored.
 *
 * <p>Cost of one event: the counters anchored on its values (plus unanchored ones) are updated, and
 * only the segments reading a changed counter are re-evaluated; history-evaluated segments run only
 * when the event's name can affect them. Unrelated segments cost nothing.
 */
public final class SegmentEngine {

    /** The membership changes of one call, and the events that changed nothing (and why). */
    public record Outcome(List<MembershipChange> changes, List<Ignored> ignored) {}

    /** Event {@code index} of the call was ignored for {@code reason}. */
    public record Ignored(int index, String reason) {}

    /** Machine-readable reason for an event older than the horizon (or the history floor). */
    public static final String TOO_OLD = "older_than_horizon";

    private final EngineConfig config;
    private final long horizon;
    private final EngineStats stats = new EngineStats();
    private final Counters counters;
    private final HistorySegments history;
    private final Expiry expiry;
    private final Evaluation evaluation;
    private final CatchUp catchUps;

    /**
     * The segments an event makes due, emptied for each event: an engine serves one thread, and
     * nothing keeps an event's set past the event.
     */
    private final DueSet eventDue = new DueSet();

    public SegmentEngine(EngineConfig config) {
        this.config = config;
        this.horizon = config.horizonMillis();
        this.counters = new Counters(horizon, stats);
        this.history = new HistorySegments(horizon, stats);
        this.expiry = new Expiry(horizon, stats, counters);
        this.evaluation = new Evaluation(horizon, stats, history);
        this.catchUps = new CatchUp(stats, counters, history, expiry, evaluation);
    }

    /** The work this engine has done (counted, not timed). */
    public EngineStats stats() {
        return stats;
    }

    /** Whether an event's time is too far ahead of {@code wallClock} to be believed. */
    public boolean tooFarInFuture(Event e, long wallClock) {
        return e.time() > wallClock + config.maxFutureSkew().toMillis();
    }

    /** Applies a user's new events in order and returns the membership changes. */
    public Outcome onEvents(
            UserProfile p, EventHistory h, SegmentCatalog catalog, List<Event> events) {
        List<MembershipChange> changes = new ArrayList<>();
        catchUps.run(p, h, catalog, changes);
        List<Ignored> ignored = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            Event e = events.get(i);
            if (e.time() <= p.floor || (p.now != Long.MIN_VALUE && e.time() + horizon <= p.now)) {
                ignored.add(new Ignored(i, TOO_OLD));
                continue;
            }
            // Lapses due before this event happen first, at their own instants, as their timers
            // would have (an event can overtake a timer the watermark has not fired yet): an exit
            // keeps its time, and an exit followed by a re-entry is not merged into nothing.
            // Each lapse moves the user's now, and the next lapse is strictly later, so this ends.
            while (p.now != Long.MIN_VALUE && p.now < p.nextExpiry && p.nextExpiry < e.time()) {
                changes.addAll(advanceTo(p, h, catalog, p.nextExpiry));
            }
            onEvent(p, h, catalog, e, changes);
        }
        return new Outcome(changes, ignored);
    }

    private void onEvent(
            UserProfile p,
            EventHistory h,
            SegmentCatalog catalog,
            Event e,
            List<MembershipChange> out) {
        // The newest event of the history: what it can change is known at compile time (see
        // AppendRules). One at the same instant as the newest is inserted after it.
        boolean appended = e.time() >= p.now;
        long previousNow = p.now;
        long previousFloor = p.floor;
        h.insert(e, p.insertions++);
        p.historySize++;
        p.historyOldest = Math.min(p.historyOldest, e.time());
        p.visits.counted(e, appended);
        p.lastEventTime = Math.max(p.lastEventTime, e.time());
        boolean floorMoved = false;
        DueSet due = eventDue;
        due.clear();
        while (p.historySize > config.historyCap()) {
            long oldest = p.historyOldest;
            EventHistory.Removal removal = h.removeUpTo(oldest);
            Expiry.forget(p, removal);
            // Counters learn of the new floor in the sweep below; segments evaluated over the
            // history must be evaluated again without the events that fell off.
            for (Event gone : removal.removed()) {
                catalog.historySegmentsFor(gone, due);
            }
            p.floor = Math.max(p.floor, oldest);
            floorMoved = true;
        }
        p.now = Math.max(p.now, e.time());
        expiry.evictHistory(p, h);
        // Lapses due by now first, with the values formulas last saw: an entry that expired
        // since then must cross its thresholds before the event's own changes are counted.
        if (floorMoved || p.now >= p.nextExpiry) {
            expiry.sweep(p, catalog, due, previousNow, previousFloor);
        }
        HistorySegments.Scope scope = history.scope(p, h, e);
        if (e.time() > p.floor) {
            if (counters.onEvent(p, catalog, e, due)) {
                expiry.recomputeNextExpiry(p, catalog);
            }
            history.collectDue(p, catalog, e, appended, due, scope);
        }
        evaluation.evaluate(p, due, scope, false, out);
    }

    /**
     * Brings the user up to the catalog's epoch (see {@link SegmentCatalog}) and returns what that
     * changed: the segments changed since the profile's epoch are evaluated from the stored
     * history, memberships of segments no longer live exit. Every operation does this first; the
     * job's sweep calls it alone, for users with no events or lapses of their own. Nothing is done
     * against a catalog at epoch 0 (the job's before its definitions are read): that would end
     * every membership.
     */
    public List<MembershipChange> catchUp(UserProfile p, EventHistory h, SegmentCatalog catalog) {
        List<MembershipChange> out = new ArrayList<>();
        catchUps.run(p, h, catalog, out);
        return out;
    }

    /** Whether {@link #catchUp} has anything to do for this profile. */
    public boolean behind(UserProfile p, SegmentCatalog catalog) {
        return CatchUp.behind(p, catalog);
    }

    /** This engine with another {@link CatchUp#CANDIDATES_PAST} (tests run both paths). */
    SegmentEngine candidatesPast(int n) {
        catchUps.candidatesPast(n);
        return this;
    }

    /**
     * Moves the user's clock to {@code time} (a timer or watermark) and exits memberships that
     * lapsed by then.
     */
    public List<MembershipChange> advanceTo(
            UserProfile p, EventHistory h, SegmentCatalog catalog, long time) {
        List<MembershipChange> out = new ArrayList<>();
        catchUps.run(p, h, catalog, out);
        if (p.now == Long.MIN_VALUE || time <= p.now && p.now < p.nextExpiry) {
            return out;
        }
        long previousNow = p.now;
        p.now = Math.max(p.now, time);
        expiry.evictHistory(p, h);
        if (p.now >= p.nextExpiry) {
            DueSet due = new DueSet();
            expiry.sweep(p, catalog, due, previousNow, p.floor);
            evaluation.evaluate(p, due, history.scope(p, h), false, out);
        }
        return out;
    }

    /**
     * Applies the user's lapses in {@code (after, through]}, each at its own instant, as timers
     * firing at each would: the user's clock moves from lapse to lapse, not to {@code through}
     * itself (a user's clock moves with their events and lapses only). What the job does when it
     * visits a user at a watermark, and what a preview does up to its instant.
     */
    public List<MembershipChange> lapsesThrough(
            UserProfile p, EventHistory h, SegmentCatalog catalog, long after, long through) {
        List<MembershipChange> changes = new ArrayList<>();
        long done = after;
        long next;
        while ((next = p.nextExpiry()) <= through && next > done) {
            changes.addAll(advanceTo(p, h, catalog, next));
            done = next;
        }
        return changes;
    }

    /** The ids of the segments the user is a member of, sorted. */
    public List<String> cohorts(UserProfile p, SegmentCatalog catalog) {
        // Answered per synchronous request: from the member bits, without building every
        // membership.
        TreeSet<String> ids = new TreeSet<>();
        for (int ordinal : p.memberships.memberOrdinals()) {
            String id = catalog.ordinals().idOf(ordinal);
            if (id != null) {
                ids.add(id);
            }
        }
        if (p.legacyMemberships != null) {
            p.legacyMemberships.forEach(
                    (id, m) -> {
                        if (m.member()) {
                            ids.add(id);
                        }
                    });
        }
        return List.copyOf(ids);
    }

    /**
     * Why the user is or is not in a segment: every predicate's truth and the aggregates behind it,
     * evaluated over the stored history at the user's now.
     */
    public Optional<Explanation> explain(
            UserProfile p, EventHistory h, SegmentCatalog catalog, String segmentId) {
        return catalog.segment(segmentId).map(s -> explainAt(p, h, s, p.now));
    }

    /**
     * Why segment {@code s} holds or not at {@code at} (or at the user's now when that is later):
     * the explanation of {@link #holdsAt}, whose answer is its root's. Reads the profile and
     * history and changes neither.
     */
    public Explanation explainAt(UserProfile p, EventHistory h, CompiledSegment s, long at) {
        long now = Math.max(p.now, at);
        List<Event> visible = p.now == Long.MIN_VALUE ? List.of() : history.visible(p, h, now);
        return new Explainer(new ReferenceEvaluator(now))
                .explain(s.definition().container(), visible);
    }

    /**
     * The answer of the reference evaluator over the whole visible history: what every other path
     * must agree with. For tests and for the synchronous preview of drafts.
     */
    public boolean holdsFromScratch(UserProfile p, EventHistory h, CompiledSegment s) {
        if (p.now == Long.MIN_VALUE) {
            return false;
        }
        return new ReferenceEvaluator(p.now)
                .holds(s.definition().container(), history.visible(p, h));
    }

    /**
     * Whether segment {@code s} holds for the user at {@code at}, or at their now when that is
     * later, by the reference evaluator over their visible history: what the user's membership
     * would be had the segment been live all along and the user's lapses applied up to {@code at}
     * (a job evaluates a new segment so, see {@link #catchUp}). Reads the profile and history and
     * changes neither: a draft's estimate and preview use it.
     */
    public boolean holdsAt(UserProfile p, EventHistory h, CompiledSegment s, long at) {
        if (p.now == Long.MIN_VALUE) {
            return false;
        }
        long now = Math.max(p.now, at);
        return new ReferenceEvaluator(now)
                .holds(s.definition().container(), history.visible(p, h, now));
    }
}
