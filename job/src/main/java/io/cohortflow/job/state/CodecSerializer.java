package io.cohortflow.job.state;

import io.cohortflow.core.state.ByteArrayDataOutput;
import java.io.DataOutput;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * A Flink serializer that delegates to one of core's versioned binary codecs. The codecs carry
 * their own version byte, so subclasses' snapshots need no configuration.
 */
abstract class CodecSerializer<T> extends TypeSerializerSingleton<T> {

    abstract void write(T value, DataOutput out) throws IOException;

    abstract T read(DataInputView in) throws IOException;

    @Override
    public int getLength() {
        return -1;
    }

    /** A buffer that grew past this is not kept for the thread's next value. */
    private static final int MAX_KEPT = 1 << 20;

    /**
     * The thread's buffer: a value is written into core's byte array and handed to Flink's view in
     * one call, so that the codecs' fast paths for it (ASCII strings without an encoded copy) hold
     * in the state backend too. Null while in use (a codec that serialized a nested value would
     * write it straight).
     */
    private static final ThreadLocal<ByteArrayDataOutput> BUFFER =
            ThreadLocal.withInitial(() -> new ByteArrayDataOutput(1024));

    @Override
    public void serialize(T value, DataOutputView out) throws IOException {
        ByteArrayDataOutput buffer = BUFFER.get();
        if (buffer == null) {
            write(value, out);
            return;
        }
        BUFFER.set(null);
        try {
            buffer.reset();
            write(value, buffer);
            buffer.writeTo(out);
        } finally {
            // One outsized value (a profile of megabytes) does not stay on the thread for good.
            BUFFER.set(buffer.size() > MAX_KEPT ? new ByteArrayDataOutput(1024) : buffer);
        }
    }

    @Override
    public T deserialize(DataInputView in) throws IOException {
        return read(in);
    }

    @Override
    public T deserialize(T reuse, DataInputView in) throws IOException {
        return read(in);
    }

    @Override
    public T copy(T from, T reuse) {
        return copy(from);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        write(read(in), out);
    }
}
