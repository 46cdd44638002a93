package io.cohortflow.job.state;

import io.cohortflow.core.eval.MembershipOps;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/** Flink serializer of one entry of a user's membership log, delegating to core's binary form. */
public final class MembershipOpsSerializer extends CodecSerializer<MembershipOps> {
    public static final MembershipOpsSerializer INSTANCE = new MembershipOpsSerializer();

    @Override
    void write(MembershipOps ops, DataOutputView out) throws IOException {
        ops.write(out);
    }

    @Override
    MembershipOps read(DataInputView in) throws IOException {
        return MembershipOps.read(in);
    }

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public MembershipOps createInstance() {
        return new MembershipOps();
    }

    @Override
    public MembershipOps copy(MembershipOps from) {
        return from.copy();
    }

    @Override
    public TypeSerializerSnapshot<MembershipOps> snapshotConfiguration() {
        return new Snapshot();
    }

    public static final class Snapshot extends SimpleTypeSerializerSnapshot<MembershipOps> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }
}
