package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Window;
import io.cohortflow.core.event.Event;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import javax.annotation.Nullable;

/**
 * The operations the job, the backfill and the synchronous API call on one user's state. Stateless
 * itself: the caller loads the user's {@link UserProfile} and {@link EventHistory}, calls one
 * operation, and stores them back.
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

    public SegmentEngine(EngineConfig config) {
        this.config = config;
        this.horizon = config.horizonMillis();
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
        p.names.merge(e.name(), 1, Integer::sum);
        p.lastEventTime = Math.max(p.lastEventTime, e.time());
        boolean floorMoved = false;
        Set<CompiledSegment> due = new LinkedHashSet<>();
        // History-evaluated segments this event may change (others come from dropped events and
        // lapses, and are always evaluated).
        List<CompiledSegment> byEvent = new ArrayList<>();
        Set<String> visitNames = new java.util.HashSet<>();
        List<Event> visit = List.of();
        Set<CompiledSegment> local = null;
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

        boolean recompute = false;
        if (e.time() > p.floor) {
            List<CounterStore> stores = new ArrayList<>();
            catalog.countersFor(e, stores);
            for (CounterStore store : stores) {
                // Unanchored counters are candidates for every event: test before allocating.
                stats.countersTested++;
                if (!store.hits().test(e)) {
                    continue;
                }
                CounterState s = p.counters.get(store.id());
                boolean fresh = s == null;
                if (fresh) {
                    s = new CounterState();
                }
                // Each reader's value as formulas read it (entries past their expiry may not have
                // been evicted yet), and the earliest wake-up of its readers.
                List<CounterSpec> views = store.views();
                double[] before = new double[views.size()];
                long wakeBefore = Long.MAX_VALUE;
                for (int i = 0; i < before.length; i++) {
                    CounterSpec v = views.get(i);
                    int visible = s.firstVisible(v, p.now, p.floor, horizon);
                    before[i] = s.valueFrom(v.kind(), visible);
                    // Only needed when it may be the user's wake-up: it is never before the
                    // first visible entry's expiry.
                    if (!fresh
                            && visible < s.size()
                            && s.expiryOf(visible, v, horizon) <= p.nextExpiry) {
                        wakeBefore = Math.min(wakeBefore, wakeFor(p, catalog, v, s));
                    }
                }
                if (!store.add(e, s)) {
                    continue;
                }
                stats.countersUpdated++;
                s.evict(store, p.now, p.floor, horizon);
                if (fresh && s.size() > 0) {
                    p.counters.put(store.id(), s);
                } else if (!fresh && s.size() == 0) {
                    p.counters.remove(store.id());
                }
                long wakeAfter = Long.MAX_VALUE;
                for (int i = 0; i < before.length; i++) {
                    CounterSpec v = views.get(i);
                    wakeAfter = Math.min(wakeAfter, wakeFor(p, catalog, v, s));
                    // Formulas read counter values only, and a test's outcome changes only where
                    // the value reaches one of its pivots: segments whose thresholds the value
                    // did not cross (or a count at its retention limit that kept its value) are
                    // not due.
                    double after =
                            s.valueFrom(v.kind(), s.firstVisible(v, p.now, p.floor, horizon));
                    catalog.segmentsCrossing(v.id(), before[i], after, due);
                }
                // The user's wake-up is the earliest of all counters': when it was this counter's
                // and moved later (a count at its retention limit, a new maximum), find the next.
                recompute |= wakeBefore == p.nextExpiry && wakeAfter > wakeBefore;
                p.nextExpiry = Math.min(p.nextExpiry, wakeAfter);
            }
            catalog.historySegmentsFor(e, byEvent);
        }
        if (recompute) {
            recomputeNextExpiry(p, catalog);
        }
        List<Event> view = null;
        for (CompiledSegment s : byEvent) {
            if (due.contains(s)) {
                continue;
            }
            if (appended && unchangedByAppending(p, s, e)) {
                stats.historySkips++;
                continue;
            }
            if (s.visitGate() == null) {
                due.add(s);
                continue;
            }
            // Due only because of this event: a visit container changes only if the event's visit
            // holds one of the names a satisfying visit needs.
            if (view == null) {
                view = visible(p, h);
                visit = ofVisit(view, Metrics.visitKey(e));
                for (Event x : visit) {
                    visitNames.add(x.name());
                }
            }
            if (java.util.Collections.disjoint(s.visitGate(), visitNames)) {
                stats.historySkips++;
                continue;
            }
            due.add(s);
            if (appended && s.visitLocal() && !p.isMember(s.ordinal())) {
                // The event changed its own visit only, and no other visit satisfied the
                // container: the answer is that visit's.
                if (local == null) {
                    local = new java.util.HashSet<>();
                }
                local.add(s);
            }
        }
        evaluate(p, h, due, view, local == null ? null : new Narrowed(local, visit), out);
    }

    /**
     * History-evaluated segments that an appended event can change only through its own visit:
     * evaluated over that visit alone.
     */
    private record Narrowed(Set<CompiledSegment> segments, List<Event> visit) {}

    /**
     * Whether an event appended to the history (none dropped, no recheck due: such segments are due
     * already) leaves a history-evaluated segment's answer as it was: a member of a monotone
     * definition stays one, and a non-member can enter only through an event with a completing
     * name.
     */
    private static boolean unchangedByAppending(UserProfile p, CompiledSegment s, Event e) {
        if (p.isMember(s.ordinal())) {
            return s.appendMonotone();
        }
        return s.completingNames() != null && !s.completingNames().contains(e.name());
    }

    private static List<Event> ofVisit(List<Event> view, String visit) {
        List<Event> out = new ArrayList<>();
        for (Event x : view) {
            if (Metrics.visitKey(x).equals(visit)) {
                out.add(x);
            }
        }
        return out;
    }

    /**
     * Evaluates segments whose definitions are new or changed, for this user, from the stored
     * history (their counters are rebuilt), and exits the user from segments no longer live.
     */
    public List<MembershipChange> onDefinitionsChanged(
            UserProfile p, EventHistory h, SegmentCatalog catalog, Set<String> changed) {
        List<MembershipChange> out = new ArrayList<>();
        adoptLegacyRows(p, catalog, out);
        p.removeMemberships(
                row -> {
                    int ordinal = p.memberships.ordinal(row);
                    if (catalog.segmentAt(ordinal) != null) {
                        return false;
                    }
                    String id = catalog.ordinals().idOf(ordinal);
                    if (p.member(row) && id != null) {
                        out.add(
                                new MembershipChange(
                                        id,
                                        MembershipChange.Kind.EXITED,
                                        p.now,
                                        p.memberships.get(row, UserProfile.VERSION)));
                    }
                    return true;
                });
        p.rechecks.removeIf(row -> catalog.segmentAt(p.rechecks.ordinal(row)) == null);
        p.counters.keySet().removeIf(id -> catalog.counterStore(id) == null);
        if (p.now == Long.MIN_VALUE) {
            return out; // no events yet: nothing to evaluate
        }
        evictHistory(p, h);
        List<Event> view = null;
        Set<CompiledSegment> due = new LinkedHashSet<>();
        Set<Long> rebuilt = new java.util.HashSet<>();
        for (String id : changed) {
            Optional<CompiledSegment> seg = catalog.segment(id);
            if (seg.isEmpty()) {
                continue;
            }
            for (CounterSpec spec : seg.get().counters()) {
                // The whole store: a new reader may read a longer window or more entries than
                // the store kept for the others.
                CounterStore store = catalog.counterStore(spec.store());
                if (!rebuilt.add(store.id()) || buildWithoutHistory(p, store)) {
                    continue;
                }
                if (view == null) {
                    view = visible(p, h);
                }
                CounterState s = new CounterState();
                for (Event e : view) {
                    store.contribute(e, s);
                }
                s.evict(store, p.now, p.floor, horizon);
                if (s.size() > 0) {
                    p.counters.put(store.id(), s);
                } else {
                    p.counters.remove(store.id());
                }
            }
            due.add(seg.get());
        }
        evaluate(p, h, due, out);
        recomputeNextExpiry(p, catalog);
        return out;
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
            Set<CompiledSegment> due = new LinkedHashSet<>();
            sweep(p, catalog, due, previousNow, p.floor);
            evaluate(p, h, due, out);
        }
        return out;
    }

    /**
     * Rebuilds the counters of a profile compiled by an older engine from the user's history and
     * evaluates every segment, emitting only what really changed. Not against an empty catalog (the
     * job's before its definitions are read): that would end every membership.
     */
    private void catchUp(
            UserProfile p, EventHistory h, SegmentCatalog catalog, List<MembershipChange> out) {
        if (catalog.size() == 0) {
            return;
        }
        adoptLegacyRows(p, catalog, out);
        if (p.countersVersion == UserProfile.COUNTERS) {
            return;
        }
        p.countersVersion = UserProfile.COUNTERS;
        Set<String> all = new LinkedHashSet<>();
        catalog.segments().forEach(s -> all.add(s.id()));
        out.addAll(onDefinitionsChanged(p, h, catalog, all));
    }

    /**
     * Moves the memberships and rechecks of a profile stored before segments had ordinals under
     * their ordinals. A membership of a segment the catalog never numbered belongs to a segment no
     * longer live: it exits, as {@link #onDefinitionsChanged} would have made it.
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
        TreeSet<String> ids = new TreeSet<>();
        p.memberships(catalog)
                .forEach(
                        (id, m) -> {
                            if (m.member()) {
                                ids.add(id);
                            }
                        });
        return List.copyOf(ids);
    }

    /**
     * Why the user is or is not in a segment: every predicate's truth and the aggregates behind it,
     * evaluated over the stored history at the user's now.
     */
    public Optional<Explanation> explain(
            UserProfile p, EventHistory h, SegmentCatalog catalog, String segmentId) {
        return catalog.segment(segmentId)
                .map(
                        s ->
                                new Explainer(new ReferenceEvaluator(p.now))
                                        .explain(s.definition().container(), visible(p, h)));
    }

    /**
     * The answer of the reference evaluator over the whole visible history: what every other path
     * must agree with. For tests and for the synchronous preview of drafts.
     */
    public boolean holdsFromScratch(UserProfile p, EventHistory h, CompiledSegment s) {
        if (p.now == Long.MIN_VALUE) {
            return false;
        }
        return new ReferenceEvaluator(p.now).holds(s.definition().container(), visible(p, h));
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
            p.names.computeIfPresent(e.name(), (n, c) -> c == 1 ? null : c - 1);
        }
    }

    /**
     * Builds a counter without reading the history when that is exact: a counter anchored on event
     * names the history does not hold is empty, and a "latest event" counter (any event, newest
     * entry only) holds just the latest event inserted. Returns false when the history is needed.
     */
    private boolean buildWithoutHistory(UserProfile p, CounterStore spec) {
        Anchor.Equals a =
                spec.anchors().size() != 1
                        ? null
                        : spec.anchors().get(0) instanceof Anchor.EqualsBoth b
                                ? b.first()
                                : spec.anchors().get(0) instanceof Anchor.Equals e ? e : null;
        if (a != null && a.path().equals(io.cohortflow.core.definition.Attributes.NAME)) {
            for (String v : a.values()) {
                if (p.names.containsKey(v)) {
                    return false;
                }
            }
            p.counters.remove(spec.id());
            return true;
        }
        if (spec.kind() == CounterSpec.Kind.COUNT
                && spec.retain() == 1
                && spec.views().get(0).key().endsWith("|*")) {
            if (p.names.isEmpty()) {
                p.counters.remove(spec.id());
                return true;
            }
            CounterState s = new CounterState();
            s.add(p.lastEventTime, 1, null, 1);
            s.evict(spec, p.now, p.floor, horizon);
            if (s.size() > 0) {
                p.counters.put(spec.id(), s);
            } else {
                p.counters.remove(spec.id());
            }
            return true;
        }
        return false;
    }

    private List<Event> visible(UserProfile p, EventHistory h) {
        List<Event> all = h.events();
        List<Event> out = new ArrayList<>(all.size());
        for (Event e : all) {
            if (e.time() > p.floor && p.now < e.time() + horizon) {
                out.add(e);
            }
        }
        return out;
    }

    /**
     * Evicts every counter, collects the segments affected, and fires due rechecks. Formulas last
     * read the counters as of {@code previousNow} and {@code previousFloor} (every flip before then
     * woke the user at its instant): each reader's value since then spans the range from that value
     * to the value now, entries leaving oldest first.
     */
    private void sweep(
            UserProfile p,
            SegmentCatalog catalog,
            Set<CompiledSegment> due,
            long previousNow,
            long previousFloor) {
        stats.sweeps++;
        Iterator<Map.Entry<Long, CounterState>> it = p.counters.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Long, CounterState> c = it.next();
            CounterStore store = catalog.counterStore(c.getKey());
            if (store == null) {
                it.remove(); // its definitions are gone
                continue;
            }
            CounterState s = c.getValue();
            for (CounterSpec v : store.views()) {
                int was = s.firstVisible(v, previousNow, previousFloor, horizon);
                int is = s.firstVisible(v, p.now, p.floor, horizon);
                if (is == was) {
                    continue;
                }
                double before = s.valueFrom(v.kind(), was);
                if (v.kind() == CounterSpec.Kind.SUM) {
                    // A sum may rise and fall on the way: its range is taken over every step.
                    double x = before;
                    double lo = before;
                    double hi = before;
                    for (int j = was; j < is; j++) {
                        x -= s.value(j);
                        lo = Math.min(lo, x);
                        hi = Math.max(hi, x);
                    }
                    catalog.segmentsCrossing(v.id(), lo, hi, due);
                } else {
                    // The other kinds only fall (MIN: rise): the two ends span the range.
                    catalog.segmentsCrossing(v.id(), before, s.valueFrom(v.kind(), is), due);
                }
            }
            if (s.evict(store, p.now, p.floor, horizon) && s.size() == 0) {
                it.remove();
            }
        }
        p.rechecks.removeIf(
                row -> {
                    if (p.rechecks.get(row, 0) > p.now) {
                        return false;
                    }
                    CompiledSegment s = catalog.segmentAt(p.rechecks.ordinal(row));
                    if (s != null) {
                        due.add(s);
                    }
                    return true;
                });
        p.removeMemberships(
                row ->
                        !p.member(row)
                                && p.memberships.get(row, UserProfile.EXITED) + horizon <= p.now);
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
        long next = Long.MAX_VALUE;
        long cleanup = Long.MIN_VALUE;
        for (Map.Entry<Long, CounterState> c : p.counters.entrySet()) {
            CounterStore store = catalog.counterStore(c.getKey());
            CounterState s = c.getValue();
            if (store != null && s.size() > 0) {
                for (CounterSpec v : store.views()) {
                    next = Math.min(next, wakeFor(p, catalog, v, s));
                }
                cleanup = Math.max(cleanup, s.expiryOf(s.size() - 1, store, horizon));
            }
        }
        for (int row = 0; row < p.rechecks.size(); row++) {
            next = Math.min(next, p.rechecks.get(row, 0));
        }
        for (int row = 0; row < p.memberships.size(); row++) {
            if (!p.member(row)) {
                cleanup = Math.max(cleanup, p.memberships.get(row, UserProfile.EXITED) + horizon);
            }
        }
        p.nextExpiry = Math.min(next, cleanup == Long.MIN_VALUE ? Long.MAX_VALUE : cleanup);
    }

    /**
     * The first expiry instant of {@code s} at which a segment reading it may answer differently
     * than now, or {@link Long#MAX_VALUE}.
     */
    private long wakeFor(UserProfile p, SegmentCatalog catalog, CounterSpec spec, CounterState s) {
        CounterSpec.Kind kind = spec.kind();
        int from = s.firstVisible(spec, p.now, p.floor, horizon);
        if (from >= s.size()) {
            return Long.MAX_VALUE;
        }
        if (kind == CounterSpec.Kind.SUM) {
            // Not monotone: the values passed through since now, as entries leave one by one.
            double v = s.valueFrom(kind, from);
            double lo = v;
            double hi = v;
            for (int j = from; j < s.size(); j++) {
                v -= s.value(j);
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
                if (catalog.mayFlip(spec.id(), lo, hi)) {
                    return s.expiryOf(j, spec, horizon);
                }
            }
            return Long.MAX_VALUE;
        }
        // The other kinds only fall (or, for MIN, rise) as entries leave, oldest first.
        double v0 = s.valueFrom(kind, from);
        for (int j = from + 1; j <= s.size(); j++) {
            if (catalog.mayFlip(spec.id(), v0, s.valueFrom(kind, j))) {
                return s.expiryOf(j - 1, spec, horizon);
            }
        }
        return Long.MAX_VALUE;
    }

    private void evaluate(
            UserProfile p, EventHistory h, Set<CompiledSegment> due, List<MembershipChange> out) {
        evaluate(p, h, due, null, null, out);
    }

    /** {@code view}: the visible history when the caller already read it, else null. */
    private void evaluate(
            UserProfile p,
            EventHistory h,
            Set<CompiledSegment> due,
            @Nullable List<Event> view,
            @Nullable Narrowed narrowed,
            List<MembershipChange> out) {
        ReferenceEvaluator ref = null;
        for (CompiledSegment s : due) {
            boolean holds;
            if (s.incremental()) {
                stats.formulasEvaluated++;
                holds = s.formula().holds(p, horizon);
            } else {
                if (ref == null) {
                    ref = ReferenceEvaluator.forOneEvaluation(p.now);
                }
                // The answer depends only on the events the segment is relevant to (see
                // SegmentCompiler.relevance), so the others need not even be looked at; when the
                // history holds none of them, it need not be read at all.
                List<Event> scope;
                if (narrowed != null && narrowed.segments().contains(s)) {
                    stats.visitEvaluations++;
                    scope =
                            s.relevantNames() == null
                                    ? narrowed.visit()
                                    : named(narrowed.visit(), s.relevantNames());
                    holds = ref.holds(s.definition().container(), scope);
                    // The recheck from every event the segment reads: events its visit gate
                    // skipped were never counted in (their expiry matters once their visit holds
                    // the names it needs). A scan for the oldest visible, not an evaluation.
                    scheduleRecheck(
                            p,
                            s,
                            s.relevantNames() == null ? view : named(view, s.relevantNames()));
                    apply(p, s, holds, out);
                    continue;
                }
                stats.historyEvaluations++;
                if (s.relevantNames() != null
                        && java.util.Collections.disjoint(s.relevantNames(), p.names.keySet())) {
                    scope = List.of();
                } else {
                    if (view == null) {
                        view = visible(p, h);
                    }
                    scope = s.relevantNames() == null ? view : named(view, s.relevantNames());
                }
                holds = ref.holds(s.definition().container(), scope);
                scheduleRecheck(p, s, scope);
            }
            apply(p, s, holds, out);
        }
    }

    private static List<Event> named(List<Event> view, Set<String> names) {
        List<Event> out = new ArrayList<>();
        for (Event e : view) {
            if (names.contains(e.name())) {
                out.add(e);
            }
        }
        return out;
    }

    private void scheduleRecheck(UserProfile p, CompiledSegment s, List<Event> view) {
        storeRecheck(p, s, recheckOf(p, s, view));
    }

    /**
     * The next instant an event of {@code view} leaves one of the segment's windows or the horizon.
     */
    private long recheckOf(UserProfile p, CompiledSegment s, List<Event> view) {
        long next = Long.MAX_VALUE;
        if (!view.isEmpty()) {
            next = view.get(0).time() + horizon;
        }
        for (Window w : s.windows()) {
            for (Event e : view) {
                if (w.visible(e.time(), p.now)) {
                    next = Math.min(next, w.expiry(e.time()));
                    break; // expiry grows with time: the oldest visible event expires first
                }
            }
        }
        return next;
    }

    private static void storeRecheck(UserProfile p, CompiledSegment s, long next) {
        if (next == Long.MAX_VALUE) {
            p.rechecks.remove(s.ordinal());
        } else {
            p.rechecks.set(p.rechecks.upsert(s.ordinal()), 0, next);
            p.nextExpiry = Math.min(p.nextExpiry, next);
        }
    }

    private static void apply(
            UserProfile p, CompiledSegment s, boolean holds, List<MembershipChange> out) {
        boolean was = p.isMember(s.ordinal());
        if (holds && !was) {
            p.putMembership(s.ordinal(), s.version(), p.now, Long.MIN_VALUE);
            out.add(
                    new MembershipChange(
                            s.id(), MembershipChange.Kind.ENTERED, p.now, s.version()));
        } else if (holds) {
            // Still a member: only an edit that moved it to a new version is stored. Status and
            // last qualification time of members are derived from the user's now.
            p.memberships.set(p.memberships.find(s.ordinal()), UserProfile.VERSION, s.version());
        } else if (was) {
            // It qualified up to now, the instant it stopped.
            int row = p.memberships.find(s.ordinal());
            p.putMembership(
                    s.ordinal(), s.version(), p.memberships.get(row, UserProfile.ENTERED), p.now);
            out.add(new MembershipChange(s.id(), MembershipChange.Kind.EXITED, p.now, s.version()));
        }
    }
}
