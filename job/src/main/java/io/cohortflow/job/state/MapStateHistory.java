package io.cohortflow.job.state;

import io.cohortflow.core.eval.EventHistory;
import io.cohortflow.core.event.Event;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.flink.api.common.state.MapState;

/**
 * A user's event history in a {@link MapState}: one entry per event, keyed by {@code time << 16 |
 * (sequence & 0xFFFF)} with the engine's per-user insert sequence, so an insert is one write (no
 * read to find a free key) and events of the same millisecond keep their arrival order. Size and
 * oldest time are kept by the engine in the user's profile, so neither needs a read here.
 *
 * <p>On RocksDB the map iterates in key order (big-endian longs, non-negative times), which the
 * eviction relies on to stop early; on the heap backend it sorts.
 *
 * <p>Between {@link #begin} and {@link #commit} writes are held back and reads see them, so that a
 * record that fails halfway leaves the history as it was ({@link #rollback}), in step with the
 * profile, which is saved only when the record succeeds. Outside, writes go straight through.
 */
public final class MapStateHistory implements EventHistory {
    private static final int SEQ_BITS = 16;
    private static final long SEQ_MASK = (1L << SEQ_BITS) - 1;

    private final MapState<Long, Event> map;
    private final boolean ordered;

    /** Between {@link #begin} and {@link #commit}: inserts and removals not yet written. */
    private boolean buffering;

    private final TreeMap<Long, Event> inserted = new TreeMap<>();
    private final Set<Long> removed = new HashSet<>();

    public MapStateHistory(MapState<Long, Event> map, boolean ordered) {
        this.map = map;
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
        } catch (Exception e) {
            throw new StateAccessException("writing history", e);
        } finally {
            rollback();
        }
    }

    /** Forgets what was held back since {@link #begin}: the stored history is as it was. */
    public void rollback() {
        inserted.clear();
        removed.clear();
        buffering = false;
    }

    /** Removes the whole history at once (an erased user), and what was held back. */
    public void clear() {
        rollback();
        map.clear();
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
            throw new StateAccessException("reading history", e);
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
            throw new StateAccessException("evicting history", e);
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
}
