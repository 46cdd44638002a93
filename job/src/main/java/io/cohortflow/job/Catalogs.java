package io.cohortflow.job;

import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.Keys;
import io.cohortflow.core.contract.SegmentRecord;
import io.cohortflow.core.definition.DefinitionParser;
import io.cohortflow.core.definition.Problem;
import io.cohortflow.core.eval.CatalogBuilder;
import io.cohortflow.core.eval.SegmentCatalog;
import io.cohortflow.core.eval.SegmentOrdinals;
import io.cohortflow.job.model.DefinitionUpdate;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A subtask's compiled definitions: one {@link SegmentCatalog} per workspace, kept in step with the
 * definitions log (applied in log order, each change stamped with its record's epoch) and rebuilt
 * from broadcast state after a restore. Plus each segment's activation map, for replies.
 *
 * <p>Each workspace's definitions are held in a {@link CatalogBuilder}, so a record costs the
 * segments it changes; the catalog users are evaluated against is built when first asked for after
 * a change, once for a burst of records (a job reading its log at start-up, a restore).
 */
final class Catalogs {
    private static final Logger LOG = LoggerFactory.getLogger(Catalogs.class);

    /**
     * What applying a record did.
     *
     * @param changed the record's segment and those that changed with it (empty for a write that
     *     lost a race)
     * @param refused why the job refused a live definition (it could not compile it), or null
     * @param effective whether some user may answer differently: false for a write that lost and
     *     for a new version that changes only metadata (name, tags, activations), which no user
     *     needs to see
     * @param dropped the segments of {@code changed} the record took out of the catalog with its
     *     own (they reference it, and it is no longer live), with why
     */
    record Applied(
            Set<String> changed,
            @Nullable String refused,
            boolean effective,
            Map<String, String> dropped) {}

    static final Applied NOTHING = new Applied(Set.of(), null, false, Map.of());

    @Nullable private Map<String, CatalogBuilder> catalogs;
    private final Map<String, Map<String, Boolean>> activations = new HashMap<>();

    /**
     * The numbers a bootstrap savepoint's profiles were written under (the backfill's {@link
     * #numbering}), for each workspace broadcast state holds none of: the bootstrapped job reads
     * the definitions log afresh, and the order it would number them in may differ from the
     * backfill's (a definitions file in another order, records compacted away meanwhile).
     */
    private final Map<String, Long> bootstrapNumbering;

    Catalogs() {
        this(Map.of());
    }

    Catalogs(Map<String, Long> bootstrapNumbering) {
        this.bootstrapNumbering = bootstrapNumbering;
    }

    /**
     * Per workspace, the segments whose latest record is a deletion (a rollback can bring one
     * back): their audiences are forgotten (see {@link AudienceDeltas#removed}). From broadcast
     * state, as the catalogs are; one id per deleted segment, as that state holds its record.
     */
    private final Map<String, Set<String>> deleted = new HashMap<>();

    /**
     * A record's epoch in the catalogs: its offset plus one, since epoch 0 means "no change" (see
     * {@link SegmentCatalog#epoch}) and the first record of a topic is at offset 0.
     */
    static long epoch(DefinitionUpdate u) {
        return u.offset + 1;
    }

    /** The version of segment {@code key} the broadcast state holds, 0 for none. */
    static long versionOf(ReadOnlyBroadcastState<String, DefinitionUpdate> defs, String key)
            throws Exception {
        DefinitionUpdate held = defs.get(key);
        return held == null ? 0 : Json.read(held.value, SegmentRecord.class).version();
    }

    SegmentCatalog catalog(String workspace) {
        CatalogBuilder b = catalogs == null ? null : catalogs.get(workspace);
        return b == null ? SegmentCatalog.empty() : b.build();
    }

    /** Every workspace's catalog. */
    Map<String, SegmentCatalog> all() {
        Map<String, SegmentCatalog> all = new HashMap<>();
        if (catalogs != null) {
            catalogs.forEach((workspace, b) -> all.put(workspace, b.build()));
        }
        return Collections.unmodifiableMap(all);
    }

    private CatalogBuilder builder(String workspace) {
        return catalogs.computeIfAbsent(workspace, w -> new CatalogBuilder());
    }

    /** Whether segment {@code id}'s latest record is a deletion. */
    boolean deleted(String workspace, String id) {
        Set<String> ids = deleted.get(workspace);
        return ids != null && ids.contains(id);
    }

    /** Per workspace, the segments whose latest record is a deletion. */
    Map<String, Set<String>> deleted() {
        return Collections.unmodifiableMap(deleted);
    }

    private void deleted(SegmentRecord r) {
        if (r.deleted()) {
            deleted.computeIfAbsent(r.workspace(), w -> new HashSet<>()).add(r.id());
        } else if (deleted.containsKey(r.workspace())) {
            deleted.get(r.workspace()).remove(r.id());
        }
    }

    /** Platform to enabled for segment {@code key} (workspace/segment). */
    Map<String, Boolean> activations(String key) {
        return activations.getOrDefault(key, Map.of());
    }

    /**
     * Applies a record when it follows the version held ({@link SegmentRecord#follows}): a live
     * definition is compiled into its workspace's catalog (or, if the job cannot compile it,
     * removed from it and reported refused), any other record removes the segment.
     */
    Applied apply(
            SegmentRecord r,
            DefinitionUpdate u,
            BroadcastState<String, DefinitionUpdate> defs,
            BroadcastState<String, Long> progress)
            throws Exception {
        String key = r.key();
        if (!r.follows(versionOf(defs, key))) {
            return NOTHING; // a concurrent write that lost: every reader ignores it alike
        }
        DefinitionUpdate held = defs.get(key);
        defs.put(key, u);
        deleted(r);
        CatalogBuilder catalog = builder(r.workspace());
        CatalogBuilder.Change update = null;
        String problem = null;
        if (r.live()) {
            try {
                DefinitionParser.Result parsed = DefinitionParser.parse(r.definition());
                if (parsed.ok()) {
                    update = catalog.put(r.id(), r.version(), parsed.definition(), epoch(u));
                    problem = update.ok() ? null : Problem.describe(update.problems());
                } else {
                    problem = Problem.describe(parsed.problems());
                }
            } catch (RuntimeException | StackOverflowError e) {
                // The service validates before it writes; a definition the engine still cannot
                // compile is refused here, not allowed to fail the job on every restart.
                LOG.warn("segment {} version {} could not be compiled", key, r.version(), e);
                problem = "the job could not compile the definition: " + e;
            }
        }
        if (update == null || problem != null) {
            update = catalog.remove(r.id(), epoch(u));
        }
        Map<String, String> dropped = new LinkedHashMap<>();
        for (String id : update.changed()) {
            if (!id.equals(r.id()) && !catalog.holds(id)) {
                // A referrer removed with the segment it references stays removed here, even if
                // that segment comes back: remembered as refused, so that a restore, which
                // retries every referrer, does not put it back either.
                String other = Keys.of(r.workspace(), id);
                progress.put(Descriptors.REFUSED + other, defs.get(other).offset);
                dropped.put(id, "it references " + r.id() + ", which is no longer live");
            }
        }
        storeOrdinals(r.workspace(), catalog, progress);
        // A refusal is remembered, so that a restore refuses the record too (it might compile
        // then, a segment it references having come since, but no user ever saw it live).
        if (problem != null) {
            progress.put(Descriptors.REFUSED + key, u.offset);
        } else {
            progress.remove(Descriptors.REFUSED + key);
        }
        boolean metadataOnly = problem == null && r.live() && update.changed().isEmpty();
        if (!metadataOnly) {
            progress.remove(Descriptors.CHANGED_AT + key);
        } else if (held != null && !progress.contains(Descriptors.CHANGED_AT + key)) {
            progress.put(Descriptors.CHANGED_AT + key, epoch(held));
        }
        activations.put(key, r.activations() == null ? Map.of() : r.activations());
        Set<String> changed = new LinkedHashSet<>(update.changed());
        boolean effective = !changed.isEmpty() || problem != null;
        changed.add(r.id());
        return new Applied(changed, problem, effective, dropped);
    }

    /**
     * Builds the catalogs from broadcast state, once: after a restore, in log order, numbering
     * segments as they were numbered before (state from before ordinals were stored numbers them in
     * log order, as every subtask does alike; its profiles name segments by id), and stamping each
     * segment as the live job did (see docs/job.md): its record's epoch, for a referrer the latest
     * of what it references, and a removal for a record that is not a live, compilable definition.
     * Returns whether it built them now.
     */
    boolean load(
            ReadOnlyBroadcastState<String, DefinitionUpdate> defs,
            ReadOnlyBroadcastState<String, Long> progress)
            throws Exception {
        if (catalogs != null) {
            return false;
        }
        catalogs = new HashMap<>();
        Map<String, Map<String, Integer>> ordinals = new HashMap<>();
        Map<String, Map<Long, Integer>> stores = new HashMap<>();
        for (Map.Entry<String, Long> e : progress.immutableEntries()) {
            number(e.getKey(), e.getValue(), ordinals, stores);
        }
        // A bootstrapped job's profiles are the backfill's: its numbers, where none are stored.
        Set<String> stored = new HashSet<>(ordinals.keySet());
        bootstrapNumbering.forEach(
                (key, n) -> {
                    if (!stored.contains(workspaceOf(key))) {
                        number(key, n, ordinals, stores);
                    }
                });
        // State from before stores were numbered has none stored: they are numbered afresh, and
        // its profiles (counters under hashes) are rebuilt from their histories.
        ordinals.forEach(
                (workspace, table) ->
                        catalogs.put(
                                workspace,
                                new CatalogBuilder(
                                        SegmentOrdinals.restore(
                                                table, stores.getOrDefault(workspace, Map.of())))));
        TreeMap<Long, DefinitionUpdate> byOffset = new TreeMap<>();
        for (Map.Entry<String, DefinitionUpdate> e : defs.immutableEntries()) {
            byOffset.put(e.getValue().offset, e.getValue());
        }
        // In log order, then again for those whose references were not in the catalog yet: a
        // segment is held under its latest record only, so a referenced segment edited after its
        // referrer comes after it here although the referrer compiled when it arrived.
        List<DefinitionUpdate> pending = new ArrayList<>(byOffset.values());
        boolean progressed = true;
        while (!pending.isEmpty() && progressed) {
            progressed = false;
            List<DefinitionUpdate> again = new ArrayList<>();
            for (DefinitionUpdate u : pending) {
                SegmentRecord r;
                try {
                    r = Json.read(u.value, SegmentRecord.class);
                } catch (IOException | RuntimeException e) {
                    // Refused when it arrived (dead-lettered then); a restore must not fail on it.
                    LOG.warn("definition at offset {} skipped on restore", u.offset, e);
                    continue;
                }
                activations.put(r.key(), r.activations() == null ? Map.of() : r.activations());
                deleted(r);
                Long refusedAt = progress.get(Descriptors.REFUSED + r.key());
                if (!r.live() || (refusedAt != null && refusedAt == u.offset)) {
                    // Deleted, unpublished, refused when it arrived or removed later with a
                    // segment it references (it may compile now that a segment it references
                    // exists, but the live job did not hold it): its removal still stamps the
                    // catalog, as a profile may hold a membership of it.
                    remove(r, u);
                    continue;
                }
                try {
                    DefinitionParser.Result parsed = DefinitionParser.parse(r.definition());
                    // Stamped as the live job stamped it: at the record that last changed its
                    // evaluation, where the latest changed only metadata.
                    Long changedAt = progress.get(Descriptors.CHANGED_AT + r.key());
                    long at = changedAt == null ? epoch(u) : changedAt;
                    CatalogBuilder.Change up =
                            parsed.ok()
                                    ? builder(r.workspace())
                                            .put(r.id(), r.version(), parsed.definition(), at)
                                    : null;
                    if (up == null) {
                        remove(r, u);
                    } else if (up.ok()) {
                        progressed = true;
                    } else {
                        again.add(u);
                    }
                } catch (RuntimeException | StackOverflowError e) {
                    LOG.warn("definition at offset {} refused on restore", u.offset, e);
                    remove(r, u);
                }
            }
            pending = again;
        }
        for (DefinitionUpdate u : pending) {
            LOG.warn("definition at offset {} not restored: its references are not live", u.offset);
            remove(Json.read(u.value, SegmentRecord.class), u);
        }
        return true;
    }

    /** The record's segment out of its catalog, stamped (a profile may hold a membership of it). */
    private void remove(SegmentRecord r, DefinitionUpdate u) {
        builder(r.workspace()).remove(r.id(), epoch(u));
    }

    /**
     * Every number the catalogs gave out, as broadcast state stores them ({@link #storeOrdinals}):
     * what a backfill hands the job it bootstraps, whose profiles it wrote under them.
     */
    Map<String, Long> numbering() {
        Map<String, Long> out = new HashMap<>();
        if (catalogs != null) {
            catalogs.forEach(
                    (workspace, b) -> {
                        for (int n = 0; n < b.ordinalCount(); n++) {
                            out.put(ordinalKey(workspace, b.idOf(n)), (long) n);
                        }
                        for (int n = 0; n < b.storeCount(); n++) {
                            out.put(storeKey(workspace, b.storeHashOf(n)), (long) n);
                        }
                    });
        }
        return out;
    }

    private static String ordinalKey(String workspace, String id) {
        return Descriptors.ORDINAL + Keys.of(workspace, id);
    }

    private static String storeKey(String workspace, long hash) {
        return Descriptors.STORE + Keys.of(workspace, Long.toString(hash));
    }

    /** The workspace of a stored number's key, or "" for another kind of key. */
    private static String workspaceOf(String key) {
        for (String prefix : List.of(Descriptors.ORDINAL, Descriptors.STORE)) {
            if (key.startsWith(prefix)) {
                return Keys.workspace(key.substring(prefix.length()));
            }
        }
        return "";
    }

    /** A stored number read into its workspace's tables (other keys of the state are skipped). */
    private static void number(
            String key,
            long n,
            Map<String, Map<String, Integer>> ordinals,
            Map<String, Map<Long, Integer>> stores) {
        if (key.startsWith(Descriptors.ORDINAL)) {
            String k = key.substring(Descriptors.ORDINAL.length());
            ordinals.computeIfAbsent(Keys.workspace(k), w -> new HashMap<>())
                    .put(Keys.id(k), (int) n);
        } else if (key.startsWith(Descriptors.STORE)) {
            String k = key.substring(Descriptors.STORE.length());
            stores.computeIfAbsent(Keys.workspace(k), w -> new HashMap<>())
                    .put(Long.parseLong(Keys.id(k)), (int) n);
        }
    }

    /**
     * Stores the numbers a catalog gave out since the last call (segments' and counter stores'), so
     * that a restore keeps them.
     */
    private static void storeOrdinals(
            String workspace, CatalogBuilder ordinals, BroadcastState<String, Long> progress)
            throws Exception {
        for (int n = ordinals.ordinalCount() - 1; n >= 0; n--) {
            String key = ordinalKey(workspace, ordinals.idOf(n));
            if (progress.contains(key)) {
                break; // numbers are given out in order: the older ones are stored
            }
            progress.put(key, (long) n);
        }
        for (int n = ordinals.storeCount() - 1; n >= 0; n--) {
            String key = storeKey(workspace, ordinals.storeHashOf(n));
            if (progress.contains(key)) {
                break;
            }
            progress.put(key, (long) n);
        }
    }
}
