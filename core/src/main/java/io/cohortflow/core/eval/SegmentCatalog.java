package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Definition;
import io.cohortflow.core.definition.Problem;
import io.cohortflow.core.definition.SegmentResolver;
import io.cohortflow.core.event.Event;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The live segments, compiled and indexed by what can change them: counters by an anchor value
 * (usually the event name), history-evaluated segments by relevant event names. Immutable: a change
 * of definitions yields a new catalog, so an evaluation never sees a half-applied change.
 *
 * <p>Every change is stamped with an epoch (the job uses the definitions-topic offset of the
 * record; callers without one get the next number). A profile remembers the epoch it was evaluated
 * at, and {@link SegmentEngine} brings it up to the catalog's on its next operation with the
 * segments {@link #changedSince} then: a change costs nothing when it is applied, and each user
 * pays for it when next seen (or when a sweep visits them).
 */
public final class SegmentCatalog {

    /** A stored definition, its version, and the segments it references (for their changes). */
    record Source(Definition definition, long version, Set<String> references) {
        static Source of(Definition definition, long version) {
            return new Source(
                    definition, version, SegmentResolver.references(definition.container()));
        }
    }

    /** The catalog after a change, the segments whose meaning changed, and any problems. */
    public record Update(SegmentCatalog catalog, Set<String> changed, List<Problem> problems) {
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    private static final SegmentCatalog EMPTY =
            new SegmentCatalog(Map.of(), Map.of(), SegmentOrdinals.NONE, Map.of(), 0);

    private final Map<String, Source> sources;
    private final Map<String, CompiledSegment> segments;
    private final SegmentOrdinals ordinals;

    /** The epoch of each segment's last change, removed segments included. */
    private final Map<String, Long> changedAt;

    /** The same stamps, latest first, for {@link #changedSince}; built on first use. */
    @Nullable private volatile Map.Entry<String, Long>[] byEpoch;

    private final long epoch;

    /** Live segments by ordinal (null where a number's segment is not live). */
    private final CompiledSegment[] byOrdinal;

    /** Built at the first lookup, so that a catalog no event reads costs no indexing. */
    @Nullable private volatile CatalogIndex index;

    SegmentCatalog(
            Map<String, Source> sources,
            Map<String, CompiledSegment> segments,
            SegmentOrdinals ordinals,
            Map<String, Long> changedAt,
            long epoch) {
        this.sources = sources;
        this.segments = segments;
        this.ordinals = ordinals;
        this.changedAt = changedAt;
        this.epoch = epoch;
        this.byOrdinal = new CompiledSegment[ordinals.size()];
        for (CompiledSegment s : segments.values()) {
            byOrdinal[s.ordinal()] = s;
        }
    }

    public static SegmentCatalog empty() {
        return EMPTY;
    }

    /**
     * An empty catalog that numbers segments as {@code ordinals} did: a reader restoring its
     * definitions starts here, so that profiles stored before the restore read right.
     */
    public static SegmentCatalog empty(SegmentOrdinals ordinals) {
        return new SegmentCatalog(Map.of(), Map.of(), ordinals, Map.of(), 0);
    }

    /**
     * The epoch of the latest change: 0 for a catalog no change reached (the job's, before its
     * definitions are read), against which no profile is brought up to date.
     */
    public long epoch() {
        return epoch;
    }

    /**
     * The segments (live or removed) changed after {@code epoch}, latest first: a read-only view
     * over the stamps sorted once per catalog. Asked once per user after each change (at their next
     * event or by the sweep), so it costs a binary search, not a set of every id changed: a user
     * caught up after 10 000 definitions were read built that set of 10 000 ids.
     */
    public Set<String> changedSince(long epoch) {
        Map.Entry<String, Long>[] latestFirst = byEpoch;
        if (latestFirst == null) {
            @SuppressWarnings("unchecked")
            Map.Entry<String, Long>[] sorted = changedAt.entrySet().toArray(new Map.Entry[0]);
            java.util.Arrays.sort(sorted, (a, b) -> Long.compare(b.getValue(), a.getValue()));
            byEpoch = latestFirst = sorted;
        }
        int lo = 0;
        int hi = latestFirst.length; // the first stamp at or before epoch
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (latestFirst[mid].getValue() > epoch) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return new ChangedSince(latestFirst, lo, epoch);
    }

    /** The first {@code size} stamps of {@code latestFirst}: those after {@code epoch}. */
    private final class ChangedSince extends java.util.AbstractSet<String> {
        private final Map.Entry<String, Long>[] latestFirst;
        private final int size;
        private final long epoch;

        ChangedSince(Map.Entry<String, Long>[] latestFirst, int size, long epoch) {
            this.latestFirst = latestFirst;
            this.size = size;
            this.epoch = epoch;
        }

        @Override
        public boolean contains(Object o) {
            return o instanceof String id && changedAt(id) > epoch;
        }

        @Override
        public java.util.Iterator<String> iterator() {
            return new java.util.Iterator<>() {
                private int next;

                @Override
                public boolean hasNext() {
                    return next < size;
                }

                @Override
                public String next() {
                    if (next >= size) {
                        throw new java.util.NoSuchElementException();
                    }
                    return latestFirst[next++].getKey();
                }
            };
        }

        @Override
        public int size() {
            return size;
        }
    }

    /** The stores read by the segments changed after an epoch, for the last epoch asked. */
    private record ChangedStores(long epoch, Set<Long> stores) {}

    @Nullable private volatile ChangedStores changedStores;

    /**
     * The counter stores the live segments among {@code changed} read (see {@link
     * CatchUpCandidates}). Users caught up together were mostly last brought up to one epoch (all
     * of them at start-up), so for a {@link #changedSince} set it is made once per epoch asked, not
     * once per user.
     */
    Set<Long> storesReadBy(Set<String> changed) {
        if (!(changed instanceof ChangedSince since)) {
            return storesOf(changed);
        }
        ChangedStores memo = changedStores;
        if (memo == null || memo.epoch() != since.epoch) {
            changedStores = memo = new ChangedStores(since.epoch, storesOf(changed));
        }
        return memo.stores();
    }

    private Set<Long> storesOf(Set<String> ids) {
        Set<Long> stores = new java.util.HashSet<>();
        for (String id : ids) {
            CompiledSegment s = segments.get(id);
            if (s != null) {
                for (CounterSpec c : s.counters()) {
                    stores.add(c.store());
                }
            }
        }
        return Set.copyOf(stores);
    }

    /** The epoch of segment {@code id}'s last change, 0 for none. */
    public long changedAt(String id) {
        return changedAt.getOrDefault(id, 0L);
    }

    /** {@link #put(String, long, Definition, long)} at the next epoch. */
    public Update put(String id, long version, Definition definition) {
        return put(id, version, definition, epoch + 1);
    }

    /**
     * This catalog with segment {@code id} added or replaced at epoch {@code at}, by the rules of
     * {@link CatalogBuilder#put}; on a problem, this catalog.
     */
    public Update put(String id, long version, Definition definition, long at) {
        CatalogBuilder b = new CatalogBuilder(this);
        return updated(b, b.put(id, version, definition, at));
    }

    /** This catalog with many segments added or replaced, see {@link CatalogBuilder#putAll}. */
    public Update putAll(Map<String, Definition> definitions, long version) {
        CatalogBuilder b = new CatalogBuilder(this);
        return updated(b, b.putAll(definitions, version));
    }

    /** {@link #remove(String, long)} at the next epoch. */
    public Update remove(String id) {
        return remove(id, epoch + 1);
    }

    /**
     * This catalog without segment {@code id} (nor the segments referencing it), a change at epoch
     * {@code at}, by the rules of {@link CatalogBuilder#remove}.
     */
    public Update remove(String id, long at) {
        CatalogBuilder b = new CatalogBuilder(this);
        return updated(b, b.remove(id, at));
    }

    private static Update updated(CatalogBuilder b, CatalogBuilder.Change c) {
        return new Update(b.build(), c.changed(), c.problems());
    }

    Map<String, Source> sources() {
        return sources;
    }

    Map<String, CompiledSegment> segmentsById() {
        return segments;
    }

    Map<String, Long> changeStamps() {
        return changedAt;
    }

    public Optional<CompiledSegment> segment(String id) {
        return Optional.ofNullable(segments.get(id));
    }

    public Collection<CompiledSegment> segments() {
        return segments.values();
    }

    public int size() {
        return segments.size();
    }

    /** The numbers of this catalog's segments, including those since removed. */
    public SegmentOrdinals ordinals() {
        return ordinals;
    }

    /** The live segment numbered {@code ordinal}, or null. */
    @Nullable CompiledSegment segmentAt(int ordinal) {
        return ordinal >= 0 && ordinal < byOrdinal.length ? byOrdinal[ordinal] : null;
    }

    // ---- lookups for the engine ------------------------------------------------------------

    private CatalogIndex index() {
        CatalogIndex i = index;
        if (i == null) {
            synchronized (this) {
                i = index;
                if (i == null) {
                    index = i = new CatalogIndex(segments.values());
                }
            }
        }
        return i;
    }

    @Nullable CounterSpec counterSpec(long id) {
        return index().counters.get(id);
    }

    Collection<CounterStore> stores() {
        return index().stores.values();
    }

    /** The store a profile keeps under {@code id}, or null when no live segment reads it. */
    @Nullable CounterStore counterStore(long id) {
        return index().stores.get(id);
    }

    Collection<CounterSpec> counters() {
        return index().counters.values();
    }

    /** The segments reading counter {@code counterId}, or null when none does. */
    @Nullable Readers readers(long counterId) {
        return index().readers.get(counterId);
    }

    /**
     * The segments whose answer may differ, for this user, now that a counter moved from one value
     * to another.
     */
    void segmentsCrossing(
            CounterSpec counter,
            double before,
            double after,
            UserProfile p,
            Collection<CompiledSegment> out) {
        Readers r = index().readers.get(counter.id());
        if (r != null) {
            r.crossing(counter.kind(), before, after, p, out);
        }
    }

    /** The stored counters an event may change (see {@link AnchorIndex}), each once. */
    void countersFor(Event e, List<CounterStore> out) {
        index().anchors.probe(e, out);
    }

    /** The history-evaluated segments an event with this name may change, gated or not. */
    void historySegmentsFor(Event e, Collection<CompiledSegment> out) {
        CatalogIndex x = index();
        out.addAll(x.historyAnyEvent);
        out.addAll(ungatedFor(e));
        for (CompiledSegment s : x.gated) {
            if (s.relevantNames() == null || s.relevantNames().contains(e.name())) {
                out.add(s);
            }
        }
    }

    /** The incremental segments that hold for a user with no events (see CatchUpCandidates). */
    List<CompiledSegment> holdingOnEmpty() {
        return index().holdingOnEmpty;
    }

    /** The history-evaluated segments whose first required name set holds {@code name}. */
    List<CompiledSegment> historyRequiring(String name) {
        return index().historyRequiring.getOrDefault(name, List.of());
    }

    /** The history-evaluated segments that require no event name (see RequiredNames). */
    List<CompiledSegment> historyRequiringNothing() {
        return index().historyRequiringNothing;
    }

    /** The history-evaluated segments without a visit gate that any event may change. */
    List<CompiledSegment> ungatedAnyEvent() {
        return index().historyAnyEvent;
    }

    /** The history-evaluated segments without a visit gate that events of e's name may change. */
    List<CompiledSegment> ungatedFor(Event e) {
        return index().historyByName.getOrDefault(e.name(), List.of());
    }

    /** Whether some visit container with a gate may be changed by an event of e's name. */
    boolean mayChangeGated(Event e) {
        CatalogIndex x = index();
        return x.gatedAnyEvent || x.gatedNames.contains(e.name());
    }

    /** The visit containers whose gate holds {@code name}. */
    List<CompiledSegment> gatedBy(String name) {
        return index().byVisitGate.getOrDefault(name, List.of());
    }
}
