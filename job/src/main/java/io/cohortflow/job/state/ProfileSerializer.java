package io.cohortflow.job.state;

import io.cohortflow.core.eval.ProfileCodec;
import io.cohortflow.core.eval.UserProfile;
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

    @Override
    UserProfile read(DataInputView in) throws IOException {
        return ProfileCodec.read(in);
    }

    @Override
    String what() {
        return "profile";
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
