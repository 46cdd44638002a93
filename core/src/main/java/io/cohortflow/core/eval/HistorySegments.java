package io.cohortflow.core.eval;

import io.cohortflow.core.event.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The segments evaluated over a user's stored events (sequences, visit containers): which of them
 * an event can change, evaluation over the fewest events that decide the answer, and the instants
 * (rechecks, kept by {@link HistoryRechecks}) at which an answer can change without an event, as
 * events leave a window or the horizon.
 */
final class HistorySegments {
    private final long horizon;
    private final EngineStats stats;
    private final DueSet localScratch = new DueSet();

    HistorySegments(long horizon, EngineStats stats) {
        this.horizon = horizon;
        this.stats = stats;
    }

    /**
     * What one operation on one user reads of the history: read once, and only if some segment
     * needs it.
     */
    final class Scope {
        private final UserProfile p;
        private final EventHistory h;
        @Nullable private List<Event> view;
        @Nullable private ReferenceEvaluator ref;

        /** The event this operation stored, if any. */
        @Nullable private Event stored;

        /** Whether {@link #stored} was appended, the newest of the history (see collectDue). */
        private boolean appended;

        /** The event's visit ({@link Metrics#visitKey}), once the gates asked for it. */
        @Nullable private String visitKey;

        /** That visit's visible events, read when needed, and the segments evaluated over them. */
        @Nullable private List<Event> visit;

        /**
         * The visit containers answered from the event's visit alone (see collectDue): the engine's
         * one set, emptied for each scope, as an operation's scope is the only one in use (an
         * engine serves one thread). A set per event grew its bits to the highest ordinal.
         */
        private final DueSet local;

        private Scope(UserProfile p, EventHistory h) {
            this.p = p;
            this.h = h;
            this.local = localScratch;
            local.clear();
        }

        /** The events still visible at the user's now, oldest first. */
        List<Event> view() {
            if (view == null) {
                if (stored != null && p.historySize == 1 && p.historyOldest == stored.time()) {
                    // The event just stored is the only one (a user's first, say): nothing to
                    // read. (Had the cap or the horizon taken it, the one left would be older.)
                    List<Event> all = List.of(stored);
                    recountVisits(all);
                    view = visible(p, stored) ? all : List.of();
                } else {
                    stats.historyReads++;
                    List<Event> all = h.events();
                    recountVisits(all);
                    view = visible(p, all, p.now);
                    // The newest time per name of a profile stored before they were kept
                    // (see NameCounts), learnt here, where the history is read anyway.
                    p.names.learnNewest(view);
                }
            }
            return view;
        }

        /** Counts the visits of {@code all}, the stored events, when the profile does not. */
        private void recountVisits(List<Event> all) {
            if (!p.visits.counts.kept()) {
                p.visits.counts.recount(all); // where the history is in hand anyway
            }
        }

        /** The visible events of the event's visit, oldest first. */
        private List<Event> visit() {
            if (visit == null) {
                visit = fromRun();
            }
            if (visit == null) {
                visit = VisitEvents.of(view(), Objects.requireNonNull(visitKey));
            }
            return visit;
        }

        /** The marked visit's events from the newest held in memory (see {@link VisitEvents}). */
        private @Nullable List<Event> fromRun() {
            List<Event> events =
                    VisitEvents.fromRun(p, h, Objects.requireNonNull(visitKey), horizon);
            if (events != null) {
                stats.visitsFromRun++;
            }
            return events;
        }

        private ReferenceEvaluator ref() {
            if (ref == null) {
                ref = ReferenceEvaluator.forOneEvaluation(p.now);
            }
            return ref;
        }
    }

    Scope scope(UserProfile p, EventHistory h) {
        return new Scope(p, h);
    }

    /** The scope of an operation that stored {@code stored}. */
    Scope scope(UserProfile p, EventHistory h, Event stored) {
        Scope s = new Scope(p, h);
        s.stored = stored;
        return s;
    }

    /**
     * The events of {@code h} still visible at the user's now (after the floor, in the horizon).
     */
    List<Event> visible(UserProfile p, EventHistory h) {
        return visible(p, h, p.now);
    }

