package io.cohortflow.core.contract;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * The frames of a reply sent straight from the job to the service replica that waits for it (see
 * {@link EventEnvelope#replyTo}): the replies topic's key and value, each preceded by its length as
 * a 4-byte big-endian integer. The job writes them, the service reads them; this is the one place
 * for the layout and its bounds.
 */
public final class ReplyFrames {
    private ReplyFrames() {}

    /** The longest key a frame carries (request ids are UUIDs; estimate parts add a prefix). */
    public static final int MAX_KEY_BYTES = 1_024;

    /**
     * The longest value: a reply is a record of the replies topic, and the job turns one past
     * {@link RecordLimits#MAX_BYTES} into a {@code reply_too_large} error before it is sent.
     */
    public static final int MAX_VALUE_BYTES = RecordLimits.MAX_BYTES;

    /**
     * What a value's buffer starts with when fewer of its bytes have arrived: a reader holds no
     * more than this for a value announced and not sent.
     */
    public static final int FIRST_CHUNK_BYTES = 8 * 1024;

    /** One frame read: a reply's key and value, as on the replies topic. */
    public record Frame(String key, byte[] value) {}

    /**
     * The memory the frames being read may take, shared by the connections of one reader: a buffer
     * is reserved before it is allocated, and given back when it is dropped.
     */
    public interface Allowance {
        /** No bounds beyond a frame's own. */
        Allowance UNBOUNDED =
                new Allowance() {
                    @Override
                    public boolean reserve(int bytes) {
                        return true;
                    }

                    @Override
                    public void release(int bytes) {}
                };

        /** True when {@code bytes} more may be held; false refuses them, which fails the frame. */
        boolean reserve(int bytes);

        /** Gives back {@code bytes} reserved before. */
        void release(int bytes);
    }

    /** A frame refused because its next buffer is past what the reader may hold at the moment. */
    public static final class OverAllowanceException extends IOException {
        private static final long serialVersionUID = 1L;

        OverAllowanceException(int bytes) {
            super("a reply frame's buffer of " + bytes + " bytes is past what the reader may hold");
        }
    }

    /** A frame, ready to write. */
    public static ByteBuffer encode(String key, byte[] value) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        if (k.length > MAX_KEY_BYTES || value.length > MAX_VALUE_BYTES) {
            throw new IllegalArgumentException(
                    "a reply frame holds a key of at most "
                            + MAX_KEY_BYTES
                            + " bytes and a value of at most "
                            + MAX_VALUE_BYTES);
        }
        ByteBuffer b = ByteBuffer.allocate(8 + k.length + value.length);
        b.putInt(k.length).put(k).putInt(value.length).put(value);
        return b.flip();
    }

    /** {@link #read(DataInputStream, Allowance)} with no allowance beyond a frame's bounds. */
    public static @Nullable Frame read(DataInputStream in) throws IOException {
        return read(in, Allowance.UNBOUNDED);
    }

    /**
     * The next frame, or null at the end of the stream between two frames. A stream that ends
     * inside a frame (a writer that gave up on it), announces a length out of bounds or needs more
     * than {@code allowance} grants fails.
     *
     * <p>A length is what the sender announces, not what it sends: the value's buffer grows with
     * the bytes that have arrived, never to the announced length ahead of them. It starts with what
     * has arrived or {@link #FIRST_CHUNK_BYTES}, and grows (to twice its size, or what has arrived)
     * only once a byte past it has come, so it holds at most twice what arrived, three times while
     * it grows (the old buffer and the new). Everything reserved is given back before this returns;
     * the frame returned is the caller's.
     */
    public static @Nullable Frame read(DataInputStream in, Allowance allowance) throws IOException {
        int keyLength;
        try {
            keyLength = in.readInt();
        } catch (EOFException e) {
            return null;
        }
        checkLength(keyLength, MAX_KEY_BYTES, "key");
        Reading r = new Reading(in, allowance);
        try {
            byte[] key = r.bytes(keyLength);
            int valueLength = in.readInt();
            checkLength(valueLength, MAX_VALUE_BYTES, "value");
            byte[] value = r.bytes(valueLength);
            return new Frame(new String(key, StandardCharsets.UTF_8), value);
        } finally {
            r.releaseAll();
        }
    }

    private static void checkLength(int length, int max, String what) throws IOException {
        if (length < 0 || length > max) {
            throw new IOException("a reply frame's " + what + " of " + length + " bytes");
        }
    }

    /** One frame's buffers, and what they hold of the allowance. */
    private static final class Reading {
        private final DataInputStream in;
        private final Allowance allowance;
        private int reserved;

        Reading(DataInputStream in, Allowance allowance) {
            this.in = in;
            this.allowance = allowance;
        }

        /** {@code length} bytes, read into a buffer that grows as they arrive. */
        byte[] bytes(int length) throws IOException {
            if (length == 0) {
                return new byte[0];
            }
            // What has already arrived is read into one buffer of its size, as before: a reply
            // that came whole (the job writes each in one go) costs no copy.
            byte[] b = grow(null, Math.min(length, Math.max(FIRST_CHUNK_BYTES, in.available())));
            int filled = 0;
            while (filled < length) {
                if (filled == b.length) {
                    // Only once another byte has come: a sender that stops here holds no more
                    // than it sent.
                    int next = in.read();
                    if (next < 0) {
                        throw new EOFException("a reply frame cut short");
                    }
                    long size = Math.max(2L * b.length, (long) filled + 1 + in.available());
                    b = grow(b, (int) Math.min(length, size));
                    b[filled++] = (byte) next;
                    continue;
                }
                int n = in.read(b, filled, b.length - filled);
                if (n < 0) {
                    throw new EOFException("a reply frame cut short");
                }
                filled += n;
            }
            return b;
        }

        private byte[] grow(byte @Nullable [] old, int size) throws IOException {
            if (!allowance.reserve(size)) {
                throw new OverAllowanceException(size);
            }
            reserved += size;
            byte[] b = new byte[size];
            if (old != null) {
                System.arraycopy(old, 0, b, 0, old.length);
                allowance.release(old.length);
                reserved -= old.length;
            }
            return b;
        }

        void releaseAll() {
            allowance.release(reserved);
            reserved = 0;
        }
    }
}
