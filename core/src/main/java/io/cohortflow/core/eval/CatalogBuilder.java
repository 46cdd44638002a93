package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Definition;
import io.cohortflow.core.definition.Problem;
import io.cohortflow.core.definition.SegmentResolver;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * One workspace's definitions as they change, record by record, and the {@link SegmentCatalog} they
 * make. The rules of a change live here alone ({@link SegmentCatalog#put} and {@link
 * SegmentCatalog#remove} apply them to a copy): a change compiles the segment and those that
 * reference it, numbers a new segment, and stamps what changed with the change's epoch.
 *
 * <p>A change costs the segments it changes, not the catalogue: referrers are looked up in an
 * index, and the catalog is built only when asked for ({@link #build}), once for a burst of
 * changes. A job reading a log of 10 000 definitions at start-up used to rebuild and re-index every
 * segment at every record (quadratic: 73 s for 10 000 of the benchmark's definitions). Mutable and
 * not thread-safe; the catalogs it builds are immutable.
 */
public final class CatalogBuilder {

    /** What a change did: the segments whose meaning changed, and any problems. */
    public record Change(Set<String> changed, List<Problem> problems) {
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    private static final Change NONE = new Change(Set.of(), List.of());

    private final Map<String, SegmentCatalog.Source> sources;
    private final Map<String, CompiledSegment> compiled;
    private final Map<String, Integer> ordinalById;
    private final List<String> ordinalIds;
    private final Map<Long, Integer> storeByHash;
    private final List<Long> storeHashes;
    private final Map<String, Long> changedAt;
    private long epoch;

    /** Segment id to the segments whose definitions reference it directly, in insertion order. */
    private final Map<String, Set<String>> referrers = new HashMap<>();

    /** The catalog as of the last change, once asked for. */
    @Nullable private SegmentCatalog built;

    @Nullable private SegmentOrdinals ordinals;

    /** An empty workspace. */
    public CatalogBuilder() {
        this(SegmentCatalog.empty());
    }

    /**
     * An empty workspace that numbers segments as {@code ordinals} did: a reader restoring its
     * definitions starts here, so that profiles stored before the restore read right.
     */
    public CatalogBuilder(SegmentOrdinals ordinals) {
        this(SegmentCatalog.empty(ordinals));
    }

    /** Changes starting from {@code from} (which stays as it is). */
    CatalogBuilder(SegmentCatalog from) {
        this.sources = new LinkedHashMap<>(from.sources());
        this.compiled = new LinkedHashMap<>(from.segmentsById());
        this.ordinalById = new HashMap<>(from.ordinals().asMap());
        this.ordinalIds = new ArrayList<>(from.ordinals().ids());
        this.storeByHash = new HashMap<>(from.ordinals().storesAsMap());
        this.storeHashes = new ArrayList<>(from.ordinals().storeHashes());
        this.changedAt = new HashMap<>(from.changeStamps());
        this.epoch = from.epoch();
        this.ordinals = from.ordinals();
        this.built = from;
        sources.forEach((id, s) -> refer(id, s, true));
    }

    /** The epoch of the latest change. */
    public long epoch() {
        return epoch;
    }

    /** Whether segment {@code id} is in the catalog (live and compiled). */
    public boolean holds(String id) {
        return compiled.containsKey(id);
    }

    /** The number of segment {@code id}, or -1 when it has none. */
    public int ordinal(String id) {
        Integer n = ordinalById.get(id);
        return n == null ? -1 : n;
    }

    /** How many numbers are given out (removed segments keep theirs). */
    public int ordinalCount() {
        return ordinalIds.size();
    }

    /** The segment id numbered {@code ordinal}. */
    public String idOf(int ordinal) {
        return ordinalIds.get(ordinal);
    }

    /** How many counter stores are numbered (see {@link SegmentOrdinals}). */
    public int storeCount() {
        return storeHashes.size();
    }

    /** The hash of the counter store numbered {@code number}. */
    public long storeHashOf(int number) {
        return storeHashes.get(number);
    }

    /**
     * The catalog as of the latest change: built (copied and, at its first evaluation, indexed)
     * once per burst of changes.
     */
    public SegmentCatalog build() {
        if (built == null) {
            if (ordinals == null) {
                ordinals = SegmentOrdinals.of(ordinalById, ordinalIds, storeByHash, storeHashes);
            }
            built =
                    new SegmentCatalog(
                            Map.copyOf(sources),
                            Collections.unmodifiableMap(new LinkedHashMap<>(compiled)),
                            ordinals,
                            Map.copyOf(changedAt),
                            epoch);
        }
        return built;
    }

    /**
     * Adds or replaces segment {@code id}, a change at epoch {@code at}. Segments that reference it
     * are recompiled too and reported as changed. On a problem (unknown reference, cycle) nothing
     * changes. A new version of a live segment with the same definition changes no answer: it is
     * reported as no change and not stamped.
     */
    public Change put(String id, long version, Definition definition, long at) {
        SegmentCatalog.Source held = sources.get(id);
        SegmentCatalog.Source source = SegmentCatalog.Source.of(definition, version);
        if (held != null && held.definition().equals(definition) && compiled.containsKey(id)) {
            // A new version with the same definition (a new name, tags, activations): no segment
            // answers differently, so nothing is stamped and no user is evaluated again; the
            // segment carries its new version from now on.
            CompiledSegment s = compiled.get(id);
            sources.put(id, source);
            compiled.put(id, compile(id, s.ordinal(), version, s.definition()));
            built = null;
            return NONE;
        }
        Function<String, Definition> lookup =
                ref -> ref.equals(id) ? definition : definitionOf(ref);
        int ordinal = ordinalById.getOrDefault(id, ordinalIds.size());
        Set<String> changed = new LinkedHashSet<>();
        changed.add(id);
        changed.addAll(dependents(id));
        Map<String, CompiledSegment> next = new LinkedHashMap<>();
        for (String s : changed) {
            SegmentCatalog.Source src = s.equals(id) ? source : sources.get(s);
            SegmentResolver.Result r = SegmentResolver.resolve(src.definition(), s, lookup);
            if (r.definition() == null) {
                return new Change(Set.of(), r.problems());
            }
            int n = s.equals(id) ? ordinal : ordinalById.get(s);
            next.put(s, compile(s, n, src.version(), r.definition()));
        }
        if (held != null) {
            refer(id, held, false);
        }
        sources.put(id, source);
        refer(id, source, true);
        if (ordinal == ordinalIds.size()) {
            number(id);
        }
        next.forEach(
                (s, c) -> {
                    compiled.remove(s); // re-inserted last, as a new segment would be
                    compiled.put(s, c);
                });
        stamp(changed, at);
        epoch = Math.max(epoch, at);
        built = null;
        return new Change(Collections.unmodifiableSet(changed), List.of());
    }

    /**
     * Removes segment {@code id}, a change at epoch {@code at}. Segments that reference it can no
     * longer be evaluated: they are removed as well, reported as changed, and named in the
     * problems. Removing a segment not held changes no segment but is stamped all the same: a
     * profile may hold a membership of it from before a restore.
     */
    public Change remove(String id, long at) {
        built = null;
        SegmentCatalog.Source held = sources.remove(id);
        if (held == null) {
            changedAt.put(id, at);
            epoch = Math.max(epoch, at);
            return NONE;
        }
        refer(id, held, false);
        Set<String> changed = new LinkedHashSet<>();
        changed.add(id);
        changed.addAll(dependents(id));
        List<Problem> problems = new ArrayList<>();
        for (String s : changed) {
            compiled.remove(s);
            SegmentCatalog.Source src = sources.get(s);
            if (src == null) {
                continue;
            }
            SegmentResolver.Result r =
                    SegmentResolver.resolve(src.definition(), s, this::definitionOf);
            if (r.definition() == null) {
                refer(s, sources.remove(s), false);
                problems.add(
                        Problem.error(
                                "dependency_removed",
                                "",
                                "segment " + s + " referenced " + id + " and was removed with it"));
                continue;
            }
            compiled.put(s, compile(s, ordinalById.get(s), src.version(), r.definition()));
        }
        stamp(changed, at);
        epoch = Math.max(epoch, at);
        return new Change(Collections.unmodifiableSet(changed), List.copyOf(problems));
    }

    /**
     * Adds or replaces many segments at the next epoch (a bulk load). A segment that cannot be
     * compiled (unknown reference, cycle) is left out and named in the problems; the others go in.
     */
    public Change putAll(Map<String, Definition> definitions, long version) {
        built = null;
        Set<String> changed = new LinkedHashSet<>(definitions.keySet());
        Set<String> replaced = new LinkedHashSet<>(); // in input order: changed stays ordered
        for (Map.Entry<String, Definition> e : definitions.entrySet()) {
            SegmentCatalog.Source held = sources.get(e.getKey());
            if (held != null) {
                refer(e.getKey(), held, false);
                replaced.add(e.getKey());
            }
            SegmentCatalog.Source source = SegmentCatalog.Source.of(e.getValue(), version);
            sources.put(e.getKey(), source);
            refer(e.getKey(), source, true);
            if (!ordinalById.containsKey(e.getKey())) {
                number(e.getKey());
            }
        }
        for (String id : replaced) {
            changed.addAll(dependents(id)); // a replaced segment's referrers recompile
        }
        List<Problem> problems = new ArrayList<>();
        for (String s : changed) {
            compiled.remove(s);
            SegmentCatalog.Source src = sources.get(s);
            SegmentResolver.Result r =
                    SegmentResolver.resolve(src.definition(), s, this::definitionOf);
            if (r.definition() == null) {
                problems.addAll(r.problems());
                continue;
            }
            compiled.put(s, compile(s, ordinalById.get(s), src.version(), r.definition()));
        }
        for (String s : changed) {
            if (!compiled.containsKey(s)) {
                refer(s, sources.remove(s), false);
            }
        }
        epoch++;
        stamp(changed, epoch);
        return new Change(Collections.unmodifiableSet(changed), List.copyOf(problems));
    }

    // ---- internals ---------------------------------------------------------------------------

    @Nullable
    private Definition definitionOf(String id) {
        SegmentCatalog.Source s = sources.get(id);
        return s == null ? null : s.definition();
    }

    private CompiledSegment compile(String id, int ordinal, long version, Definition resolved) {
        return SegmentCompiler.compile(id, ordinal, version, resolved, this::storeNumber);
    }

    /**
     * The number of the counter store {@code hash}, given now if it has none. A compilation that
     * fails half-way, or a segment evaluated from history after all, may leave numbers no profile
     * uses: every reader of the log leaves the same ones.
     */
    private int storeNumber(long hash) {
        Integer n = storeByHash.get(hash);
        if (n != null) {
            return n;
        }
        int next = storeHashes.size();
        storeByHash.put(hash, next);
        storeHashes.add(hash);
        ordinals = null;
        built = null; // a catalog copied from the next one must not give the number again
        return next;
    }

    private void number(String id) {
        ordinalById.put(id, ordinalIds.size());
        ordinalIds.add(id);
        ordinals = null;
    }

    /** Records (or, with {@code add} false, forgets) the references of {@code id}'s source. */
    private void refer(String id, SegmentCatalog.Source source, boolean add) {
        for (String ref : source.references()) {
            if (add) {
                referrers.computeIfAbsent(ref, k -> new LinkedHashSet<>()).add(id);
            } else {
                Set<String> of = referrers.get(ref);
                if (of != null && of.remove(id) && of.isEmpty()) {
                    referrers.remove(ref);
                }
            }
        }
    }

    /** Every segment that references {@code id}, directly or through others. */
    private Set<String> dependents(String id) {
        Set<String> out = new LinkedHashSet<>();
        Deque<String> todo = new ArrayDeque<>();
        todo.add(id);
        while (!todo.isEmpty()) {
            for (String r : referrers.getOrDefault(todo.poll(), Set.of())) {
                if (!r.equals(id) && out.add(r)) {
                    todo.add(r);
                }
            }
        }
        return out;
    }

    /**
     * Stamps segments {@code changed} with epoch {@code at}. A segment evaluates its references
     * inlined, so it changed whenever one of them did: on a restore, which replays each segment's
     * latest record only, a referrer is put after a segment it references that was edited later,
     * and must carry that later stamp as it did before the restore.
     */
    private void stamp(Set<String> changed, long at) {
        for (String s : changed) {
            changedAt.put(s, at);
        }
        boolean grew = true;
        while (grew) {
            grew = false;
            for (String s : changed) {
                SegmentCatalog.Source src = sources.get(s);
                if (src == null) {
                    continue;
                }
                for (String ref : src.references()) {
                    Long t = changedAt.get(ref);
                    if (t != null && t > changedAt.get(s)) {
                        changedAt.put(s, t);
                        grew = true;
                    }
                }
            }
        }
    }
}