    /**
     * The stored events still visible at {@code now} (no earlier than the user's now): those after
     * the floor and inside the horizon, a suffix of the history as it is in time order. A view,
     * valid until the history next changes (an operation reads it after its last change).
     */
    List<Event> visible(UserProfile p, EventHistory h, long now) {
        return visible(p, h.events(), now);
    }

    /** The visible suffix of {@code all}, the stored events in time order. */
    private List<Event> visible(UserProfile p, List<Event> all, long now) {
        int from = 0;
        // The engine evicts what the horizon and the cap take, so the invisible prefix is
        // usually empty; it is short otherwise.
        while (from < all.size() && !visibleAt(p, all.get(from).time(), now)) {
            from++;
        }
        return from == 0 ? all : all.subList(from, all.size());
    }

    private boolean visibleAt(UserProfile p, long time, long now) {
        return visibleAt(p, time, now, horizon);
    }

    /**
     * Whether a stored event at {@code time} is visible at {@code now}: after the floor, inside the
     * horizon.
     */
    static boolean visibleAt(UserProfile p, long time, long now, long horizon) {
        return time > p.floor && now < time + horizon;
    }

    private boolean visible(UserProfile p, Event e) {
        return visibleAt(p, e.time(), p.now);
    }

    /**
     * Adds to {@code due} the history-evaluated segments event {@code e} may change, those not
     * already due. An {@code appended} event (the newest of the history, none dropped, no recheck
     * due: such segments are due already) skips what the compiler proved it cannot change (see
     * {@link AppendRules}), and a visit container changes only if the event's visit holds one of
     * the names a satisfying visit needs.
     */
    void collectDue(
            UserProfile p,
            SegmentCatalog catalog,
            Event e,
            boolean appended,
            Set<CompiledSegment> due,
            Scope scope) {
        scope.appended = appended;
        collectUngated(p, catalog.ungatedAnyEvent(), e, appended, due);
        collectUngated(p, catalog.ungatedFor(e), e, appended, due);
        if (!catalog.mayChangeGated(e)) {
            return;
        }
        // Visit containers are indexed by the names of their gates: probed with the names of the
        // event's visit, only those whose gate the visit holds are candidates. The names are
        // those the profile marks; the history is read for them only when the event's visit is
        // another than the one marked (see NameCounts).
        scope.visitKey = Metrics.visitKey(e);
        if (!p.visits.inMarked(e)) {
            if (p.visits.counts.startsVisit(scope.visitKey) && visible(p, e)) {
                // The event starts its visit: no other stored event is of it.
                stats.visitsStarted++;
                scope.visit = List.of(e);
                p.visits.mark(scope.visitKey, scope.visit, appended);
            } else {
                stats.visitsMarked++;
                List<Event> visit = scope.visit();
                p.visits.mark(scope.visitKey, visit, VisitEvents.isTail(visit, scope.view()));
            }
        }
        MembershipRows memberships = p.memberships;
        for (int i = 0; i < p.names.size(); i++) {
            if (!p.names.marked(i)) {
                continue;
            }
            List<CompiledSegment> gated = catalog.gatedBy(p.names.name(i));
            for (int k = 0; k < gated.size(); k++) {
                CompiledSegment s = gated.get(k);
                if (due.contains(s)
                        || (s.relevantNames() != null && !s.relevantNames().contains(e.name()))) {
                    continue;
                }
                if (appended && unchangedByAppending(memberships, s, e)) {
                    stats.historySkips++;
                    continue;
                }
                due.add(s);
                if (appended && s.visitLocal() && !memberships.isMember(s.ordinal())) {
                    // The event changed its own visit only, and no other visit satisfied the
                    // container: the answer is that visit's.
                    scope.local.add(s);
                }
            }
        }
    }

