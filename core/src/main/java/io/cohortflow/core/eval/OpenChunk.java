package io.cohortflow.core.eval;

import io.cohortflow.core.event.Event;
import io.cohortflow.core.state.ByteArrayDataInput;
import io.cohortflow.core.state.ByteArrayDataOutput;
import io.cohortflow.core.state.CorruptStateException;
import io.cohortflow.core.state.EventCodec;
import io.cohortflow.core.state.Varints;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The open chunk of a user's history ({@link ProfileHistory}): the newest events, in time order,
 * kept in the profile as their encodings ({@link EventCodec}), each decoded only when it is read.
 * The profile is read and written per event, and most events read none of the history: the chunk is
 * copied in and out as bytes, its new event encoded once when it arrives. (Decoding and encoding
 * every event of it per profile read and write were a sixth of the job's task at 10 definitions.)
 *
 * <p>What the history's order needs, each event's time, is kept beside the bytes, read from each
 * encoding without decoding the rest. An encoding that turns out not to decode when it is read is
 * the user's stored data damaged: {@link CorruptStateException}.
 */
final class OpenChunk {
    private static final byte[] NO_BYTES = new byte[0];

    /** The events' encodings, one after the other, in time order (ties in arrival order). */
    private byte[] bytes = NO_BYTES;

    /** Where each event's encoding ends in {@link #bytes}. */
    private int[] ends = new int[0];

    private long[] times = new long[0];

    /** The events decoded so far (null where not yet). */
    private Event[] decoded = new Event[0];

    private int size;

    OpenChunk() {}

    /** A chunk holding {@code events}, in their order. */
    static OpenChunk of(List<Event> events) {
        OpenChunk c = new OpenChunk();
        for (Event e : events) {
            c.insert(c.size, e);
        }
        return c;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** The bytes the events' encodings take. */
    int bytes() {
        return size == 0 ? 0 : ends[size - 1];
    }

    long time(int i) {
        return times[i];
    }

    Event get(int i) {
        Event e = decoded[i];
        if (e == null) {
            int from = i == 0 ? 0 : ends[i - 1];
            try {
                ByteArrayDataInput in = new ByteArrayDataInput(bytes, from, ends[i] - from);
                e = EventCodec.readStored(in);
                if (in.available() != 0) {
                    throw new IOException(in.available() + " bytes left after the event");
                }
            } catch (IOException | RuntimeException ex) {
                throw new CorruptStateException(
                        "a stored event of the profile's open chunk could not be decoded", ex);
            }
            decoded[i] = e;
        }
        return e;
    }

    /** Every event, decoded, in order. */
    List<Event> events() {
        return from(0);
    }

    /** Its {@code n} newest events, decoded, oldest first; null when it holds fewer. */
    @Nullable List<Event> newest(int n) {
        return n > size ? null : from(size - n);
    }

    /** Its events from position {@code first} on, decoded. */
    private List<Event> from(int first) {
        List<Event> out = new ArrayList<>(size - first);
        for (int i = first; i < size; i++) {
            out.add(get(i));
        }
        return out;
    }

    /** Inserts {@code e} at position {@code at}, encoding it once. */
    void insert(int at, Event e) {
        ByteArrayDataOutput out = new ByteArrayDataOutput(128);
        try {
            EventCodec.write(e, out);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        int length = out.size();
        int from = at == 0 ? 0 : ends[at - 1];
        int used = bytes();
        if (size == ends.length) {
            int n = Math.max(4, size * 2);
            ends = Arrays.copyOf(ends, n);
            times = Arrays.copyOf(times, n);
            decoded = Arrays.copyOf(decoded, n);
        }
        if (used + length > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(used + length, bytes.length * 2));
        }
        System.arraycopy(bytes, from, bytes, from + length, used - from);
        out.copyTo(bytes, from);
        for (int i = size; i > at; i--) {
            ends[i] = ends[i - 1] + length;
            times[i] = times[i - 1];
            decoded[i] = decoded[i - 1];
        }
        ends[at] = from + length;
        times[at] = e.time();
        decoded[at] = e;
        size++;
    }

    /** Removes the first {@code n} events and returns them, decoded. */
    List<Event> removeFirst(int n) {
        List<Event> removed = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            removed.add(get(i));
        }
        int cut = n == 0 ? 0 : ends[n - 1];
        int used = bytes();
        System.arraycopy(bytes, cut, bytes, 0, used - cut);
        for (int i = n; i < size; i++) {
            ends[i - n] = ends[i] - cut;
            times[i - n] = times[i];
            decoded[i - n] = decoded[i];
        }
        Arrays.fill(decoded, size - n, size, null);
        size -= n;
        return removed;
    }

    /** Each encoding's length, then the encodings as they are (the count is the caller's). */
    void write(DataOutput out) throws IOException {
        int from = 0;
        for (int i = 0; i < size; i++) {
            Varints.writeInt(out, ends[i] - from);
            from = ends[i];
        }
        out.write(bytes, 0, bytes());
    }

    /**
     * What {@link #write} wrote of {@code n} events, at most {@code maxBytes} of encodings: each
     * event's time is read from its encoding (a later build's encoding fails here), the rest when
     * the event is read.
     */
    static OpenChunk read(DataInput in, int n, int maxBytes) throws IOException {
        OpenChunk c = new OpenChunk();
        c.ends = new int[Math.max(n, 4)];
        int total = 0;
        for (int i = 0; i < n; i++) {
            int length = Varints.readInt(in);
            if (length <= 0 || length > maxBytes - total) {
                throw new IOException("an event of " + length + " bytes in the open chunk");
            }
            total += length;
            c.ends[i] = total;
        }
        c.bytes = new byte[total];
        in.readFully(c.bytes);
        c.times = new long[c.ends.length];
        c.decoded = new Event[c.ends.length];
        int from = 0;
        for (int i = 0; i < n; i++) {
            c.times[i] = EventCodec.time(c.bytes, from, c.ends[i] - from);
            if (i > 0 && c.times[i] < c.times[i - 1]) {
                throw new IOException("the open chunk's events out of time order");
            }
            from = c.ends[i];
        }
        c.size = n;
        return c;
    }
}
