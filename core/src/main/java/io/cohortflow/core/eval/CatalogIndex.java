package io.cohortflow.core.eval;

import io.cohortflow.core.event.CanonicalNames;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a catalog's segments are found by when an event arrives: counters by anchor, each counter's
 * readers by pivot, history-evaluated segments by the names that can change them. Built from the
 * compiled segments alone, once per catalog and only when an evaluation first asks (see {@link
 * SegmentCatalog}): a burst of definition changes then costs one build, not one per change.
 * Immutable once built.
 */
final class CatalogIndex {
    final LongTable<CounterSpec> counters = new LongTable<>();
    final LongTable<CounterStore> stores = new LongTable<>();
    final AnchorIndex anchors;
    final LongTable<Readers> readers = new LongTable<>();

    // History-evaluated segments by what can change them: any event, events of a name, or (visit
    // containers with a gate) an event whose visit holds one of the gate's names.
    final Map<String, List<CompiledSegment>> historyByName = new HashMap<>();
    final List<CompiledSegment> historyAnyEvent = new ArrayList<>();
    final Map<String, List<CompiledSegment>> byVisitGate = new HashMap<>();
    final List<CompiledSegment> gated = new ArrayList<>();

    /** Names whose events may change a gated segment (when {@link #gatedAnyEvent} is false). */
    final Set<String> gatedNames = new HashSet<>();

    final boolean gatedAnyEvent;

    // For catch-ups over many changed segments (see CatchUpCandidates): incremental segments that
    // hold on an empty profile (none while every definition is a visitors container, which needs
    // the visitor present; kept so that the catch-up stays exact if that changes), and
    // history-evaluated ones by a name of their first required set (or needing none).
    final List<CompiledSegment> holdingOnEmpty = new ArrayList<>();
    final Map<String, List<CompiledSegment>> historyRequiring = new HashMap<>();
    final List<CompiledSegment> historyRequiringNothing = new ArrayList<>();

    CatalogIndex(Collection<CompiledSegment> segments) {
        boolean anyEvent = false;
        for (CompiledSegment s : segments) {
            if (s.incremental()) {
                if (SegmentCompiler.holdsOnEmpty(s.formula())) {
                    holdingOnEmpty.add(s);
                }
            } else if (s.requiredNames().isEmpty()) {
                historyRequiringNothing.add(s);
            } else {
                for (String n : s.requiredNames().get(0)) {
                    historyRequiring
                            .computeIfAbsent(CanonicalNames.of(n), k -> new ArrayList<>())
                            .add(s);
                }
            }
            if (s.incremental()) {
                for (CounterSpec c : s.counters()) {
                    counters.putIfAbsent(c.id(), c);
                }
            } else if (s.visitGate() != null) {
                gated.add(s);
                for (String n : s.visitGate()) {
                    byVisitGate
                            .computeIfAbsent(CanonicalNames.of(n), k -> new ArrayList<>())
                            .add(s);
                }
                if (s.relevantNames() == null) {
                    anyEvent = true;
                } else {
                    gatedNames.addAll(s.relevantNames());
                }
            } else if (s.relevantNames() == null) {
                historyAnyEvent.add(s);
            } else {
                for (String n : s.relevantNames()) {
                    historyByName
                            .computeIfAbsent(CanonicalNames.of(n), k -> new ArrayList<>())
                            .add(s);
                }
            }
        }
        gatedAnyEvent = anyEvent;
        for (CounterStore store : CounterStore.group(counters.values())) {
            stores.putIfAbsent(store.id(), store);
        }
        anchors = new AnchorIndex(stores.values());
        Readers.of(segments).forEach(readers::putIfAbsent);
    }
}
