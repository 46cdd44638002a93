package io.cohortflow.core.state;

import java.io.DataInput;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;

/**
 * A {@link DataInput} over a byte array, without the lock per byte of {@code DataInputStream} over
 * a {@code ByteArrayInputStream} (see {@link ByteArrayDataOutput}).
 */
public final class ByteArrayDataInput implements DataInput {
    private final byte[] buf;
    private final int end;
    private int pos;

    public ByteArrayDataInput(byte[] buf) {
        this(buf, 0, buf.length);
    }

    public ByteArrayDataInput(byte[] buf, int offset, int length) {
        this.buf = buf;
        this.pos = offset;
        this.end = offset + length;
    }

    /** Bytes not read yet. */
    public int available() {
        return end - pos;
    }

    private void need(int n) throws EOFException {
        if (end - pos < n) {
            throw new EOFException("needed " + n + " bytes, " + (end - pos) + " left");
        }
    }

    @Override
    public void readFully(byte[] b) throws IOException {
        readFully(b, 0, b.length);
    }

    @Override
    public void readFully(byte[] b, int off, int len) throws IOException {
        need(len);
        System.arraycopy(buf, pos, b, off, len);
        pos += len;
    }

    /** The next {@code len} bytes as a UTF-8 string. */
    public String readUtf8(int len) throws IOException {
        if (len < 0) {
            throw new IOException("a string of " + len + " bytes");
        }
        need(len);
        String s = new String(buf, pos, len, java.nio.charset.StandardCharsets.UTF_8);
        pos += len;
        return s;
    }

    @Override
    public int skipBytes(int n) {
        int skipped = Math.max(0, Math.min(n, end - pos));
        pos += skipped;
        return skipped;
    }

    @Override
    public boolean readBoolean() throws IOException {
        return readByte() != 0;
    }

    @Override
    public byte readByte() throws IOException {
        need(1);
        return buf[pos++];
    }

    @Override
    public int readUnsignedByte() throws IOException {
        return readByte() & 0xFF;
    }

    @Override
    public short readShort() throws IOException {
        return (short) readUnsignedShort();
    }

    @Override
    public int readUnsignedShort() throws IOException {
        need(2);
        int v = ((buf[pos] & 0xFF) << 8) | (buf[pos + 1] & 0xFF);
        pos += 2;
        return v;
    }

    @Override
    public char readChar() throws IOException {
        return (char) readUnsignedShort();
    }

    @Override
    public int readInt() throws IOException {
        need(4);
        int v = 0;
        for (int i = 0; i < 4; i++) {
            v = (v << 8) | (buf[pos++] & 0xFF);
        }
        return v;
    }

    @Override
    public long readLong() throws IOException {
        need(8);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (buf[pos++] & 0xFF);
        }
        return v;
    }

    @Override
    public float readFloat() throws IOException {
        return Float.intBitsToFloat(readInt());
    }

    @Override
    public double readDouble() throws IOException {
        return Double.longBitsToDouble(readLong());
    }

    /**
     * A line as {@link DataInputStream#readLine} reads it: up to {@code \n}, {@code \r} or both.
     */
    @Override
    public String readLine() {
        if (pos >= end) {
            return null;
        }
        StringBuilder s = new StringBuilder();
        while (pos < end) {
            char c = (char) (buf[pos++] & 0xFF);
            if (c == '\n') {
                break;
            }
            if (c == '\r') {
                if (pos < end && buf[pos] == '\n') {
                    pos++;
                }
                break;
            }
            s.append(c);
        }
        return s.toString();
    }

    @Override
    public String readUTF() throws IOException {
        return DataInputStream.readUTF(this);
    }
}
