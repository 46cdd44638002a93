package io.cohortflow.core.eval;

import io.cohortflow.core.event.Event;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * What a user's catch-up over many changed segments must evaluate, found from the user's side (a
 * job that starts with, or a workspace that imports, thousands of definitions): the segments the
 * user has a row of, those that hold with no events at all, the history-evaluated ones whose
 * required names the user has, and (see {@link Counters#rebuildReached}) those whose tests the
 * counters the user's events reach crossed. Any other changed segment reads only counters whose
 * value, for this user, is on the same side of each of its thresholds as an empty counter's, so it
 * is false as on an empty profile and has no row: evaluating it changes nothing. Looking at each of
 * 10 000 such segments cost a user 4-10 ms per catch-up, most of it cache misses.
 */
final class CatchUpCandidates {
    private CatchUpCandidates() {}

    /**
     * The stores the user's events (through the catalog's anchors) or counters reach: the others
     * are empty for the user whatever their definition.
     */
    static Set<Long> reachedStores(
            UserProfile p, SegmentCatalog catalog, Supplier<List<Event>> view) {
        Set<Long> stores = new LinkedHashSet<>();
        for (int i = 0; i < p.counters.size(); i++) {
            stores.add(p.counters.key(i));
        }
        List<CounterStore> probed = new ArrayList<>();
        for (Event e : view.get()) {
            probed.clear();
            catalog.countersFor(e, probed);
            for (CounterStore store : probed) {
                if (!stores.contains(store.id()) && store.hits().test(e)) {
                    stores.add(store.id());
                }
            }
        }
        return stores;
    }

    /**
     * Adds the changed segments the user has a row of, that hold on an empty profile, or that are
     * history-evaluated with their required names held.
     */
    static void addOthers(
            UserProfile p, SegmentCatalog catalog, Set<String> changed, Set<CompiledSegment> due) {
        addRows(p.memberships.rows(), catalog, changed, due);
        addRows(p.rechecks, catalog, changed, due);
        addChanged(catalog.holdingOnEmpty(), changed, due);
        for (int i = 0; i < p.names.size(); i++) {
            for (CompiledSegment s : catalog.historyRequiring(p.names.name(i))) {
                if (changed.contains(s.id()) && RequiredNames.held(p, s.requiredNames())) {
                    due.add(s);
                }
            }
        }
        addChanged(catalog.historyRequiringNothing(), changed, due);
    }

    /** Adds the segments of {@code from} that are in {@code changed}. */
    static void addChanged(
            Collection<CompiledSegment> from, Set<String> changed, Set<CompiledSegment> due) {
        for (CompiledSegment s : from) {
            if (changed.contains(s.id())) {
                due.add(s);
            }
        }
    }

    private static void addRows(
            OrdinalRows rows,
            SegmentCatalog catalog,
            Set<String> changed,
            Set<CompiledSegment> due) {
        for (int row = 0; row < rows.size(); row++) {
            CompiledSegment s = catalog.segmentAt(rows.ordinal(row));
            if (s != null && changed.contains(s.id())) {
                due.add(s);
            }
        }
    }
}
