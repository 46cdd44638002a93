package io.cohortflow.job.state;

import io.cohortflow.core.state.ByteArrayDataOutput;
import io.cohortflow.core.state.CorruptStateException;
import io.cohortflow.core.state.NewerEncodingException;
import java.io.DataOutput;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.jspecify.annotations.Nullable;

/**
 * A Flink serializer that delegates to one of core's versioned binary codecs. The codecs carry
 * their own version byte, so subclasses' snapshots need no configuration.
 */
public abstract class CodecSerializer<T> extends TypeSerializerSingleton<T> {

    abstract void write(T value, DataOutput out) throws IOException;

    abstract T read(DataInputView in) throws IOException;

    /** What a value is, for the error when stored bytes do not decode ("profile", "event"). */
    String what() {
        return "value";
    }

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

    /** What a thread encoded within {@link #encodingOnce}. */
    private static final class Encoded {
        boolean within;

        /** The value whose bytes {@link #bytes} holds; null while none, or while being written. */
        @Nullable Object value;

        ByteArrayDataOutput bytes = new ByteArrayDataOutput(1024);
    }

    private static final ThreadLocal<Encoded> ENCODED = ThreadLocal.withInitial(Encoded::new);

    /** State writes, as {@link #encodingOnce} runs them. */
    public interface Writes {
        void run() throws Exception;
    }

    /**
     * Runs {@code writes}, within which a value this thread serializes again right after it was
     * serialized is written from the first encoding's bytes. With Flink's changelog state backend
     * an update serializes its value twice, one call after the other: for RocksDB, and for the log
     * of changes. A profile's encoding, done twice, was a twelfth of the job's time per event at a
     * thousand segments. The values must not change within {@code writes} (an update does not
     * change them); outside it every serialization encodes afresh, so a profile changed after an
     * update and written again is never written from old bytes.
     */
    public static void encodingOnce(Writes writes) throws Exception {
        Encoded e = ENCODED.get();
        if (e.within) {
            writes.run();
            return;
        }
        e.within = true;
        try {
            writes.run();
        } finally {
            e.within = false;
            e.value = null;
            if (e.bytes.size() > MAX_KEPT) {
                e.bytes = new ByteArrayDataOutput(1024);
            }
        }
    }

    @Override
    public void serialize(T value, DataOutputView out) throws IOException {
        Encoded encoded = ENCODED.get();
        if (encoded.within) {
            if (encoded.value != value) {
                encoded.value = null;
                encoded.bytes.reset();
                write(value, encoded.bytes);
                encoded.value = value;
            }
            encoded.bytes.writeTo(out);
            return;
        }
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
    public T deserialize(DataInputView in) {
        return decode(in);
    }

    @Override
    public T deserialize(T reuse, DataInputView in) {
        return decode(in);
    }

    /**
     * The state backends decode from bytes in memory (RocksDB hands over the value it read), so a
     * failure here is the stored bytes', whatever the codec threw: {@link CorruptStateException},
     * one user's data, which is not taken for the backend failing (see {@code UserStore}). Bytes a
     * later build wrote are not damage: every value it wrote reads so, and the task fails ({@link
     * StateAccessException}, restarting and failing again) rather than every such user being set
     * aside.
     */
    private T decode(DataInputView in) {
        try {
            return read(in);
        } catch (NewerEncodingException e) {
            throw new StateAccessException(e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            throw new CorruptStateException("a stored " + what() + " could not be decoded", e);
        }
    }

    @Override
    public T copy(T from, T reuse) {
        return copy(from);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        write(decode(in), out);
    }
}
