package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Definition;
import io.cohortflow.core.definition.Window;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A live segment ready for evaluation. Either incremental (a {@link Formula} over shared counters:
 * constant cost per event) or history-evaluated (sequences, visit containers: evaluated by {@link
 * ReferenceEvaluator} over the user's bounded history, only for events that can change it).
 *
 * @param ordinal the segment's number in its workspace (see {@link SegmentOrdinals}): a profile
 *     stores its memberships under it
 * @param relevantNames for history-evaluated segments, the event names that can change the answer
 *     (null: any event can)
 * @param windows the windows of the definition, whose expiries are the instants a history-evaluated
 *     answer can change without a new event
 * @param visitGate for a definition that is one visit container ({@code visitors{visits{P}}}) whose
 *     P needs an event of one of these names in the visit: a new event changes the answer only when
 *     its visit holds one of them (null: no such gate)
 * @param appendMonotone for history-evaluated segments: an event appended to the history cannot end
 *     a membership (see {@link AppendRules#monotone})
 * @param completingNames for history-evaluated segments: the names one of which an appended event
 *     has whenever it starts a membership (null: any event may; see {@link
 *     AppendRules#completingNames})
 * @param visitLocal for a visit container: a non-member enters through an appended event only if
 *     the event's visit satisfies it (see {@link AppendRules#visitLocal})
 * @param requiredNames for history-evaluated segments: name sets the user's history must hold a
 *     name of each for the definition to hold (see {@link RequiredNames})
 * @param visitMinHits for a visit container: the fewest events a satisfying visit has (see {@link
 *     AppendRules#visitMinHits})
 * @param pair for a sequence of two checkpoints of event names: a non-member's answer for an
 *     appended event without the history (see {@link PairSequence}); else null
 */
public record CompiledSegment(
        String id,
        int ordinal,
        long version,
        Definition definition,
        @Nullable Formula formula,
        List<CounterSpec> counters,
        @Nullable Set<String> relevantNames,
        List<Window> windows,
        @Nullable Set<String> visitGate,
        boolean appendMonotone,
        @Nullable Set<String> completingNames,
        boolean visitLocal,
        List<Set<String>> requiredNames,
        int visitMinHits,
        @Nullable PairSequence pair) {

    public CompiledSegment {
        // The sets the hot path probes with every stored event's name.
        relevantNames = NameSet.of(relevantNames);
        visitGate = NameSet.of(visitGate);
        completingNames = NameSet.of(completingNames);
        requiredNames = NameSet.each(requiredNames);
    }

    public boolean incremental() {
        return formula != null;
    }

    /**
     * Identity by id and version: segments are collected into sets on the hot path, and the
     * record's default hash would walk the whole definition and formula on every insertion.
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof CompiledSegment c && c.id.equals(id) && c.version == version;
    }

    @Override
    public int hashCode() {
        return id.hashCode() * 31 + Long.hashCode(version);
    }
}
