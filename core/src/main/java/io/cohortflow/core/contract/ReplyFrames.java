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

    /** The longest value (a reply with every membership of a user stays far below). */
    public static final int MAX_VALUE_BYTES = 16 << 20;

    /** One frame read: a reply's key and value, as on the replies topic. */
    public record Frame(String key, byte[] value) {}

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

    /**
     * The next frame, or null at the end of the stream between two frames. A stream that ends
     * inside a frame (a writer that gave up on it) or announces a length out of bounds fails.
     */
    public static @Nullable Frame read(DataInputStream in) throws IOException {
        int keyLength;
        try {
            keyLength = in.readInt();
        } catch (EOFException e) {
            return null;
        }
        byte[] key = bounded(in, keyLength, MAX_KEY_BYTES, "key");
        byte[] value = bounded(in, in.readInt(), MAX_VALUE_BYTES, "value");
        return new Frame(new String(key, StandardCharsets.UTF_8), value);
    }

    private static byte[] bounded(DataInputStream in, int length, int max, String what)
            throws IOException {
        if (length < 0 || length > max) {
            throw new IOException("a reply frame's " + what + " of " + length + " bytes");
        }
        byte[] b = new byte[length];
        in.readFully(b);
        return b;
    }
}
