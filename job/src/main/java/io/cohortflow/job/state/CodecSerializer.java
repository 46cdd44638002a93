package io.cohortflow.job.state;

import java.io.IOException;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * A Flink serializer that delegates to one of core's versioned binary codecs. The codecs carry
 * their own version byte, so subclasses' snapshots need no configuration.
 */
abstract class CodecSerializer<T> extends TypeSerializerSingleton<T> {

    abstract void write(T value, DataOutputView out) throws IOException;

    abstract T read(DataInputView in) throws IOException;

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(T value, DataOutputView out) throws IOException {
        write(value, out);
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
