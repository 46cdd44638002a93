package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Definition;
import io.cohortflow.core.definition.Problem;
import io.cohortflow.core.definition.SegmentResolver;
import io.cohortflow.core.event.Event;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.annotation.Nullable;

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

    /** A stored definition and its version. */
    public record Source(Definition definition, long version) {}

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

    private final Map<Long, CounterSpec> counters = new HashMap<>();
    private final Map<Long, CounterStore> stores = new HashMap<>();
    private final AnchorIndex index;
    private final LongMap<Readers> readers = new LongMap<>();
    // History-evaluated segments by what can change them: any event, events of a name, or (visit
    // containers with a gate) an event whose visit holds one of the gate's names.
    private final Map<String, List<CompiledSegment>> historyByName = new HashMap<>();
    private final List<CompiledSegment> historyAnyEvent = new ArrayList<>();
    private final Map<String, List<CompiledSegment>> byVisitGate = new HashMap<>();
    private final List<CompiledSegment> gated = new ArrayList<>();

    /** Names whose events may change a gated segment (when {@link #gatedAnyEvent} is false). */
    private final Set<String> gatedNames = new java.util.HashSet<>();

    private boolean gatedAnyEvent;

    private SegmentCatalog(
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
            if (s.incremental()) {
                for (CounterSpec c : s.counters()) {
                    counters.putIfAbsent(c.id(), c);
                }
            } else if (s.visitGate() != null) {
                gated.add(s);
                for (String n : s.visitGate()) {
                    byVisitGate.computeIfAbsent(n, k -> new ArrayList<>()).add(s);
                }
                if (s.relevantNames() == null) {
                    gatedAnyEvent = true;
                } else {
                    gatedNames.addAll(s.relevantNames());
                }
            } else {
                if (s.relevantNames() == null) {
                    historyAnyEvent.add(s);
                } else {
                    for (String n : s.relevantNames()) {
                        historyByName.computeIfAbsent(n, k -> new ArrayList<>()).add(s);
                    }
                }
            }
        }
        for (CounterStore store : CounterStore.group(counters.values())) {
            stores.put(store.id(), store);
        }
        index = new AnchorIndex(stores.values());
        Readers.of(segments.values()).forEach(readers::put);
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
     * The segments (live or removed) changed after {@code epoch}. Asked once per user after each
     * change (at their next event or by the sweep), so it reads the latest stamps only, not every
     * segment's.
     */
    public Set<String> changedSince(long epoch) {
        Map.Entry<String, Long>[] latestFirst = byEpoch;
        if (latestFirst == null) {
            @SuppressWarnings("unchecked")
            Map.Entry<String, Long>[] sorted = changedAt.entrySet().toArray(new Map.Entry[0]);
            java.util.Arrays.sort(sorted, (a, b) -> Long.compare(b.getValue(), a.getValue()));
            byEpoch = latestFirst = sorted;
        }
        Set<String> out = new LinkedHashSet<>();
        for (Map.Entry<String, Long> e : latestFirst) {
            if (e.getValue() <= epoch) {
                break;
            }
            out.add(e.getKey());
        }
        return out;
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
     * Adds or replaces segment {@code id}, a change at epoch {@code at}. Segments that reference it
     * are recompiled too and reported as changed. On a problem (unknown reference, cycle) the
     * catalog is unchanged. A new version of a live segment with the same definition changes no
     * answer: it is reported as no change and not stamped.
     */
    public Update put(String id, long version, Definition definition, long at) {
        Map<String, Source> next = new LinkedHashMap<>(sources);
        next.put(id, new Source(definition, version));
        Source held = sources.get(id);
        if (held != null && held.definition().equals(definition) && segments.containsKey(id)) {
            // A new version with the same definition (a new name, tags, activations): no segment
            // answers differently, so nothing is stamped and no user is evaluated again; the
            // segment carries its new version from now on.
            Map<String, CompiledSegment> compiled = new LinkedHashMap<>(segments);
            CompiledSegment s = segments.get(id);
            compiled.put(id, SegmentCompiler.compile(id, s.ordinal(), version, s.definition()));
            return new Update(
                    new SegmentCatalog(
                            Map.copyOf(next),
                            Collections.unmodifiableMap(compiled),
                            ordinals,
                            changedAt,
                            epoch),
                    Set.of(),
                    List.of());
        }
        return rebuild(next, id, false, ordinals.with(List.of(id)), at);
    }

    /**
     * Adds or replaces many segments in one rebuild (a restore, a bulk load): a put per segment
     * would rebuild the catalog's indexes once per segment. A segment that cannot be compiled
     * (unknown reference, cycle) is left out and named in the problems; the others go in.
     */
    public Update putAll(Map<String, Definition> definitions, long version) {
        Map<String, Source> next = new LinkedHashMap<>(sources);
        definitions.forEach((id, d) -> next.put(id, new Source(d, version)));
        SegmentOrdinals numbered = ordinals.with(definitions.keySet());
        Set<String> changed = new LinkedHashSet<>(definitions.keySet());
        for (String id : definitions.keySet()) {
            if (sources.containsKey(id)) {
                changed.addAll(dependents(next, id)); // a replaced segment's referrers recompile
            }
        }
        List<Problem> problems = new ArrayList<>();
        Map<String, CompiledSegment> compiled = new LinkedHashMap<>(segments);
        for (String s : changed) {
            compiled.remove(s);
            Source src = next.get(s);
            SegmentResolver.Result r =
                    SegmentResolver.resolve(
                            src.definition(),
                            s,
                            ref -> next.get(ref) == null ? null : next.get(ref).definition());
            if (r.definition() == null) {
                problems.addAll(r.problems());
                continue;
            }
            compiled.put(
                    s, SegmentCompiler.compile(s, numbered.of(s), src.version(), r.definition()));
        }
        next.keySet().retainAll(compiled.keySet());
        return new Update(
                new SegmentCatalog(
                        Map.copyOf(next),
                        Collections.unmodifiableMap(compiled),
                        numbered,
                        stamped(changed, epoch + 1, next),
                        epoch + 1),
                Collections.unmodifiableSet(changed),
                List.copyOf(problems));
    }

    /** {@link #remove(String, long)} at the next epoch. */
    public Update remove(String id) {
        return remove(id, epoch + 1);
    }

    /**
     * Removes segment {@code id}, a change at epoch {@code at}. Segments that reference it can no
     * longer be evaluated: they are removed as well, reported as changed, and named in the
     * problems. Removing a segment the catalog does not hold changes no segment but is stamped all
     * the same: a profile may hold a membership of it from before a restore.
     */
    public Update remove(String id, long at) {
        if (!sources.containsKey(id)) {
            return new Update(
                    new SegmentCatalog(
                            sources,
                            segments,
                            ordinals,
                            stamped(Set.of(id), at, sources),
                            Math.max(epoch, at)),
                    Set.of(),
                    List.of());
        }
        Map<String, Source> next = new LinkedHashMap<>(sources);
        next.remove(id);
        return rebuild(next, id, true, ordinals, at);
    }

    /**
     * The change stamps after segments {@code changed} changed at {@code at}. A segment evaluates
     * its references inlined, so it changed whenever one of them did: on a restore, which replays
     * each segment's latest record only, a referrer is put after a segment it references that was
     * edited later, and must carry that later stamp as it did before the restore.
     */
    private Map<String, Long> stamped(Set<String> changed, long at, Map<String, Source> next) {
        Map<String, Long> out = new HashMap<>(changedAt);
        for (String s : changed) {
            out.put(s, at);
        }
        boolean grew = true;
        while (grew) {
            grew = false;
            for (String s : changed) {
                Source src = next.get(s);
                if (src == null) {
                    continue;
                }
                for (String ref : SegmentResolver.references(src.definition().container())) {
                    Long t = out.get(ref);
                    if (t != null && t > out.get(s)) {
                        out.put(s, t);
                        grew = true;
                    }
                }
            }
        }
        return Map.copyOf(out);
    }

    private Update rebuild(
            Map<String, Source> next,
            String id,
            boolean removal,
            SegmentOrdinals numbered,
            long at) {
        Set<String> changed = new LinkedHashSet<>();
        changed.add(id);
        changed.addAll(dependents(next, id));
        List<Problem> problems = new ArrayList<>();
        Map<String, CompiledSegment> compiled = new LinkedHashMap<>(segments);
        for (String s : changed) {
            compiled.remove(s);
            Source src = next.get(s);
            if (src == null) {
                continue;
            }
            SegmentResolver.Result r =
                    SegmentResolver.resolve(
                            src.definition(),
                            s,
                            ref -> next.get(ref) == null ? null : next.get(ref).definition());
            if (r.definition() == null) {
                if (!removal) {
                    return new Update(this, Set.of(), r.problems());
                }
                next.remove(s);
                problems.add(
                        Problem.error(
                                "dependency_removed",
                                "",
                                "segment " + s + " referenced " + id + " and was removed with it"));
                continue;
            }
            compiled.put(
                    s, SegmentCompiler.compile(s, numbered.of(s), src.version(), r.definition()));
        }
        return new Update(
                new SegmentCatalog(
                        Map.copyOf(next),
                        Collections.unmodifiableMap(compiled),
                        numbered,
                        stamped(changed, at, next),
                        Math.max(epoch, at)),
                Collections.unmodifiableSet(changed),
                List.copyOf(problems));
    }

    /** Every segment that references {@code id}, directly or through others. */
    private static Set<String> dependents(Map<String, Source> defs, String id) {
        Set<String> out = new LinkedHashSet<>();
        boolean grew = true;
        while (grew) {
            grew = false;
            for (Map.Entry<String, Source> e : defs.entrySet()) {
                if (out.contains(e.getKey()) || e.getKey().equals(id)) {
                    continue;
                }
                Set<String> refs =
                        SegmentResolver.references(e.getValue().definition().container());
                if (refs.contains(id) || !Collections.disjoint(refs, out)) {
                    out.add(e.getKey());
                    grew = true;
                }
            }
        }
        return out;
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
    @Nullable
    CompiledSegment segmentAt(int ordinal) {
        return ordinal >= 0 && ordinal < byOrdinal.length ? byOrdinal[ordinal] : null;
    }

    // ---- lookups for the engine ------------------------------------------------------------

    @Nullable
    CounterSpec counterSpec(long id) {
        return counters.get(id);
    }

    Collection<CounterStore> stores() {
        return stores.values();
    }

    /** The store a profile keeps under {@code id}, or null when no live segment reads it. */
    @Nullable
    CounterStore counterStore(long id) {
        return stores.get(id);
    }

    Collection<CounterSpec> counters() {
        return counters.values();
    }

    /** The segments reading counter {@code counterId}, or null when none does. */
    @Nullable
    Readers readers(long counterId) {
        return readers.get(counterId);
    }

    /** The segments whose answer may differ now that a counter moved from one value to another. */
    void segmentsCrossing(
            CounterSpec counter, double before, double after, Collection<CompiledSegment> out) {
        Readers r = readers.get(counter.id());
        if (r != null) {
            r.crossing(counter.kind(), before, after, out);
        }
    }

    /** The stored counters an event may change (see {@link AnchorIndex}), each once. */
    void countersFor(Event e, List<CounterStore> out) {
        index.probe(e, out);
    }

    /** The history-evaluated segments an event with this name may change, gated or not. */
    void historySegmentsFor(Event e, Collection<CompiledSegment> out) {
        out.addAll(historyAnyEvent);
        out.addAll(ungatedFor(e));
        for (CompiledSegment s : gated) {
            if (s.relevantNames() == null || s.relevantNames().contains(e.name())) {
                out.add(s);
            }
        }
    }

    /** The history-evaluated segments without a visit gate that any event may change. */
    List<CompiledSegment> ungatedAnyEvent() {
        return historyAnyEvent;
    }

    /** The history-evaluated segments without a visit gate that events of e's name may change. */
    List<CompiledSegment> ungatedFor(Event e) {
        return historyByName.getOrDefault(e.name(), List.of());
    }

    /** Whether some visit container with a gate may be changed by an event of e's name. */
    boolean mayChangeGated(Event e) {
        return gatedAnyEvent || gatedNames.contains(e.name());
    }

    /** The visit containers whose gate holds {@code name}. */
    List<CompiledSegment> gatedBy(String name) {
        return byVisitGate.getOrDefault(name, List.of());
    }
}
