package io.cohortflow.job.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.eval.EventChunk;
import io.cohortflow.core.eval.EventHistory;
import io.cohortflow.core.event.Event;
import io.cohortflow.core.state.CorruptStateException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.state.MapState;
import org.junit.jupiter.api.Test;

/**
 * The history's writes of one record land together with the profile or not at all: held back
 * between begin and commit, visible to the record meanwhile, forgotten on rollback.
 */
class MapStateHistoryTest {
    private final TreeMap<Long, Event> stored = new TreeMap<>();
    private final TreeMap<Long, List<Event>> chunks = new TreeMap<>();
    private final MapStateHistory history =
            new MapStateHistory(new SortedMapState<>(stored), new SortedMapState<>(chunks), true);

    private static Event ev(String name, long time) {
        return new Event(name, time, Map.of(), null, null);
    }

    @Test
    void writes_outside_a_record_go_straight_through() {
        history.insert(ev("A", 10), 0);
        assertThat(stored).hasSize(1);
        EventHistory.Removal r = history.removeUpTo(10);
        assertThat(r.removed()).extracting(Event::name).containsExactly("A");
        assertThat(stored).isEmpty();
    }

    @Test
    void a_rolled_back_record_leaves_the_stored_history_as_it_was() {
        history.insert(ev("A", 10), 0);
        history.insert(ev("B", 20), 1);
        history.begin();
        history.insert(ev("C", 30), 2);
        EventHistory.Removal r = history.removeUpTo(15);
        assertThat(r.removed()).extracting(Event::name).containsExactly("A");
        assertThat(r.oldestLeft()).isEqualTo(20);
        // The record sees its own writes.
        assertThat(history.events()).extracting(Event::name).containsExactly("B", "C");
        assertThat(stored).hasSize(2); // nothing written yet
        history.rollback();
        assertThat(history.events()).extracting(Event::name).containsExactly("A", "B");
    }

    @Test
    void a_committed_record_writes_its_inserts_and_removals_together() {
        history.insert(ev("A", 10), 0);
        history.begin();
        history.insert(ev("B", 20), 1);
        history.insert(ev("C", 5), 2); // late: before the stored one
        EventHistory.Removal r = history.removeUpTo(7);
        assertThat(r.removed()).extracting(Event::name).containsExactly("C");
        assertThat(r.oldestLeft()).isEqualTo(10);
        history.commit();
        assertThat(stored.values()).extracting(Event::name).containsExactly("A", "B");
        // After the commit, writes go straight through again.
        history.insert(ev("D", 30), 3);
        assertThat(stored).hasSize(3);
    }

    @Test
    void chunks_written_or_deleted_in_a_record_land_with_it_or_not_at_all() {
        history.write(1, EventChunk.of(List.of(ev("A", 10))));
        history.begin();
        history.write(2, EventChunk.of(List.of(ev("B", 20))));
        history.delete(1);
        assertThat(history.read(2)).extracting(Event::name).containsExactly("B");
        assertThat(chunks).containsOnlyKeys(1L); // nothing written yet
        history.rollback();
        assertThat(history.read(1)).extracting(Event::name).containsExactly("A");
        history.begin();
        history.write(2, EventChunk.of(List.of(ev("B", 20))));
        history.delete(1);
        history.commit();
        assertThat(chunks).containsOnlyKeys(2L);
        history.clear();
        assertThat(chunks).isEmpty();
    }

    /**
     * A chunk whose stored bytes do not decode is this user's data, not the state backend failing:
     * a restart would read the same bytes and fail the task for ever, so it is not a {@link
     * StateAccessException} (which fails the task) but a {@link CorruptStateException}, which the
     * function dead-letters for the user and goes on.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(
            strings = {
                "0 0 0 1 99 1 2 3", // the list form: one event, in a format no codec wrote
                "1 1 4 99 1 2 3", // the chunk's own form: the same event, its length first
                "1 1 9 3 1" // an event's length past the bytes there are
            })
    void a_chunk_whose_bytes_do_not_decode_is_the_users_corrupt_state_not_a_backend_failure(
            String stored) {
        String[] b = stored.split(" ");
        byte[] bytes = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            bytes[i] = (byte) Integer.parseInt(b[i]);
        }
        @SuppressWarnings("unchecked")
        MapState<Long, List<Event>> damaged =
                (MapState<Long, List<Event>>)
                        java.lang.reflect.Proxy.newProxyInstance(
                                getClass().getClassLoader(),
                                new Class<?>[] {MapState.class},
                                (proxy, method, args) -> {
                                    if (!method.getName().equals("get")) {
                                        throw new UnsupportedOperationException(method.getName());
                                    }
                                    // As RocksDB reads a value: its bytes through the state's
                                    // serializer.
                                    return ChunkSerializer.INSTANCE.deserialize(
                                            new org.apache.flink.core.memory.DataInputDeserializer(
                                                    bytes));
                                });
        MapStateHistory h = new MapStateHistory(new SortedMapState<>(this.stored), damaged, true);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> h.read(7))
                .isInstanceOf(CorruptStateException.class)
                .hasMessageContaining("stored history chunk");
    }

    /**
     * A heap state backend restored from state stored as lists of events holds lists: they are read
     * as chunks.
     */
    @Test
    void a_chunk_held_as_a_list_reads_as_a_chunk() {
        chunks.put(3L, new java.util.ArrayList<>(List.of(ev("A", 10), ev("B", 20))));
        EventChunk c = history.read(3);
        assertThat(c).extracting(Event::name).containsExactly("A", "B");
        assertThat(c.size()).isEqualTo(2);
    }

    /** A {@link MapState} over a sorted map, as RocksDB iterates: by key. */
    private record SortedMapState<V>(TreeMap<Long, V> map) implements MapState<Long, V> {
        @Override
        public V get(Long key) {
            return map.get(key);
        }

        @Override
        public void put(Long key, V value) {
            map.put(key, value);
        }

        @Override
        public void putAll(Map<Long, V> m) {
            map.putAll(m);
        }

        @Override
        public void remove(Long key) {
            map.remove(key);
        }

        @Override
        public boolean contains(Long key) {
            return map.containsKey(key);
        }

        @Override
        public Iterable<Map.Entry<Long, V>> entries() {
            return List.copyOf(map.entrySet());
        }

        @Override
        public Iterable<Long> keys() {
            return List.copyOf(map.keySet());
        }

        @Override
        public Iterable<V> values() {
            return List.copyOf(map.values());
        }

        @Override
        public Iterator<Map.Entry<Long, V>> iterator() {
            return map.entrySet().iterator();
        }

        @Override
        public boolean isEmpty() {
            return map.isEmpty();
        }

        @Override
        public void clear() {
            map.clear();
        }
    }
}
