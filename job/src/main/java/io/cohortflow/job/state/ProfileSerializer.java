package io.cohortflow.job.state;

import io.cohortflow.core.eval.ProfileCodec;
import io.cohortflow.core.eval.UserProfile;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/** Flink serializer of a user's profile, delegating to core's versioned binary codec. */
public final class ProfileSerializer extends TypeSerializerSingleton<UserProfile> {
    public static final ProfileSerializer INSTANCE = new ProfileSerializer();

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
    public UserProfile copy(UserProfile from, UserProfile reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(UserProfile p, DataOutputView out) throws IOException {
        ProfileCodec.write(p, out);
    }

    @Override
    public UserProfile deserialize(DataInputView in) throws IOException {
        return ProfileCodec.read(in);
    }

    @Override
    public UserProfile deserialize(UserProfile reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        serialize(deserialize(in), out);
    }

    @Override
    public TypeSerializerSnapshot<UserProfile> snapshotConfiguration() {
        return new Snapshot();
    }

    /** The codec carries its own version byte, so the snapshot needs no configuration. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<UserProfile> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }
}
