package io.cohortflow.job.state;

import io.cohortflow.core.eval.EventChunk;
import io.cohortflow.core.eval.EventHistory;
import io.cohortflow.core.eval.HistoryChunks;
import io.cohortflow.core.event.Event;
import io.cohortflow.core.state.CorruptStateException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.flink.api.common.state.MapState;

/**
 * A user's history in keyed state: the sealed chunks of a history in chunks (core's {@code
 * ProfileHistory}, which keeps the open chunk in the profile), one map entry per chunk; and the
 * history of a profile stored before chunks, one map entry per event.
 *
 * <p>Per event: keyed by {@code time << 16 | (sequence & 0xFFFF)} with the engine's per-user insert
 * sequence, so an insert is one write (no read to find a free key) and events of the same
 * millisecond keep their arrival order. Size and oldest time are kept by the engine in the user's
 * profile, so neither needs a read here.
 *
 * <p>On RocksDB the map iterates in key order (big-endian longs, non-negative times), which the
 * eviction relies on to stop early; on the heap backend it sorts.
 *
 * <p>Between {@link #begin} and {@link #commit} writes (of both maps) are held back and reads see
 * them, so that a record that fails halfway leaves the history as it was ({@link #rollback}), in
 * step with the profile, which is saved only when the record succeeds. Outside, writes go straight
 * through.
 */
public final class MapStateHistory implements EventHistory, HistoryChunks {
    private static final int SEQ_BITS = 16;
    private static final long SEQ_MASK = (1L << SEQ_BITS) - 1;

    private final MapState<Long, Event> map;
    private final MapState<Long, List<Event>> chunks;
    private final boolean ordered;

    /** Between {@link #begin} and {@link #commit}: inserts and removals not yet written. */
    private boolean buffering;

    private final TreeMap<Long, Event> inserted = new TreeMap<>();
    private final Set<Long> removed = new HashSet<>();

    /**
     * Between {@link #begin} and {@link #commit}: chunks written (null: deleted) not yet stored.
     */
    private final Map<Long, EventChunk> chunksWritten = new HashMap<>();

    public MapStateHistory(
            MapState<Long, Event> map, MapState<Long, List<Event>> chunks, boolean ordered) {
        this.map = map;
        this.chunks = chunks;
        this.ordered = ordered;
    }

    @Override
    public List<Event> events() {
        List<Map.Entry<Long, Event>> entries = entries();
        List<Event> out = new ArrayList<>(entries.size());
        entries.forEach(e -> out.add(e.getValue()));
        return out;
    }

    /** Holds writes back until {@link #commit}; reads see them meanwhile. */
    public void begin() {
        rollback();
        buffering = true;
    }

    /** Writes what was held back since {@link #begin}. */
    public void commit() {
        try {
            for (Long k : removed) {
                map.remove(k);
            }
            for (Map.Entry<Long, Event> e : inserted.entrySet()) {
                map.put(e.getKey(), e.getValue());
            }
            for (Map.Entry<Long, EventChunk> c : chunksWritten.entrySet()) {
                if (c.getValue() == null) {
                    chunks.remove(c.getKey());
                } else {
                    chunks.put(c.getKey(), c.getValue());
                }
            }
        } catch (Exception e) {
            throw failed("writing history", e);
        } finally {
            rollback();
        }
    }

    /** Forgets what was held back since {@link #begin}: the stored history is as it was. */
    public void rollback() {
        inserted.clear();
        removed.clear();
        chunksWritten.clear();
        buffering = false;
    }

    /** Removes the whole history at once (an erased user), and what was held back. */
    public void clear() {
        rollback();
        map.clear();
        chunks.clear();
    }

    @Override
    public EventChunk read(long id) {
        List<Event> c;
        try {
            c = chunksWritten.containsKey(id) ? chunksWritten.get(id) : chunks.get(id);
        } catch (Exception e) {
            throw failed("reading a history chunk", e);
        }
        if (c == null) {
            // The profile names a chunk the state does not hold: this user's state is
            // inconsistent, which the record's dead letter reports (the job goes on).
            throw new IllegalStateException("history chunk " + id + " is missing");
        }
        // A list, not a chunk: a chunk restored into the heap from a state stored as lists.
        return EventChunk.from(c);
    }

