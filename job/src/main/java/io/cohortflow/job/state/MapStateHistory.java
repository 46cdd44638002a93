package io.cohortflow.job.state;

import io.cohortflow.core.eval.EventHistory;
import io.cohortflow.core.event.Event;
import io.cohortflow.job.model.HistoryMeta;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.ValueState;

/**
 * A user's event history in a {@link MapState}: one entry per event, keyed by {@code time << 16 |
 * n} (n distinguishes events of the same millisecond in arrival order), so an insert writes one
 * entry instead of rewriting the history. Size and oldest key live in a small value state.
 *
 * <p>On RocksDB the map iterates in key order (big-endian longs, non-negative times), which the
 * eviction relies on to stop early; on the heap backend it sorts.
 */
public final class MapStateHistory implements EventHistory {
    private static final int SEQ_BITS = 16;

    private final MapState<Long, Event> map;
    private final ValueState<HistoryMeta> metaState;
    private final boolean ordered;
    private HistoryMeta meta;

    public MapStateHistory(
            MapState<Long, Event> map, ValueState<HistoryMeta> metaState, boolean ordered) {
        this.map = map;
        this.metaState = metaState;
        this.ordered = ordered;
    }

    /** Re-reads the metadata for the current key; call once per key before use. */
    public MapStateHistory load() {
        try {
            meta = metaState.value();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (meta == null) {
            meta = new HistoryMeta();
        }
        return this;
    }

    private void saveMeta() throws Exception {
        if (meta.size == 0) {
            metaState.clear();
        } else {
            metaState.update(meta);
        }
    }

    @Override
    public List<Event> events() {
        try {
            List<Map.Entry<Long, Event>> entries = new ArrayList<>(meta.size);
            for (Map.Entry<Long, Event> e : map.entries()) {
                entries.add(Map.entry(e.getKey(), e.getValue()));
            }
            if (!ordered) {
                entries.sort(Map.Entry.comparingByKey());
            }
            List<Event> out = new ArrayList<>(entries.size());
            entries.forEach(e -> out.add(e.getValue()));
            return out;
        } catch (Exception e) {
            throw new IllegalStateException("reading history", e);
        }
    }

    @Override
    public void insert(Event e) {
        try {
            long key = e.time() << SEQ_BITS;
            while (map.contains(key)) {
                key++; // same millisecond: keep arrival order
            }
            map.put(key, e);
            meta.size++;
            meta.oldestKey = Math.min(meta.oldestKey, key);
            saveMeta();
        } catch (Exception ex) {
            throw new IllegalStateException("writing history", ex);
        }
    }

    @Override
    public List<Event> removeUpTo(long upTo) {
        long limit = (upTo << SEQ_BITS) | ((1L << SEQ_BITS) - 1);
        List<Event> removed = new ArrayList<>();
        try {
            long oldest = Long.MAX_VALUE;
            Iterator<Map.Entry<Long, Event>> it = map.iterator();
            while (it.hasNext()) {
                Map.Entry<Long, Event> e = it.next();
                long k = e.getKey();
                if (k <= limit) {
                    removed.add(e.getValue());
                    it.remove();
                    meta.size--;
                } else {
                    oldest = Math.min(oldest, k);
                    if (ordered) {
                        break; // keys ascend: the rest are all newer
                    }
                }
            }
            meta.oldestKey = oldest;
            saveMeta();
            return removed;
        } catch (Exception e) {
            throw new IllegalStateException("evicting history", e);
        }
    }

    @Override
    public int size() {
        return meta.size;
    }

    @Override
    public long oldestTime() {
        return meta.oldestKey >> SEQ_BITS;
    }
}
