package io.cohortflow.core.eval;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Brings a user up to the catalog's epoch for {@link SegmentEngine} (see {@link
 * SegmentEngine#catchUp(UserProfile, EventHistory, SegmentCatalog)}): the segments changed since
 * the profile's epoch are evaluated from the stored history, memberships of segments no longer live
 * exit, and a profile an older engine stored is moved to this one's layout. Holds no user state;
 * serves one thread at a time, as its engine does.
 */
final class CatchUp {
    /** Past this many changed segments a catch-up looks from the user's side. */
    static final int CANDIDATES_PAST = 64;

    private final EngineStats stats;
    private final Counters counters;
    private final HistorySegments history;
    private final Expiry expiry;
    private final Evaluation evaluation;

    private int candidatesPast = CANDIDATES_PAST;

    CatchUp(
            EngineStats stats,
            Counters counters,
            HistorySegments history,
            Expiry expiry,
            Evaluation evaluation) {
        this.stats = stats;
        this.counters = counters;
        this.history = history;
        this.expiry = expiry;
        this.evaluation = evaluation;
    }

    /** Another {@link #CANDIDATES_PAST} (tests run both paths). */
    void candidatesPast(int n) {
        candidatesPast = n;
    }

    /** See {@link SegmentEngine#behind}. */
    static boolean behind(UserProfile p, SegmentCatalog catalog) {
        return catalog.epoch() != 0
                && (p.definitionsEpoch < catalog.epoch()
                        || p.countersVersion != UserProfile.COUNTERS
                        || p.legacyMemberships != null);
    }

    /**
     * See {@link SegmentEngine#catchUp(UserProfile, EventHistory, SegmentCatalog)}. A profile whose
     * counters an older engine compiled has them rebuilt from the history and every segment
     * evaluated, emitting only what really changed.
     */
    void run(UserProfile p, EventHistory h, SegmentCatalog catalog, List<MembershipChange> out) {
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
     * Evaluates segments whose definitions are new or changed, for this user, from the stored
     * history (their counters are rebuilt), and exits the user from segments no longer live.
     */
    private List<MembershipChange> definitionsChanged(
            UserProfile p, EventHistory h, SegmentCatalog catalog, Set<String> changed) {
        List<MembershipChange> out = new ArrayList<>();
        adoptLegacyRows(p, catalog, out);
        p.memberships.removeRows(
                ordinal -> catalog.segmentAt(ordinal) == null,
                (ordinal, version, member) -> {
                    String id = catalog.ordinals().idOf(ordinal);
                    if (member && id != null) {
                        out.add(
                                new MembershipChange(
                                        id, MembershipChange.Kind.EXITED, p.now, version));
                    }
                });
        HistoryRechecks.forgetRemoved(p, catalog);
        p.counters.removeIf(id -> catalog.counterStore(id) == null);
        if (p.now == Long.MIN_VALUE) {
            return out; // no events yet: nothing to evaluate
        }
        expiry.evictHistory(p, h);
        HistorySegments.Scope scope = history.scope(p, h);
        DueSet due = new DueSet();
        Set<Long> rebuilt = new HashSet<>();
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
        evaluation.evaluate(p, due, scope, true, out);
        expiry.recomputeNextExpiry(p, catalog);
        return out;
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
                        p.memberships.put(ordinal, m.version(), m.enteredAt(), m.exitedAt());
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
}
