package io.cohortflow.core.state;

import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;

/**
 * A {@link DataOutput} into a growing byte array, for the codecs' in-memory encodings (profile
 * copies, event lists between operators). {@code DataOutputStream} over a {@code
 * ByteArrayOutputStream} takes a lock for every byte it writes: a profile of a few kilobytes,
 * written a varint at a time, cost the engine loop more than the engine itself.
 */
public final class ByteArrayDataOutput implements DataOutput {
    private byte[] buf;
    private int size;

    public ByteArrayDataOutput() {
        this(256);
    }

    public ByteArrayDataOutput(int capacity) {
        buf = new byte[Math.max(16, capacity)];
    }

    /** The bytes written so far, as a new array. */
    public byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }

    public int size() {
        return size;
    }

    /** Forgets what was written, keeping the array for the next use. */
    public void reset() {
        size = 0;
    }

    /** Copies the bytes written into {@code dest} from {@code at}. */
    public void copyTo(byte[] dest, int at) {
        System.arraycopy(buf, 0, dest, at, size);
    }

    /**
     * Inserts before the bytes written since position {@code from} their count, as a varint ({@link
     * Varints#writeInt}): a length prefix for what was written without knowing it first.
     */
    public void prefixLength(int from) throws IOException {
        int length = size - from;
        int k = Varints.sizeOfInt(length);
        ensure(k);
        System.arraycopy(buf, from, buf, from + k, length);
        size = from; // the varint goes into the gap just made
        Varints.writeInt(this, length);
        size += length;
    }

    /** Writes the bytes written so far to {@code out}, in one call. */
    public void writeTo(DataOutput out) throws IOException {
        out.write(buf, 0, size);
    }

    private void ensure(int more) {
        if (size + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
        }
    }

    /**
     * Appends the next {@code n} bytes of {@code in}. The room grows as they arrive, so that a
     * damaged length fails at the input's end rather than by allocating it.
     */
    public void copyFrom(DataInput in, int n) throws IOException {
        for (int left = n; left > 0; ) {
            int block = Math.min(left, 8_192);
            ensure(block);
            in.readFully(buf, size, block);
            size += block;
            left -= block;
        }
    }

    @Override
    public void write(int b) {
        ensure(1);
        buf[size++] = (byte) b;
    }

    @Override
    public void write(byte[] b) {
        write(b, 0, b.length);
    }

    @Override
    public void write(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, buf, size, len);
        size += len;
    }

    @Override
    public void writeBoolean(boolean v) {
        write(v ? 1 : 0);
    }

    @Override
    public void writeByte(int v) {
        write(v);
    }

    @Override
    public void writeShort(int v) {
        ensure(2);
        buf[size++] = (byte) (v >>> 8);
        buf[size++] = (byte) v;
    }

    @Override
    public void writeChar(int v) {
        writeShort(v);
    }

    @Override
    public void writeInt(int v) {
        ensure(4);
        for (int shift = 24; shift >= 0; shift -= 8) {
            buf[size++] = (byte) (v >>> shift);
        }
    }

    @Override
    public void writeLong(long v) {
        ensure(8);
        for (int shift = 56; shift >= 0; shift -= 8) {
            buf[size++] = (byte) (v >>> shift);
        }
    }

    @Override
    public void writeFloat(float v) {
        writeInt(Float.floatToIntBits(v));
    }

    @Override
    public void writeDouble(double v) {
        writeLong(Double.doubleToLongBits(v));
    }

    @Override
    public void writeBytes(String s) {
        ensure(s.length());
        for (int i = 0; i < s.length(); i++) {
            buf[size++] = (byte) s.charAt(i);
        }
    }

    /**
     * Writes {@code s} as {@link Varints#writeString} does (its length, then its UTF-8) if it is
     * ASCII, as event names, property keys and most values are: its UTF-8 is then its chars,
     * written without an encoded copy. Returns false, having written nothing, otherwise. (Not
     * through {@link #writeBytes} of any {@code DataOutput}: Flink's {@code DataOutputSerializer}
     * advances twice per byte there.)
     */
    public boolean writeAscii(String s) throws IOException {
        return writeAscii(s, 0);
    }

    /** {@link #writeAscii(String)} of {@code s}'s characters from {@code from} on. */
    public boolean writeAscii(String s, int from) throws IOException {
        int n = s.length();
        for (int i = from; i < n; i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        Varints.writeInt(this, n - from);
        ensure(n - from);
        for (int i = from; i < n; i++) {
            buf[size++] = (byte) s.charAt(i);
        }
        return true;
    }

    @Override
    public void writeChars(String s) {
        for (int i = 0; i < s.length(); i++) {
            writeChar(s.charAt(i));
        }
    }

    /**
     * Modified UTF-8 as {@link DataOutputStream#writeUTF} writes it (only legacy encodings use it).
     */
    @Override
    public void writeUTF(String s) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(s.length() + 2);
        try (DataOutputStream out = new DataOutputStream(b)) {
            out.writeUTF(s);
        }
        write(b.toByteArray());
    }
}
