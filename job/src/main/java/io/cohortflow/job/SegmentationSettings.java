package io.cohortflow.job;

import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.core.eval.EngineConfig;
import io.cohortflow.core.event.Event;
import java.io.Serializable;
import org.jspecify.annotations.Nullable;

/**
 * What {@link SegmentationFunction} needs from the job's configuration; serializable with the
 * function.
 *
 * @param orderedState keyed state is RocksDB's: map state iterates in key order, and a value read
 *     is a deserialized copy (a heap backend hands out the stored object itself)
 * @param countFrom events before this instant are skipped: a backfill counted them (the cut-over of
 *     a bootstrapped job), or they are outside a backfill's range
 * @param countUntil events at or after this instant are skipped (a backfill's end)
 * @param asOf a backfill's end: lapses before it are applied, those from it on left to the
 *     streaming job (as the events from it on are), and at it each user's memberships and state are
 *     emitted ({@link Descriptors#SNAPSHOT}, {@link Descriptors#STATE}); {@code Long.MAX_VALUE}
 *     when streaming
 * @param idempotencyWindowMillis how long a request's answer is kept for a retry with the same
 *     idempotency key
 * @param userTtlMillis how long a user with no new event is kept (0: for ever), and per workspace
 *     where it differs
 * @param bootstrapNumbering the numbers the backfill that bootstrapped this job gave segments and
 *     counter stores (its cut-over's, see {@link Catalogs#numbering}), which its profiles are
 *     written under; empty for none
 */
public record SegmentationSettings(
        long horizonMillis,
        int historyCap,
        long maxFutureSkewMillis,
        TopicNames topics,
        long definitionsEndOffset,
        boolean orderedState,
        long countFrom,
        long countUntil,
        long asOf,
        int poisonAttempts,
        long idempotencyWindowMillis,
        long userTtlMillis,
        java.util.HashMap<String, Long> workspaceUserTtlMillis,
        java.util.HashMap<String, Long> bootstrapNumbering)
        implements Serializable {

    /** Failed attempts after which a record that keeps failing its task is skipped. */
    public static final int DEFAULT_POISON_ATTEMPTS = 3;

    /** How long an answer is kept for a retry, when not configured. */
    public static final java.time.Duration DEFAULT_IDEMPOTENCY_WINDOW =
            java.time.Duration.ofHours(24);

    /** The streaming job. */
    public static SegmentationSettings of(
            JobConfig c, long definitionsEndOffset, boolean orderedState) {
        return new SegmentationSettings(
                c.horizon().toMillis(),
                c.historyCap(),
                c.maxFutureSkew().toMillis(),
                c.topics(),
                definitionsEndOffset,
                orderedState,
                Long.MIN_VALUE,
                Long.MAX_VALUE,
                Long.MAX_VALUE,
                c.poisonAttempts(),
                c.idempotencyWindow().toMillis(),
                c.userTtl().toMillis(),
                userTtls(c),
                new java.util.HashMap<>());
    }

    /**
     * A backfill over events in {@code [from, until)}, with memberships as of just before {@code
     * until} (lapses at it are the streaming job's, see Lapses). In batch mode definitions are read
     * before any event, so nothing waits for them (end offset 0), and keyed state is an unordered
     * hash map.
     */
    public static SegmentationSettings backfill(JobConfig c, long from, long until) {
        return of(c, 0, false).counting(from, until, until);
    }

    /** The streaming job bootstrapped by a backfill that counted events before {@code t}. */
    public SegmentationSettings countingFrom(long t) {
        return counting(t, countUntil, asOf);
    }

    /**
     * The streaming job bootstrapped by a backfill that numbered segments and counter stores so
     * (its cut-over's {@code numbering}; null for a cut-over written before it was kept).
     */
    public SegmentationSettings numberedAs(java.util.@Nullable Map<String, Long> numbering) {
        return copy(
                countFrom,
                countUntil,
                asOf,
                numbering == null ? new java.util.HashMap<>() : new java.util.HashMap<>(numbering));
    }

    private SegmentationSettings counting(long from, long until, long end) {
        return copy(from, until, end, bootstrapNumbering);
    }

    private SegmentationSettings copy(
            long from, long until, long end, java.util.HashMap<String, Long> numbering) {
        return new SegmentationSettings(
                horizonMillis,
                historyCap,
                maxFutureSkewMillis,
                topics,
                definitionsEndOffset,
                orderedState,
                from,
                until,
                end,
                poisonAttempts,
                idempotencyWindowMillis,
                userTtlMillis,
                workspaceUserTtlMillis,
                numbering);
    }

    private static java.util.HashMap<String, Long> userTtls(JobConfig c) {
        java.util.HashMap<String, Long> out = new java.util.HashMap<>();
        c.workspaceUserTtl().forEach((ws, d) -> out.put(ws, d.toMillis()));
        return out;
    }

    /** The engine's limits, as configured (see {@link JobConfig#engine}). */
    EngineConfig engine() {
        return new EngineConfig(
                java.time.Duration.ofMillis(horizonMillis),
                historyCap,
                java.time.Duration.ofMillis(maxFutureSkewMillis));
    }

    /**
     * When a user of {@code workspace} whose latest event was at {@code lastEvent} expires, or
     * {@link Long#MAX_VALUE} for never (no TTL, no event, a backfill: its users are handed to the
     * streaming job whole).
     */
    long expiry(String workspace, long lastEvent) {
        long ttl = ttlOf(workspace);
        if (ttl <= 0 || lastEvent == Long.MIN_VALUE || backfill()) {
            return Long.MAX_VALUE;
        }
        return lastEvent > Long.MAX_VALUE - ttl ? Long.MAX_VALUE : lastEvent + ttl;
    }

    /** Whether users of {@code workspace} expire at all (a TTL above 0, not a backfill). */
    boolean expires(String workspace) {
        return ttlOf(workspace) > 0 && !backfill();
    }

    /** The user TTL of {@code workspace} in milliseconds: its own, or the default (0: none). */
    long ttlOf(String workspace) {
        return workspaceUserTtlMillis.getOrDefault(workspace, userTtlMillis);
    }

    boolean backfill() {
        return asOf != Long.MAX_VALUE;
    }

    boolean counts(Event e) {
        return e.time() >= countFrom && e.time() < countUntil;
    }
}
