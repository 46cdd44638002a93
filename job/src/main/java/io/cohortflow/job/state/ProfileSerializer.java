package io.cohortflow.job.state;

import io.cohortflow.core.eval.ProfileCodec;
import io.cohortflow.core.eval.UserProfile;
import io.cohortflow.core.state.NewerEncodingException;
import java.io.DataOutput;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;

/** Flink serializer of a user's profile (mutable), delegating to core's {@link ProfileCodec}. */
public final class ProfileSerializer extends CodecSerializer<UserProfile> {
    public static final ProfileSerializer INSTANCE = new ProfileSerializer();

    @Override
    void write(UserProfile p, DataOutput out) throws IOException {
        ProfileCodec.write(p, out);
    }

    /**
     * The state backends decode from bytes in memory (RocksDB hands over the value it read), so a
     * failure here is the stored bytes', whatever the codec threw: {@link CorruptStateException},
     * which is not taken for the backend failing (see {@code UserStore}).
     */
    @Override
    UserProfile read(DataInputView in) {
        try {
            return ProfileCodec.read(in);
        } catch (NewerEncodingException e) {
            // Every value a later build wrote reads so: the task fails (and restarts, failing
            // again) rather than every such user being set aside as corrupt.
            throw new StateAccessException(e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            throw new CorruptStateException("a stored profile could not be decoded", e);
        }
    }

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public UserProfile createInstance() {
        return new UserProfile();
    }

    @Override
    public UserProfile copy(UserProfile from) {
        return ProfileCodec.fromBytes(ProfileCodec.toBytes(from));
    }

    @Override
    public TypeSerializerSnapshot<UserProfile> snapshotConfiguration() {
        return new Snapshot();
    }

    public static final class Snapshot extends SimpleTypeSerializerSnapshot<UserProfile> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }
}
