package io.cohortflow.job;

import io.cohortflow.core.eval.ProfileCodec;
import io.cohortflow.core.eval.ProfileHistory;
import io.cohortflow.core.eval.UserProfile;
import io.cohortflow.core.event.Event;
import io.cohortflow.core.state.ByteArrayDataOutput;
import io.cohortflow.core.state.EventCodec;
import io.cohortflow.job.state.EventSerializer;
import io.cohortflow.job.state.ProfileSerializer;
import java.io.IOException;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.functions.SerializerFactory;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.base.ListSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.runtime.state.DefaultKeyedStateStore;
import org.apache.flink.runtime.state.KeyedStateBackend;

/**
 * The keyed state a function gets, with its users' profiles failing as RocksDB's can: the backend
 * failing ({@link #failReads}, {@link #failWrites}: the {@link IOException} RocksDB's value state
 * throws for a RocksDB error), or the stored bytes of some users not decoding ({@link #corrupt}:
 * read through the real {@link ProfileSerializer}, as RocksDB reads each value). Install it as the
 * operator's keyed state store between its state's initialization and its opening.
 */
final class FaultyProfiles extends DefaultKeyedStateStore {
    boolean failReads;
    boolean failWrites;
    final Set<String> corrupt = new HashSet<>();

    /** Users whose sealed history chunks do not decode (read through the real serializers). */
    final Set<String> corruptHistory = new HashSet<>();

    /**
     * Users whose stored profile reads but whose newest event in it does not decode once read (its
     * properties, which must be none, cut short): core decodes the open chunk's events on use.
     */
    final Set<String> corruptOpenChunk = new HashSet<>();

    /** Users whose stored profile a later build wrote (its encoding version one past ours). */
    final Set<String> laterBuild = new HashSet<>();

    FaultyProfiles(KeyedStateBackend<?> backend) {
        super(
                backend,
                new SerializerFactory() {
                    @Override
                    public <T> TypeSerializer<T> createSerializer(TypeInformation<T> type) {
                        return type.createSerializer(new SerializerConfigImpl());
                    }
                });
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> ValueState<T> getState(ValueStateDescriptor<T> descriptor) {
        ValueState<T> state = super.getState(descriptor);
        if (!descriptor.getName().equals(Descriptors.PROFILE.getName())) {
            return state;
        }
        return (ValueState<T>) new Profiles((ValueState<UserProfile>) state);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <K, V> MapState<K, V> getMapState(MapStateDescriptor<K, V> descriptor) {
        MapState<K, V> state = super.getMapState(descriptor);
        if (!descriptor.getName().equals(Descriptors.HISTORY_CHUNKS.getName())) {
            return state;
        }
        return (MapState<K, V>) new Chunks((MapState<Long, List<Event>>) state);
    }

    /** The history's chunks, those of {@link #corruptHistory} users' bytes no codec wrote. */
    private final class Chunks implements MapState<Long, List<Event>> {
        private final MapState<Long, List<Event>> stored;

        Chunks(MapState<Long, List<Event>> stored) {
            this.stored = stored;
        }

        private boolean corrupt() {
            return corruptHistory.contains((String) keyedStateBackend.getCurrentKey());
        }

        private List<Event> garbage() throws IOException {
            byte[] bytes = {0, 0, 0, 1, (byte) 0xEE, 1, 2, 3}; // one event, of no encoding
            return new ListSerializer<>(EventSerializer.INSTANCE)
                    .deserialize(new DataInputDeserializer(bytes));
        }

        @Override
        public List<Event> get(Long key) throws Exception {
            return corrupt() && stored.contains(key) ? garbage() : stored.get(key);
        }

        @Override
        public Iterable<Map.Entry<Long, List<Event>>> entries() throws Exception {
            if (corrupt() && !stored.isEmpty()) {
                garbage();
            }
            return stored.entries();
        }

        @Override
        public void put(Long key, List<Event> value) throws Exception {
            stored.put(key, value);
        }

        @Override
        public void putAll(Map<Long, List<Event>> map) throws Exception {
            stored.putAll(map);
        }

        @Override
        public void remove(Long key) throws Exception {
            stored.remove(key);
        }

        @Override
        public boolean contains(Long key) throws Exception {
            return stored.contains(key);
        }

        @Override
        public Iterable<Long> keys() throws Exception {
            return stored.keys();
        }

        @Override
        public Iterable<List<Event>> values() throws Exception {
            if (corrupt() && !stored.isEmpty()) {
                garbage();
            }
            return stored.values();
        }

        @Override
        public Iterator<Map.Entry<Long, List<Event>>> iterator() throws Exception {
            return entries().iterator();
        }

        @Override
        public boolean isEmpty() throws Exception {
            return stored.isEmpty();
        }

        @Override
        public void clear() {
            stored.clear();
        }
    }

    private final class Profiles implements ValueState<UserProfile> {
        private final ValueState<UserProfile> stored;

        Profiles(ValueState<UserProfile> stored) {
            this.stored = stored;
        }

        @Override
        public UserProfile value() throws IOException {
            if (failReads) {
                throw new IOException("Error while retrieving data from RocksDB (injected)");
            }
            if (corrupt.contains((String) keyedStateBackend.getCurrentKey())) {
                // Bytes no version of the codec wrote.
                byte[] garbage = {(byte) 0xEE, 1, 2, 3};
                return ProfileSerializer.INSTANCE.deserialize(new DataInputDeserializer(garbage));
            }
            if (laterBuild.contains((String) keyedStateBackend.getCurrentKey())) {
                byte[] later = {(byte) (io.cohortflow.core.eval.ProfileCodec.VERSION + 1), 1, 2};
                return ProfileSerializer.INSTANCE.deserialize(new DataInputDeserializer(later));
            }
            if (corruptOpenChunk.contains((String) keyedStateBackend.getCurrentKey())) {
                return withNewestEventDamaged(stored.value());
            }
            return stored.value();
        }

        private UserProfile withNewestEventDamaged(UserProfile p) throws IOException {
            List<Event> events = ProfileHistory.of(p, null, null).events();
            ByteArrayDataOutput event = new ByteArrayDataOutput();
            EventCodec.write(events.get(events.size() - 1), event);
            byte[] e = event.toByteArray();
            byte[] b = ProfileCodec.toBytes(p);
            int at = indexOf(b, e);
            if (at < 0 || e[e.length - 2] != 1 || e[e.length - 1] != 0) {
                throw new IllegalStateException(
                        "no newest event without properties in the profile");
            }
            b[at + e.length - 2] = 2; // properties of two bytes, where one is left for them
            return ProfileSerializer.INSTANCE.deserialize(new DataInputDeserializer(b));
        }

        private static int indexOf(byte[] in, byte[] part) {
            for (int i = 0; i + part.length <= in.length; i++) {
                if (java.util.Arrays.equals(in, i, i + part.length, part, 0, part.length)) {
                    return i;
                }
            }
            return -1;
        }

        @Override
        public void update(UserProfile value) throws IOException {
            if (failWrites) {
                throw new IOException("Error while adding data to RocksDB (injected)");
            }
            stored.update(value);
        }

        @Override
        public void clear() {
            stored.clear();
        }
    }
}
