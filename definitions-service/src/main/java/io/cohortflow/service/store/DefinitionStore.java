package io.cohortflow.service.store;

import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.Keys;
import io.cohortflow.core.contract.SegmentRecord;
import io.cohortflow.service.Failures;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The definition store: an in-memory view of the definitions topic, rebuilt from its beginning on
 * start, and writes through the log.
 *
 * <p>Consistency: every record names the version it replaces. The view applies a record only if
 * that is the version it holds (and the record's version is the next one), so the log order decides
 * between concurrent writers and every replica, and the job, agree. A writer waits until its own
 * view has processed its record's offset (read-your-writes) and then looks at whether its version
 * is the one recorded at that offset: if not, another write won and it gets a {@link
 * ConflictException}.
 *
 * <p>Versions: every applied record is a version of its segment. The view keeps the last {@code
 * maxVersions} of each (the log keeps them all), so the versions API needs no history inside a
 * record and a record stays as small as one version. Versions share an unchanged definition instead
 * of each holding a copy.
 */
public final class DefinitionStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DefinitionStore.class);

    /** A segment as the view holds it, with the offset of the record that made it current. */
    public record Entry(StoredSegment segment, long offset) {}

    private final SegmentLog log;
    private final Duration writeTimeout;
    private final Executor callbacks;
    private final int maxVersions;
    private final Map<String, Map<String, Entry>> byWorkspace = new ConcurrentHashMap<>();
    // key -> version -> offset of the record that applied it; decides who won a race.
    private final Map<String, Map<Long, Long>> versionOffsets = new ConcurrentHashMap<>();
    // key -> the last maxVersions applied versions, newest first; replaced, never mutated, so
    // readers on request threads see a consistent list.
    private final Map<String, List<StoredSegment>> versions = new ConcurrentHashMap<>();
    private final PriorityQueue<Waiter> waiters = new PriorityQueue<>();
    // key -> the record keys of the kept versions, newest first (the reader thread's alone).
    private final Map<String, java.util.ArrayDeque<String>> keptRecords = new HashMap<>();
    // Record keys the log no longer needs (versions past those kept, writes that lost), to be
    // tombstoned by compact(); a tombstone read back (anyone's) takes its key out.
    private final Set<String> superseded = ConcurrentHashMap.newKeySet();
    private final CountDownLatch rebuilt = new CountDownLatch(1);
    private final AtomicLong applied = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong unreadable = new AtomicLong();
    private final AtomicLong committed = new AtomicLong();
    private final AtomicLong conflicts = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile long processed = -1;

    /**
     * The log's end offset at start; unknown (MAX_VALUE) until {@link SegmentLog#start} returns, as
     * its reader may already be processing: nothing counts as rebuilt before it is known.
     */
    private volatile long startEnd = Long.MAX_VALUE;

    private record Waiter(long offset, CompletableFuture<Void> done) implements Comparable<Waiter> {
        @Override
        public int compareTo(Waiter o) {
            return Long.compare(offset, o.offset);
        }
    }

    /**
     * @param callbacks where write completions run, so neither the log's reader thread nor its
     *     producer thread does request work
     * @param maxVersions how many versions of each segment, the current one included, the view
     *     keeps for the versions API
     */
    public DefinitionStore(
            SegmentLog log, Duration writeTimeout, Executor callbacks, int maxVersions) {
        if (maxVersions < 1) {
            throw new IllegalArgumentException("maxVersions must be at least 1");
        }
        this.log = log;
        this.writeTimeout = writeTimeout;
        this.callbacks = callbacks;
        this.maxVersions = maxVersions;
    }

    /** Replays the log and blocks until the view holds everything written before start. */
    public void start(Duration timeout) {
        long end =
                log.start(
                        new SegmentLog.Sink() {
                            @Override
                            public void accept(long offset, String key, byte[] value) {
                                apply(offset, key, value);
                            }

                            @Override
                            public void processedUpTo(long offset) {
                                advance(offset);
                            }
                        });
        startEnd = end;
        synchronized (waiters) {
            if (processed + 1 >= end) {
                rebuilt.countDown(); // the reader got there before the end was known
            }
        }
        try {
            if (!rebuilt.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(
                        "the definition store did not rebuild from the log within " + timeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while rebuilding the store", e);
        }
        LOG.info("definition store rebuilt: {} segments from {} records", size(), processed + 1);
    }

    /** Whether the view has caught up with the log as it was at start. */
    public boolean ready() {
        return rebuilt.getCount() == 0;
    }

    private void apply(long offset, String recordKey, byte @Nullable [] value) {
        if (value == null) {
            superseded.remove(recordKey); // tombstoned: compaction takes the record
            return;
        }
        StoredSegment s;
        try {
            s = Json.read(value, StoredSegment.class);
        } catch (IOException e) {
            unreadable.incrementAndGet();
            LOG.warn(
                    "skipping an unreadable definitions record at offset {}: {}",
                    offset,
                    e.getMessage());
            return;
        }
        if (s.workspace() == null || s.id() == null || s.owner() == null) {
            unreadable.incrementAndGet();
            return;
        }
        Map<String, Entry> ws =
                byWorkspace.computeIfAbsent(s.workspace(), w -> new ConcurrentHashMap<>());
        Entry current = ws.get(s.id());
        long held = current == null ? 0 : current.segment().version();
        if (!SegmentRecord.follows(s.replaces(), s.version(), held)) {
            rejected.incrementAndGet();
            java.util.ArrayDeque<String> kept = keptRecords.get(s.key());
            if (kept != null && kept.contains(recordKey)) {
                // Read again (a reader that resumed from an earlier offset): the version is ours,
                // perhaps the current one; tombstoned, it would be gone from the log for good.
                return;
            }
            if (s.replaces() > held) {
                // Past the version held yet not its successor: no writer makes such a record (a
                // record past a compacted gap is applied, see SegmentRecord.follows). Not a write
                // that lost either, so it is left alone rather than tombstoned.
                LOG.warn(
                        "definitions record {} of {} has version {} and replaces {}; skipped",
                        recordKey,
                        s.key(),
                        s.version(),
                        s.replaces());
                return;
            }
            // The log-ordered compare-and-set: a write based on a version we no longer hold lost.
            superseded.add(recordKey);
            return;
        }
        java.util.ArrayDeque<String> records =
                keptRecords.computeIfAbsent(s.key(), k -> new java.util.ArrayDeque<>());
        records.addFirst(recordKey);
        while (records.size() > maxVersions) {
            superseded.add(records.removeLast());
        }
        List<StoredSegment> older = versions.getOrDefault(s.key(), List.of());
        if (!older.isEmpty()
                && s.definition() != null
                && s.definition().equals(older.get(0).definition())) {
            s = s.withDefinition(older.get(0).definition());
        }
        List<StoredSegment> kept = new ArrayList<>(Math.min(older.size() + 1, maxVersions));
        kept.add(s);
        kept.addAll(older.subList(0, Math.min(older.size(), maxVersions - 1)));
        versions.put(s.key(), List.copyOf(kept));
        ws.put(s.id(), new Entry(s, offset));
        Map<Long, Long> offsets =
                versionOffsets.computeIfAbsent(s.key(), k -> new ConcurrentHashMap<>());
        offsets.put(s.version(), offset);
        long newest = s.version();
        // Read only for the version a write just made: the kept ones bound it, not every edit.
        offsets.keySet().removeIf(v -> v <= newest - maxVersions);
        applied.incrementAndGet();
    }

    private void advance(long offset) {
        List<Waiter> due = new ArrayList<>();
        synchronized (waiters) {
            processed = Math.max(processed, offset);
            while (!waiters.isEmpty() && waiters.peek().offset <= offset) {
                due.add(waiters.poll());
            }
        }
        if (offset + 1 >= startEnd) {
            rebuilt.countDown();
        }
        due.forEach(w -> w.done.complete(null));
    }

    private CompletableFuture<Void> awaitProcessed(long offset) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        synchronized (waiters) {
            if (processed >= offset) {
                done.complete(null);
            } else {
                waiters.add(new Waiter(offset, done));
            }
        }
        return done;
    }

    /**
     * Writes {@code next} (whose {@code replaces} names the version it was derived from) and
     * completes once this view has applied it, or with {@link ConflictException} when another write
     * to the segment was ordered first, or {@link StoreUnavailableException} on timeout.
     */
    public CompletableFuture<Entry> write(StoredSegment next) {
        byte[] bytes = Json.bytes(next);
        String key = next.key();
        // Every write gets a key of its own. With the segment's key, compaction would keep only
        // the last record per segment, which may be a write that lost; readers rebuilding from the
        // compacted log could then neither apply it nor see the winner. Unique keys make the log
        // the version history that every reader replays with the same rule; compact() tombstones
        // what no reader needs (old versions, lost writes), never a segment's newest version.
        String recordKey = key + "@" + next.version() + "/" + java.util.UUID.randomUUID();
        return log.append(recordKey, bytes)
                .thenCompose(offset -> awaitProcessed(offset).thenApply(v -> offset))
                .orTimeout(writeTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .handleAsync(
                        (offset, error) -> {
                            if (error != null) {
                                failures.incrementAndGet();
                                Throwable cause = Failures.cause(error);
                                if (!(cause instanceof TimeoutException)) {
                                    // Kafka's reason is for the log; the client may only retry.
                                    LOG.warn("the definitions log refused a write", cause);
                                }
                                throw new StoreUnavailableException(
                                        cause instanceof TimeoutException
                                                ? "the definitions log did not confirm the write within "
                                                        + writeTimeout
                                                : "the definitions log refused the write",
                                        cause);
                            }
                            Long won =
                                    versionOffsets.getOrDefault(key, Map.of()).get(next.version());
                            if (won == null || won.longValue() != offset) {
                                conflicts.incrementAndGet();
                                throw new ConflictException(
                                        "segment "
                                                + next.id()
                                                + " was changed concurrently; version "
                                                + next.replaces()
                                                + " is no longer current");
                            }
                            committed.incrementAndGet();
                            return new Entry(next, offset);
                        },
                        callbacks);
    }

    /**
     * Tombstones the records the log no longer needs: every version of a segment past the {@code
     * maxVersions} kept (the versions API shows no more), and every write that lost a race (no
     * reader ever applies it). Compaction then removes them, so the log, and a replica's start-up,
     * grow with the segments and not with every edit ever made. Safe from any replica at any time
     * (readers skip tombstones; one written twice is harmless). Completes with the number written.
     */
    public CompletableFuture<Integer> compact() {
        List<String> keys = List.copyOf(superseded);
        List<CompletableFuture<Long>> writes = new ArrayList<>(keys.size());
        for (String k : keys) {
            writes.add(log.append(k, null));
        }
        return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new))
                .thenApply(v -> keys.size());
    }

    /** Records this replica has seen that compaction may remove (not yet tombstoned). */
    public int supersededCount() {
        return superseded.size();
    }

    public Optional<Entry> get(String workspace, String id) {
        return Optional.ofNullable(byWorkspace.getOrDefault(workspace, Map.of()).get(id));
    }

    /**
     * The versions of a segment the view keeps, newest (the current one) first; empty when there is
     * no such segment.
     */
    public List<StoredSegment> versions(String workspace, String id) {
        return versions.getOrDefault(Keys.of(workspace, id), List.of());
    }

    /** Every segment of a workspace, deleted ones included. */
    public Collection<Entry> all(String workspace) {
        return byWorkspace.getOrDefault(workspace, Map.of()).values();
    }

    public int size() {
        return byWorkspace.values().stream().mapToInt(Map::size).sum();
    }

    public long processedOffset() {
        return processed;
    }

    public long lag() {
        return log.lag();
    }

    public long appliedCount() {
        return applied.get();
    }

    public long rejectedCount() {
        return rejected.get();
    }

    /** Writes that won, lost to a concurrent write, or failed (timeout or log error). */
    public long committedWrites() {
        return committed.get();
    }

    public long conflictedWrites() {
        return conflicts.get();
    }

    public long failedWrites() {
        return failures.get();
    }

    public long unreadableCount() {
        return unreadable.get();
    }

    @Override
    public void close() {
        log.close();
    }
}
