package io.cohortflow.job.state;

import io.cohortflow.core.eval.EventHistory;
import io.cohortflow.core.event.Event;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.state.MapState;

/**
 * A user's event history in a {@link MapState}: one entry per event, keyed by {@code time << 16 |
 * (sequence & 0xFFFF)} with the engine's per-user insert sequence, so an insert is one write (no
 * read to find a free key) and events of the same millisecond keep their arrival order. Size and
 * oldest time are kept by the engine in the user's profile, so neither needs a read here.
 *
 * <p>On RocksDB the map iterates in key order (big-endian longs, non-negative times), which the
 * eviction relies on to stop early; on the heap backend it sorts.
 */
public final class MapStateHistory implements EventHistory {
    private static final int SEQ_BITS = 16;
    private static final long SEQ_MASK = (1L << SEQ_BITS) - 1;

    private final MapState<Long, Event> map;
    private final boolean ordered;

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

    /** The entries with their keys, oldest first. */
    public List<Map.Entry<Long, Event>> entries() {
        try {
            List<Map.Entry<Long, Event>> entries = new ArrayList<>();
            for (Map.Entry<Long, Event> e : map.entries()) {
                entries.add(Map.entry(e.getKey(), e.getValue()));
            }
            if (!ordered) {
                entries.sort(Map.Entry.comparingByKey());
            }
            return entries;
        } catch (Exception e) {
            throw new StateAccessException("reading history", e);
        }
    }

    @Override
    public void insert(Event e, long sequence) {
        try {
            map.put((e.time() << SEQ_BITS) | (sequence & SEQ_MASK), e);
        } catch (Exception ex) {
            throw new StateAccessException("writing history", ex);
        }
    }

    @Override
    public Removal removeUpTo(long upTo) {
        long limit = (upTo << SEQ_BITS) | SEQ_MASK;
        List<Event> removed = new ArrayList<>();
        long oldest = Long.MAX_VALUE;
        try {
            Iterator<Map.Entry<Long, Event>> it = map.iterator();
            while (it.hasNext()) {
                Map.Entry<Long, Event> e = it.next();
                long k = e.getKey();
                if (k <= limit) {
                    removed.add(e.getValue());
                    it.remove();
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
        return new Removal(removed, oldest == Long.MAX_VALUE ? Long.MAX_VALUE : oldest >> SEQ_BITS);
    }
}
