package io.cohortflow.core.eval;

import io.cohortflow.core.event.Event;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
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

    /** The membership rows an evaluation holds back until its end (scratch: one thread). */
    private final OrdinalRows.Held held = new OrdinalRows.Held();

    public SegmentEngine(EngineConfig config) {
        this.config = config;
        this.horizon = config.horizonMillis();
        this.counters = new Counters(horizon, stats);
        this.history = new HistorySegments(horizon, stats);
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
        catchUp(p, h, catalog, changes);
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
        p.counted(e, appended);
        p.lastEventTime = Math.max(p.lastEventTime, e.time());
        boolean floorMoved = false;
        Set<CompiledSegment> due = new DueSet();
        while (p.historySize > config.historyCap()) {
            long oldest = p.historyOldest;
            EventHistory.Removal removal = h.removeUpTo(oldest);
            forget(p, removal);
            // Counters learn of the new floor in the sweep below; segments evaluated over the
            // history must be evaluated again without the events that fell off.
            for (Event gone : removal.removed()) {
                catalog.historySegmentsFor(gone, due);
            }
            p.floor = Math.max(p.floor, oldest);
            floorMoved = true;
        }
        p.now = Math.max(p.now, e.time());
        evictHistory(p, h);
        // Lapses due by now first, with the values formulas last saw: an entry that expired
        // since then must cross its thresholds before the event's own changes are counted.
        if (floorMoved || p.now >= p.nextExpiry) {
            sweep(p, catalog, due, previousNow, previousFloor);
        }
        HistorySegments.Scope scope = history.scope(p, h, e);
        if (e.time() > p.floor) {
            if (counters.onEvent(p, catalog, e, due)) {
                recomputeNextExpiry(p, catalog);
            }
            history.collectDue(p, catalog, e, appended, due, scope);
        }
        evaluate(p, due, scope, false, out);
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
        catchUp(p, h, catalog, out);
        return out;
    }

    /** Whether {@link #catchUp} has anything to do for this profile. */
    public boolean behind(UserProfile p, SegmentCatalog catalog) {
        return catalog.epoch() != 0
                && (p.definitionsEpoch < catalog.epoch()
                        || p.countersVersion != UserProfile.COUNTERS
                        || p.legacyMemberships != null);
    }

    /**
     * Evaluates segments whose definitions are new or changed, for this user, from the stored
     * history (their counters are rebuilt), and exits the user from segments no longer live.
     */
    private List<MembershipChange> definitionsChanged(
            UserProfile p, EventHistory h, SegmentCatalog catalog, Set<String> changed) {
        List<MembershipChange> out = new ArrayList<>();
        adoptLegacyRows(p, catalog, out);
        p.removeRows(
                ordinal -> catalog.segmentAt(ordinal) == null,
                (ordinal, version, member) -> {
                    String id = catalog.ordinals().idOf(ordinal);
                    if (member && id != null) {
                        out.add(
                                new MembershipChange(
                                        id, MembershipChange.Kind.EXITED, p.now, version));
                    }
                });
        HistorySegments.forgetRemoved(p, catalog);
        p.counters.removeIf(id -> catalog.counterStore(id) == null);
        if (p.now == Long.MIN_VALUE) {
            return out; // no events yet: nothing to evaluate
        }
        evictHistory(p, h);
        HistorySegments.Scope scope = history.scope(p, h);
        Set<CompiledSegment> due = new DueSet();
        Set<Long> rebuilt = new java.util.HashSet<>();
        if (changed.size() > candidatesPast) {
            // Found from the user's side: what the catalog changed costs what reaches the user.
            stats.catchUpsByCandidates++;
            counters.rebuildReached(p, catalog, changed, scope::view, rebuilt, due);
            CatchUpCandidates.addOthers(p, catalog, changed, due);
        } else {
            for (String id : changed) {
                Optional<CompiledSegment> seg = catalog.segment(id);
                if (seg.isPresent()) {
                    counters.rebuild(p, catalog, seg.get(), rebuilt, scope::view);
                    due.add(seg.get());
                }
            }
        }
        evaluate(p, due, scope, true, out);
        recomputeNextExpiry(p, catalog);
        return out;
    }

    /** Past this many changed segments a catch-up looks from the user's side. */
    static final int CANDIDATES_PAST = 64;

    private int candidatesPast = CANDIDATES_PAST;

    /** This engine with another {@link #CANDIDATES_PAST} (tests run both paths). */
    SegmentEngine candidatesPast(int n) {
        candidatesPast = n;
        return this;
    }

    /**
     * Moves the user's clock to {@code time} (a timer or watermark) and exits memberships that
     * lapsed by then.
     */
    public List<MembershipChange> advanceTo(
            UserProfile p, EventHistory h, SegmentCatalog catalog, long time) {
        List<MembershipChange> out = new ArrayList<>();
        catchUp(p, h, catalog, out);
        if (p.now == Long.MIN_VALUE || time <= p.now && p.now < p.nextExpiry) {
            return out;
        }
        long previousNow = p.now;
        p.now = Math.max(p.now, time);
        evictHistory(p, h);
        if (p.now >= p.nextExpiry) {
            Set<CompiledSegment> due = new DueSet();
            sweep(p, catalog, due, previousNow, p.floor);
            evaluate(p, due, history.scope(p, h), false, out);
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

    /**
     * See {@link #catchUp(UserProfile, EventHistory, SegmentCatalog)}. A profile whose counters an
     * older engine compiled has them rebuilt from the history and every segment evaluated, emitting
     * only what really changed.
     */
    private void catchUp(
            UserProfile p, EventHistory h, SegmentCatalog catalog, List<MembershipChange> out) {
        if (catalog.epoch() == 0) {
            // No definitions known (the job's before they are read): what this operation does
            // is counted by no segment, so every segment must evaluate the user again later.
            p.definitionsEpoch = 0;
            return;
        }
        if (!behind(p, catalog)) {
            return;
        }
        adoptLegacyRows(p, catalog, out);
        Set<String> changed;
        if (p.countersVersion != UserProfile.COUNTERS) {
            p.countersVersion = UserProfile.COUNTERS;
            changed = new LinkedHashSet<>();
            for (CompiledSegment s : catalog.segments()) {
                changed.add(s.id());
            }
        } else if (p.now == Long.MIN_VALUE) {
            changed = Set.of(); // no events yet: nothing held, nothing to evaluate
        } else {
            changed = catalog.changedSince(p.definitionsEpoch);
        }
        p.definitionsEpoch = catalog.epoch();
        out.addAll(definitionsChanged(p, h, catalog, changed));
    }

    /**
     * Moves the memberships and rechecks of a profile stored before segments had ordinals under
     * their ordinals. A membership of a segment the catalog never numbered belongs to a segment no
     * longer live: it exits, as {@link #definitionsChanged} would have made it.
     */
    private static void adoptLegacyRows(
            UserProfile p, SegmentCatalog catalog, List<MembershipChange> out) {
        if (p.legacyMemberships == null) {
            return;
        }
        p.legacyMemberships.forEach(
                (id, m) -> {
                    int ordinal = catalog.ordinals().of(id);
                    if (ordinal >= 0) {
                        p.putMembership(ordinal, m.version(), m.enteredAt(), m.exitedAt());
                    } else if (m.member()) {
                        out.add(
                                new MembershipChange(
                                        id, MembershipChange.Kind.EXITED, p.now, m.version()));
                    }
                });
        p.legacyRechecks.forEach(
                (id, at) -> {
                    int ordinal = catalog.ordinals().of(id);
                    if (ordinal >= 0) {
                        p.rechecks.set(p.rechecks.upsert(ordinal), 0, at);
                    }
                });
        p.legacyMemberships = null;
        p.legacyRechecks = null;
    }

    /** The ids of the segments the user is a member of, sorted. */
    public List<String> cohorts(UserProfile p, SegmentCatalog catalog) {
        // Answered per synchronous request: from the member bits, without building every
        // membership.
        TreeSet<String> ids = new TreeSet<>();
        for (int ordinal : p.memberOrdinals()) {
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

    // ---- internals -------------------------------------------------------------------------

    private void evictHistory(UserProfile p, EventHistory h) {
        long cutoff = p.now - horizon; // events at or before it are outside the horizon
        if (p.historySize > 0 && p.historyOldest <= cutoff) {
            forget(p, h.removeUpTo(cutoff));
        }
    }

    /** Keeps the per-name counts in step with the history. */
    private static void forget(UserProfile p, EventHistory.Removal removal) {
        p.historySize -= removal.removed().size();
        p.historyOldest = removal.oldestLeft();
        for (Event e : removal.removed()) {
            p.names.remove(e.name());
            p.visitCounts.remove(Metrics.visitKey(e));
        }
    }

    /**
     * Evicts every counter and collects the segments affected, fires due rechecks, forgets exits
     * older than the horizon, and computes the next wake-up. Formulas last read the state as of
     * {@code previousNow} and {@code previousFloor}.
     */
    private void sweep(
            UserProfile p,
            SegmentCatalog catalog,
            Set<CompiledSegment> due,
            long previousNow,
            long previousFloor) {
        stats.sweeps++;
        counters.sweep(p, catalog, due, previousNow, previousFloor);
        history.collectRechecks(p, catalog, due);
        p.dropExited(p.now, horizon);
        recomputeNextExpiry(p, catalog);
    }

    /**
     * The next instant the user must be woken: where a membership may flip (a counter's value
     * crosses a threshold some segment tests, a history-evaluated answer may change), else once
     * everything held has expired, to clear it. Entries that expire without flipping anything are
     * left in place and read as expired (see {@link Formula#holds}): a user seen once is woken for
     * the memberships that end, not for every entry of every counter.
     */
    private void recomputeNextExpiry(UserProfile p, SegmentCatalog catalog) {
        Counters.Instants c = counters.nextInstants(p, catalog);
        long next = Math.min(c.wake(), HistorySegments.nextRecheck(p));
        long cleanup = c.cleanup();
        long latestExit = p.latestExit();
        if (latestExit != Long.MIN_VALUE) {
            cleanup = Math.max(cleanup, latestExit + horizon);
        }
        p.nextExpiry = Math.min(next, cleanup == Long.MIN_VALUE ? Long.MAX_VALUE : cleanup);
    }

    /**
     * Evaluates the {@code due} segments and applies their answers. {@code definitionsChanged}: the
     * segments are ones whose definitions changed since the profile last saw them, so a member that
     * stays one takes the new version (otherwise every member is at its segment's version already:
     * the profile is brought up to the catalog before anything else is evaluated).
     */
    private void evaluate(
            UserProfile p,
            Set<CompiledSegment> due,
            HistorySegments.Scope scope,
            boolean definitionsChanged,
            List<MembershipChange> out) {
        try {
            for (CompiledSegment s : due) {
                boolean holds;
                if (s.incremental()) {
                    stats.formulasEvaluated++;
                    holds = s.formula().holds(p, horizon);
                } else {
                    holds = history.evaluate(p, s, scope);
                }
                apply(p, s, holds, definitionsChanged, out);
            }
        } finally {
            p.flushEntries(held); // each segment is applied once per loop: none reads its row
        }
    }

    private void apply(
            UserProfile p,
            CompiledSegment s,
            boolean holds,
            boolean definitionChanged,
            List<MembershipChange> out) {
        boolean was = p.isMember(s.ordinal());
        if (holds && !was) {
            p.enter(s.ordinal(), s.version(), p.now, held);
            out.add(
                    new MembershipChange(
                            s.id(), MembershipChange.Kind.ENTERED, p.now, s.version()));
        } else if (holds && definitionChanged) {
            // Still a member: only an edit that moved it to a new version is stored. Status and
            // last qualification time of members are derived from the user's now.
            p.refreshVersion(s.ordinal(), s.version());
        } else if (!holds && was) {
            // It qualified up to now, the instant it stopped.
            p.exit(s.ordinal(), s.version(), p.now);
            out.add(new MembershipChange(s.id(), MembershipChange.Kind.EXITED, p.now, s.version()));
        }
    }
}
