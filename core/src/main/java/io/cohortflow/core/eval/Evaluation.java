package io.cohortflow.core.eval;

import java.util.List;

/**
 * Evaluates the segments an operation of {@link SegmentEngine} made due and applies their answers
 * to the user's memberships, reporting each entry and exit. An instance serves one thread at a
 * time, as its engine does.
 */
final class Evaluation {
    private final long horizon;
    private final EngineStats stats;
    private final HistorySegments history;

    Evaluation(long horizon, EngineStats stats, HistorySegments history) {
        this.horizon = horizon;
        this.stats = stats;
        this.history = history;
    }

    /**
     * Evaluates the {@code due} segments and applies their answers. {@code definitionsChanged}: the
     * segments are ones whose definitions changed since the profile last saw them, so a member that
     * stays one takes the new version (otherwise every member is at its segment's version already:
     * the profile is brought up to the catalog before anything else is evaluated).
     */
    void evaluate(
            UserProfile p,
            DueSet due,
            HistorySegments.Scope scope,
            boolean definitionsChanged,
            List<MembershipChange> out) {
        MembershipRows memberships = p.memberships;
        try {
            // By index, without an iterator per evaluation: evaluating adds nothing to the set.
            for (int i = 0; i < due.size(); i++) {
                CompiledSegment s = due.get(i);
                boolean holds;
                if (s.incremental()) {
                    stats.formulasEvaluated++;
                    holds = Formula.holds(s.formula(), p, horizon);
                } else {
                    holds = history.evaluate(p, s, scope);
                }
                apply(p, memberships, s, holds, definitionsChanged, out);
            }
        } finally {
            memberships.mergeIfMany();
        }
    }

    private void apply(
            UserProfile p,
            MembershipRows memberships,
            CompiledSegment s,
            boolean holds,
            boolean definitionChanged,
            List<MembershipChange> out) {
        boolean was = memberships.isMember(s.ordinal());
        if (holds && !was) {
            memberships.enter(s.ordinal(), s.version(), p.now);
            out.add(
                    new MembershipChange(
                            s.id(), MembershipChange.Kind.ENTERED, p.now, s.version()));
        } else if (holds && definitionChanged) {
            // Still a member: only an edit that moved it to a new version is stored. Status and
            // last qualification time of members are derived from the user's now.
            memberships.refreshVersion(s.ordinal(), s.version());
        } else if (!holds && was) {
            // It qualified up to now, the instant it stopped.
            memberships.exit(s.ordinal(), s.version(), p.now);
            out.add(new MembershipChange(s.id(), MembershipChange.Kind.EXITED, p.now, s.version()));
        }
    }
}
