package io.cohortflow.job;

import io.cohortflow.core.eval.UserProfile;
import io.cohortflow.job.state.ProfileSerializer;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;
import org.apache.flink.api.common.functions.SerializerFactory;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
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
            return stored.value();
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
