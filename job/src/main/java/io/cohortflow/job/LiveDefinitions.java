package io.cohortflow.job;

import io.cohortflow.core.contract.AppliedRecord;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.Keys;
import io.cohortflow.core.contract.SegmentRecord;
import io.cohortflow.core.eval.SegmentCatalog;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.KafkaMessage;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One subtask's side of the definitions log: records applied in log order into the workspaces'
 * catalogs ({@link Catalogs}), kept in broadcast state, and reported on the applied topic; whether
 * the log has been read far enough for users to be evaluated; whether a change must reach every
 * user (a sweep). Applying a record touches no user: {@link SegmentationFunction} brings each user
 * up to the catalogs at their next event, timer or sweep visit.
 *
 * <p>Until the log has been read to the offset it had when the job was built, users are not
 * evaluated (a partial set of definitions would emit wrong memberships): {@link #evaluating} is
 * then the empty catalog.
 */
final class LiveDefinitions {
    private static final Logger LOG = LoggerFactory.getLogger(LiveDefinitions.class);

    private final long endOffset;
    private final Outputs outputs;
    private final Catalogs catalogs;
    private boolean ready;

    /** A change since the last {@link #takeSweep} that every user of this subtask must see. */
    private boolean sweepWanted;

    /**
     * Whether the segments deleted before a restore are to be handed to the audience counts, until
     * {@link #takeRestoredDeletions} has taken them.
     */
    private boolean handOnDeletions;

    /** The segments deleted before a restore, until {@link #takeRestoredDeletions}. */
    @Nullable private Map<String, Set<String>> restoredDeletions;

    /**
     * @param endOffset the definitions topic's end offset when the job was built: users are
     *     evaluated once the log is read that far
     */
    LiveDefinitions(long endOffset, Outputs outputs) {
        this(endOffset, outputs, Map.of());
    }

    /**
     * @param bootstrapNumbering the numbers of the backfill that bootstrapped the job (see {@link
     *     Catalogs#numbering}), empty for none
     */
    LiveDefinitions(long endOffset, Outputs outputs, Map<String, Long> bootstrapNumbering) {
        this.endOffset = endOffset;
        this.outputs = outputs;
        this.catalogs = new Catalogs(bootstrapNumbering);
    }

    /**
     * Every number the catalogs gave segments and counter stores (see {@link Catalogs#numbering}).
     */
    Map<String, Long> numbering() {
        return catalogs.numbering();
    }

    /**
     * Whether the definitions have been read far enough for users to be evaluated; builds the
     * catalogs from broadcast state first, once (after a restore).
     */
    boolean ready(
            ReadOnlyBroadcastState<String, DefinitionUpdate> defs,
            ReadOnlyBroadcastState<String, Long> progress)
            throws Exception {
        if (catalogs.load(defs, progress) && handOnDeletions) {
            restoredDeletions = new HashMap<>();
            catalogs.deleted().forEach((w, ids) -> restoredDeletions.put(w, Set.copyOf(ids)));
        }
        checkReady(progress);
        return ready;
    }

    /** Whether segment {@code id}'s latest record is a deletion. */
    boolean deleted(String workspace, String id) {
        return catalogs.deleted(workspace, id);
    }

    /**
     * The segments deleted before the restore are to be handed to the audience counts ({@link
     * #takeRestoredDeletions}): the restored state says they were not (see {@link
     * Descriptors#AUDIENCE_DELETIONS}). Before the catalogs are built.
     */
    void handOnRestoredDeletions() {
        handOnDeletions = true;
    }

    /** Whether segments deleted before the restore are still to be handed on. */
    boolean restoredDeletionsPending() {
        return handOnDeletions;
    }

    /**
     * Once, after the catalogs are built from broadcast state (a restore), if {@link
     * #handOnRestoredDeletions}: per workspace, the segments deleted before it. Their audiences may
     * still be held, by a job from before deletions forgot them (see {@link
     * AudienceDeltas#removed}). Empty before and after, and always without {@link
     * #handOnRestoredDeletions}: a job that hands each deletion on as it applies it has nothing of
     * them to hand on again (handing them all on after every restore cost a record per segment ever
     * deleted).
     */
    Map<String, Set<String>> takeRestoredDeletions() {
        Map<String, Set<String>> taken = restoredDeletions;
        if (taken == null) {
            return Map.of();
        }
        restoredDeletions = null;
        handOnDeletions = false;
        return taken;
    }

    /** Whether users are evaluated: the log has been read to its end offset at start. */
    boolean isReady() {
        return ready;
    }

    /** The catalog to evaluate users of {@code workspace} against: empty until {@link #ready}. */
    SegmentCatalog evaluating(String workspace) {
        return ready ? catalogs.catalog(workspace) : SegmentCatalog.empty();
    }

    /** The workspace's catalog, ready or not. */
    SegmentCatalog catalog(String workspace) {
        return catalogs.catalog(workspace);
    }

    /** Per platform, the segments of {@code cohorts} activated on it (for a reply). */
    Map<String, List<String>> activations(String workspace, List<String> cohorts) {
        Map<String, List<String>> out = new TreeMap<>();
        for (String id : cohorts) {
            for (Map.Entry<String, Boolean> p :
                    catalogs.activations(Keys.of(workspace, id)).entrySet()) {
                if (Boolean.TRUE.equals(p.getValue())) {
                    out.computeIfAbsent(p.getKey(), k -> new ArrayList<>()).add(id);
                }
            }
        }
        return out;
    }

    /**
     * Applies one record of the log when it follows the version held (so that concurrent writers
     * agree), and reports what it changed: {@code live} for a change users must see, {@code
     * applied} for a metadata-only version, {@code rejected} for a definition the job cannot
     * compile. During start-up, once the log is read to its end, every segment read so far is
     * reported live at once. Returns the segment (workspace/segment) the record deleted, or null.
     */
    @Nullable String apply(
            DefinitionUpdate u,
            BroadcastState<String, DefinitionUpdate> defs,
            BroadcastState<String, Long> progress,
            int subtask,
            int parallelism,
            Consumer<KafkaMessage> side)
            throws Exception {
        boolean wasReady = ready(defs, progress);
        SegmentRecord record = parse(u, subtask, side);
        Catalogs.Applied applied = Catalogs.NOTHING;
        if (record != null) {
            applied = catalogs.apply(record, u, defs, progress);
            if (applied.refused() != null) {
                outputs.definitionDeadLetter(
                        u, "invalid_definition", applied.refused(), subtask, side);
            }
        }
        progress.put(Descriptors.OFFSET, u.offset);
        checkReady(progress);

        if (ready && !wasReady) {
            LOG.info("definitions read to offset {}: every user is evaluated", u.offset);
            sweepWanted = true;
            // Until now events were stored, not evaluated: nothing was live before.
            reports(AppliedRecord.LIVE, -2, u.offset, subtask, parallelism).forEach(side);
        } else if (ready && applied.effective()) {
            sweepWanted = true;
        }
        for (String id : applied.changed()) {
            // The record's own segment may be refused, and those it changed with it removed.
            String rejected =
                    id.equals(record.id()) ? applied.refused() : applied.dropped().get(id);
            if (rejected == null && !wasReady) {
                continue; // reported live (above) once the definitions are read to their end
            }
            side.accept(
                    outputs.applied(
                            new AppliedRecord(
                                    record.workspace(),
                                    id,
                                    Catalogs.versionOf(defs, Keys.of(record.workspace(), id)),
                                    u.offset,
                                    Instant.now().toString(),
                                    subtask,
                                    parallelism,
                                    status(applied, rejected),
                                    rejected)));
        }
        return record != null && record.deleted() && !applied.changed().isEmpty()
                ? record.key()
                : null;
    }

    /** A metadata-only version needs no user visited: it is applied as soon as it is live. */
    private static String status(Catalogs.Applied applied, @Nullable String rejected) {
        if (rejected != null) {
            return AppliedRecord.REJECTED;
        }
        return applied.effective() ? AppliedRecord.LIVE : AppliedRecord.APPLIED;
    }

    @Nullable
    private SegmentRecord parse(DefinitionUpdate u, int subtask, Consumer<KafkaMessage> side) {
        if (u.value == null) {
            return null; // a tombstone: segments are deleted by a record with deleted=true
        }
        try {
            return record(u.value);
        } catch (IOException e) {
            outputs.definitionDeadLetter(u, "invalid_definition", e.getMessage(), subtask, side);
            return null;
        }
    }

    /**
     * A record of the log as a segment record the job can key, or why not (JSON that does not
     * parse: a {@link com.fasterxml.jackson.core.JsonParseException}).
     */
    static SegmentRecord record(byte[] value) throws IOException {
        SegmentRecord r = Json.read(value, SegmentRecord.class);
        // JSON's null reads as no record at all: refused like one without fields, where the
        // operator would otherwise fail on it at every replay of the topic.
        if (r == null || r.workspace() == null || r.id() == null || r.version() < 1) {
            throw new IOException("a segment record needs workspace, id and a version >= 1");
        }
        if (!Keys.validWorkspace(r.workspace())) {
            // Keys join workspace and id at the first '/': such a record could not be keyed,
            // and throwing there would fail the job on every replay of the topic.
            throw new IOException("a workspace id is not empty and has no '/': " + r.workspace());
        }
        return r;
    }

    /**
     * Whether a definitions change since the last call must reach every user of this subtask: the
     * operator then starts a sweep (see {@link SegmentationOperator}).
     */
    boolean takeSweep() {
        boolean wanted = sweepWanted;
        sweepWanted = false;
        return wanted;
    }

    /** The definitions-topic offset read so far, -1 for none: what a sweep starting now reaches. */
    static long read(ReadOnlyBroadcastState<String, Long> progress) throws Exception {
        Long offset = progress.get(Descriptors.OFFSET);
        return offset == null ? -1 : offset;
    }

    /**
     * Reports with {@code status} for the segments changed by records at offsets in {@code (after,
     * through]}: one per live segment (a removed or refused one has nothing to apply). {@link
     * AppliedRecord#APPLIED} when a sweep has brought every user of this subtask up to them, {@link
     * AppliedRecord#LIVE} when the definitions are read far enough for users to be evaluated. The
     * catalogs must be loaded ({@link #ready}).
     */
    List<KafkaMessage> reports(
            String status, long after, long through, int subtask, int parallelism) {
        String now = Instant.now().toString();
        List<KafkaMessage> reports = new ArrayList<>();
        for (Map.Entry<String, SegmentCatalog> c : catalogs.all().entrySet()) {
            String workspace = c.getKey();
            SegmentCatalog catalog = c.getValue();
            Set<String> changed = catalog.changedSince(after + 1);
            for (String id : changed) {
                long offset = catalog.changedAt(id) - 1;
                if (offset > through || catalog.segment(id).isEmpty()) {
                    continue;
                }
                reports.add(
                        outputs.applied(
                                new AppliedRecord(
                                        workspace,
                                        id,
                                        catalog.segment(id).get().version(),
                                        offset,
                                        now,
                                        subtask,
                                        parallelism,
                                        status,
                                        null)));
            }
        }
        return reports;
    }

    private void checkReady(ReadOnlyBroadcastState<String, Long> progress) throws Exception {
        if (!ready) {
            ready = read(progress) >= endOffset - 1;
        }
    }
}
