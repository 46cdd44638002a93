package io.cohortflow.core.state;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * LEB128 variable-length integers with zig-zag for signed values: small numbers, few bytes. Also
 * strings as a varint byte length and their UTF-8 bytes: unlike {@link DataOutput#writeUTF}, whose
 * 65 535-byte limit let one long property value fail the job, any length the edge accepts fits.
 */
public final class Varints {
    private Varints() {}

    public static void writeUnsigned(DataOutput out, long v) throws IOException {
        while ((v & ~0x7FL) != 0) {
            out.writeByte((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.writeByte((int) v);
    }

    public static long readUnsigned(DataInput in) throws IOException {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte b = in.readByte();
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return v;
            }
        }
        throw new IOException("malformed varint");
    }

    public static void writeSigned(DataOutput out, long v) throws IOException {
        writeUnsigned(out, (v << 1) ^ (v >> 63));
    }

    public static long readSigned(DataInput in) throws IOException {
        long u = readUnsigned(in);
        return (u >>> 1) ^ -(u & 1);
    }

    public static void writeInt(DataOutput out, int v) throws IOException {
        writeUnsigned(out, v & 0xFFFFFFFFL);
    }

    /** How many bytes {@link #writeInt} takes for {@code v}. */
    public static int sizeOfInt(int v) {
        return sizeOfUnsigned(v & 0xFFFFFFFFL);
    }

    /** How many bytes {@link #writeUnsigned} takes for {@code v}. */
    public static int sizeOfUnsigned(long v) {
        int bits = 64 - Long.numberOfLeadingZeros(v);
        return bits == 0 ? 1 : (bits + 6) / 7;
    }

    public static int readInt(DataInput in) throws IOException {
        long v = readUnsigned(in);
        if (v < 0 || v > Integer.MAX_VALUE) { // < 0: a tenth byte set the sign bit
            throw new IOException("length out of range: " + Long.toUnsignedString(v));
        }
        return (int) v;
    }

    public static void writeString(DataOutput out, String s) throws IOException {
        writeString(out, s, 0);
    }

    /**
     * {@link #writeString(DataOutput, String)} of {@code s}'s characters from {@code from} on
     * ({@code from} not inside a surrogate pair), without a copy of them when {@code out} is core's
     * byte array and they are ASCII.
     */
    public static void writeString(DataOutput out, String s, int from) throws IOException {
        if (out instanceof ByteArrayDataOutput bytes && bytes.writeAscii(s, from)) {
            return;
        }
        byte[] b = (from == 0 ? s : s.substring(from)).getBytes(StandardCharsets.UTF_8);
        writeInt(out, b.length);
        out.write(b);
    }

    /**
     * The next {@code n} bytes of {@code in}. A damaged length fails at the input's end rather than
     * by allocating it: past a few kilobytes, the bytes are taken as they arrive.
     */
    public static byte[] readBytes(DataInput in, int n) throws IOException {
        if (n < 0) {
            throw new IOException(n + " bytes");
        }
        if (n <= 8_192) {
            byte[] b = new byte[n];
            in.readFully(b);
            return b;
        }
        ByteArrayDataOutput block = new ByteArrayDataOutput(8_192);
        block.copyFrom(in, n);
        return block.toByteArray();
    }

    public static String readString(DataInput in) throws IOException {
        int n = readInt(in);
        if (in instanceof ByteArrayDataInput bytes) {
            return bytes.readUtf8(n); // decoded in place, without a copy of the bytes first
        }
        if (n < 0) {
            throw new IOException("a string of " + n + " bytes");
        }
        return new String(readBytes(in, n), StandardCharsets.UTF_8);
    }
}