    @Override
    public void write(long id, EventChunk chunk) {
        if (buffering) {
            chunksWritten.put(id, chunk);
            return;
        }
        try {
            chunks.put(id, chunk);
        } catch (Exception e) {
            throw failed("writing a history chunk", e);
        }
    }

    @Override
    public void delete(long id) {
        if (buffering) {
            chunksWritten.put(id, null);
            return;
        }
        try {
            chunks.remove(id);
        } catch (Exception e) {
            throw failed("deleting a history chunk", e);
        }
    }

    /** The sealed chunks with their ids (a backfill's snapshot of the user). */
    public List<Map.Entry<Long, List<Event>>> chunkEntries() {
        try {
            List<Map.Entry<Long, List<Event>>> out = new ArrayList<>();
            for (Map.Entry<Long, List<Event>> e : chunks.entries()) {
                if (!chunksWritten.containsKey(e.getKey())) {
                    out.add(Map.entry(e.getKey(), e.getValue()));
                }
            }
            chunksWritten.forEach(
                    (id, events) -> {
                        if (events != null) {
                            out.add(Map.entry(id, events));
                        }
                    });
            return out;
        } catch (Exception e) {
            throw failed("reading history chunks", e);
        }
    }

    /** The entries with their keys, oldest first. */
    public List<Map.Entry<Long, Event>> entries() {
        try {
            List<Map.Entry<Long, Event>> entries = new ArrayList<>();
            for (Map.Entry<Long, Event> e : map.entries()) {
                if (!removed.contains(e.getKey())) {
                    entries.add(Map.entry(e.getKey(), e.getValue()));
                }
            }
            entries.addAll(inserted.entrySet());
            if (!ordered || !inserted.isEmpty()) {
                entries.sort(Map.Entry.comparingByKey());
            }
            return entries;
        } catch (Exception e) {
            throw failed("reading history", e);
        }
    }

    @Override
    public void insert(Event e, long sequence) {
        long key = (e.time() << SEQ_BITS) | (sequence & SEQ_MASK);
        if (buffering) {
            inserted.put(key, e);
            return;
        }
        try {
            map.put(key, e);
        } catch (Exception ex) {
            throw new StateAccessException("writing history", ex);
        }
    }

    @Override
    public Removal removeUpTo(long upTo) {
        long limit = (upTo << SEQ_BITS) | SEQ_MASK;
        List<Event> gone = new ArrayList<>();
        long oldest = Long.MAX_VALUE;
        try {
            Iterator<Map.Entry<Long, Event>> it = map.iterator();
            while (it.hasNext()) {
                Map.Entry<Long, Event> e = it.next();
                long k = e.getKey();
                if (removed.contains(k)) {
                    continue; // removed earlier in this record
                }
                if (k <= limit) {
                    gone.add(e.getValue());
                    if (buffering) {
                        removed.add(k);
                    } else {
                        it.remove();
                    }
                } else {
                    oldest = Math.min(oldest, k);
                    if (ordered) {
                        break; // keys ascend: the rest are all newer
                    }
                }
            }
        } catch (Exception e) {
            throw failed("evicting history", e);
        }
        // Events inserted in this record and not written yet.
        Iterator<Map.Entry<Long, Event>> pending = inserted.entrySet().iterator();
        while (pending.hasNext()) {
            Map.Entry<Long, Event> e = pending.next();
            if (e.getKey() <= limit) {
                gone.add(e.getValue());
                pending.remove();
            } else {
                oldest = Math.min(oldest, e.getKey());
                break; // sorted: the rest are newer
            }
        }
        return new Removal(gone, oldest == Long.MAX_VALUE ? Long.MAX_VALUE : oldest >> SEQ_BITS);
    }

    /**
     * A state access that failed: the backend's ({@link StateAccessException}, which fails the
     * task), unless stored bytes did not decode ({@link CorruptStateException}, this user's data: a
     * restart would read the same bytes and fail the task for ever).
     */
    private static RuntimeException failed(String what, Exception e) {
        return e instanceof CorruptStateException corrupt
                ? corrupt
                : new StateAccessException(what, e);
    }
}
