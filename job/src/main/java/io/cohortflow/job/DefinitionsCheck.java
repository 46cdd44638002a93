package io.cohortflow.job;

import com.fasterxml.jackson.core.JsonParseException;
import io.cohortflow.core.contract.SegmentRecord;
import io.cohortflow.job.model.DefinitionUpdate;
import java.io.IOException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.apache.flink.api.common.state.BroadcastState;
import org.jspecify.annotations.Nullable;

/**
 * A definitions log checked before a run: its records applied in order as every subtask of the
 * operator applies them ({@link LiveDefinitions#record}, {@link Catalogs#apply}), over broadcast
 * state held in maps, saying which the job would refuse and why. The backfill checks its {@code
 * --definitions-file} so: a record the operator refuses is a dead letter on the stream, where the
 * job must go on, but in a file the user gave it is a mistake that would leave a segment out of
 * every membership the backfill writes, for good.
 */
public final class DefinitionsCheck {
    private final Catalogs catalogs = new Catalogs();
    private final MapBroadcastState<String, DefinitionUpdate> defs = new MapBroadcastState<>();
    private final MapBroadcastState<String, Long> progress = new MapBroadcastState<>();

    public DefinitionsCheck() {
        try {
            catalogs.load(defs, progress); // empty catalogs: nothing held yet
        } catch (Exception e) {
            throw new IllegalStateException("maps held in memory cannot fail", e);
        }
    }

    /**
     * Applies the next record of the log; why the job refuses it, or null when it takes it (a
     * tombstone and a write that lost a race included, which the job ignores).
     */
    public @Nullable String refusal(DefinitionUpdate u) throws Exception {
        if (u.value == null) {
            return null;
        }
        SegmentRecord r;
        try {
            r = LiveDefinitions.record(u.value);
        } catch (JsonParseException e) {
            return "not JSON: " + e.getOriginalMessage();
        } catch (IOException e) {
            return "not a segment record: " + e.getMessage().lines().findFirst().orElse("");
        }
        String refused = catalogs.apply(r, u, defs, progress).refused();
        return refused == null
                ? null
                : "segment " + r.key() + " version " + r.version() + " refused: " + refused;
    }

    /** Broadcast state in a map: the operator's own state, outside of Flink. */
    private static final class MapBroadcastState<K, V> implements BroadcastState<K, V> {
        private final Map<K, V> map = new HashMap<>();

        @Override
        public void put(K key, V value) {
            map.put(key, value);
        }

        @Override
        public void putAll(Map<K, V> all) {
            map.putAll(all);
        }

        @Override
        public void remove(K key) {
            map.remove(key);
        }

        @Override
        public Iterator<Map.Entry<K, V>> iterator() {
            return map.entrySet().iterator();
        }

        @Override
        public Iterable<Map.Entry<K, V>> entries() {
            return map.entrySet();
        }

        @Override
        public V get(K key) {
            return map.get(key);
        }

        @Override
        public boolean contains(K key) {
            return map.containsKey(key);
        }

        @Override
        public Iterable<Map.Entry<K, V>> immutableEntries() {
            return java.util.Collections.unmodifiableMap(map).entrySet();
        }

        @Override
        public void clear() {
            map.clear();
        }
    }
}