    private void collectUngated(
            UserProfile p,
            List<CompiledSegment> candidates,
            Event e,
            boolean appended,
            Set<CompiledSegment> due) {
        MembershipRows memberships = p.memberships;
        // By index: an iterator per list per event was a tenth of the engine's garbage.
        for (int i = 0; i < candidates.size(); i++) {
            CompiledSegment s = candidates.get(i);
            if (due.contains(s)) {
                continue;
            }
            if (appended && unchangedByAppending(memberships, s, e)) {
                stats.historySkips++;
                continue;
            }
            due.add(s);
        }
    }

    /**
     * A member of a monotone definition stays one, and a non-member can enter only through an event
     * with a completing name.
     */
    private static boolean unchangedByAppending(
            MembershipRows memberships, CompiledSegment s, Event e) {
        if (memberships.isMember(s.ordinal())) {
            return s.appendMonotone();
        }
        return s.completingNames() != null && !s.completingNames().contains(e.name());
    }

    /** Evaluates {@code s} at the user's now and schedules its next recheck. */
    boolean evaluate(UserProfile p, CompiledSegment s, Scope scope) {
        if (!RequiredNames.held(p, s.requiredNames())) {
            // No, without reading the history; and time alone cannot make it yes (it only takes
            // events away), so no recheck: only an event can, which the rules above make due.
            stats.historySkips++;
            HistoryRechecks.store(p, s, Long.MAX_VALUE);
            return false;
        }
        if (s.pair() != null && scope.appended && !p.memberships.isMember(s.ordinal())) {
            Boolean completes = s.pair().completes(p, scope.stored, horizon);
            if (completes != null) {
                stats.pairAnswers++;
                // A match lasts until its first step leaves the horizon, the newest first step
                // the last to; a non-member stays one until an event.
                HistoryRechecks.store(
                        p, s, completes ? s.pair().newestFirst(p) + horizon : Long.MAX_VALUE);
                return completes;
            }
        }
        List<Event> events;
        boolean holds;
        if (scope.local.contains(s)) {
            List<Event> visit =
                    s.relevantNames() == null
                            ? scope.visit()
                            : named(scope.visit(), s.relevantNames());
            if (visit.size() < s.visitMinHits()) {
                // Too short for the predicate (a window would only take events away).
                stats.historySkips++;
                holds = false;
            } else {
                stats.visitEvaluations++;
                holds = scope.ref().holds(s.definition().container(), visit);
            }
            long next;
            if (s.appendMonotone()) {
                // Events leaving only take hits away from a visit: no visit starts to satisfy the
                // container, so a non-member stays one until an event, and a member through this
                // visit (no other satisfied it) stays one until one of its events leaves.
                next = holds ? HistoryRechecks.next(p, s, visit, null, horizon) : Long.MAX_VALUE;
            } else {
                // The recheck from every event the segment reads: events its visit gate skipped
                // were never counted in (their expiry matters once their visit holds the names it
                // needs). A scan for the oldest visible, not an evaluation.
                next = HistoryRechecks.next(p, s, scope.view(), s.relevantNames(), horizon);
            }
            HistoryRechecks.store(p, s, next);
            return holds;
        } else {
            stats.historyEvaluations++;
            // The answer depends only on the events the segment is relevant to (see
            // RelevantNames.of), so the others need not even be looked at; when the
            // history holds none of them, it need not be read at all.
            if (s.relevantNames() != null && !holdsAny(p, s.relevantNames())) {
                events = List.of();
            } else {
                events =
                        s.relevantNames() == null
                                ? scope.view()
                                : named(scope.view(), s.relevantNames());
            }
            holds = scope.ref().holds(s.definition().container(), events);
        }
        HistoryRechecks.store(p, s, HistoryRechecks.next(p, s, events, null, horizon));
        return holds;
    }

    /** Whether the user's history holds an event of one of {@code names} (a handful). */
    private static boolean holdsAny(UserProfile p, Set<String> names) {
        for (String n : names) {
            if (p.names.contains(n)) {
                return true;
            }
        }
        return false;
    }

    private static List<Event> named(List<Event> events, Set<String> names) {
        List<Event> out = new ArrayList<>();
        for (Event e : events) {
            if (names.contains(e.name())) {
                out.add(e);
            }
        }
        return out;
    }
}
