package io.cohortflow.core.eval;

import io.cohortflow.core.event.Event;
import io.cohortflow.core.state.ByteArrayDataInput;
import io.cohortflow.core.state.ByteArrayDataOutput;
import io.cohortflow.core.state.CorruptStateException;
import io.cohortflow.core.state.EventCodec;
import io.cohortflow.core.state.NewerEncodingException;
import io.cohortflow.core.state.Varints;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.RandomAccess;
import org.jspecify.annotations.Nullable;

/**
 * A chunk of a user's history ({@link ProfileHistory}): events in time order (ties in arrival
 * order), kept as their encodings ({@link EventCodec}), each decoded only when it is read. The open
 * chunk, the newest events, is in the profile, which is read and written per event while most
 * events read none of the history: it is copied in and out as bytes, its new event encoded once
 * when it arrives. (Decoding and encoding every event of it per profile read and write were a sixth
 * of the job's task at 10 definitions.) Sealed chunks are in the caller's {@link HistoryChunks}: a
 * seal appends the open chunk's encodings to the newest one's ({@link #appended}) without decoding
 * either, where decoding and encoding both chunks' events were a sixth of the engine's time for
 * users of a hundred events.
 *
 * <p>What the history's order needs, each event's time, is kept beside the bytes, read from each
 * encoding without decoding the rest. An encoding that turns out not to decode when it is read is
 * the user's stored data damaged: {@link CorruptStateException}.
 *
 * <p>A list of its events to everyone else, read-only: only this package changes a chunk, and only
 * the open one (a sealed chunk, once written, is never changed: a state backend on the heap hands
 * back the object it was given).
 */
public final class EventChunk extends AbstractList<Event> implements RandomAccess {
    private static final byte[] NO_BYTES = new byte[0];

    /**
     * The version byte of a sealed chunk as {@link #writeSealed} writes it. The job stored a chunk
     * as a list of events before (its size as a four-byte int, then each event's encoding), whose
     * first byte is 0 for any chunk of fewer than 16 million events: {@link #readSealed} reads
     * both.
     */
    private static final int SEALED = 1;

    /** The events' encodings, one after the other, in time order (ties in arrival order). */
    private byte[] bytes = NO_BYTES;

    /** Where each event's encoding ends in {@link #bytes}. */
    private int[] ends = new int[0];

    private long[] times = new long[0];

    /** The events decoded so far (null where not yet). */
    private Event[] decoded = new Event[0];

    private int size;

    EventChunk() {}

    /** A chunk holding {@code events}, in their order, which must be by time. */
    public static EventChunk of(List<Event> events) {
        EventChunk c = new EventChunk();
        for (Event e : events) {
            if (c.size > 0 && e.time() < c.times[c.size - 1]) {
                throw new IllegalArgumentException("a chunk's events out of time order");
            }
            c.insert(c.size, e);
        }
        return c;
    }

    /** {@code events} as a chunk: itself when it is one. */
    public static EventChunk from(List<Event> events) {
        return events instanceof EventChunk c ? c : of(events);
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public boolean isEmpty() {
        return size == 0;
    }

    /** The bytes the events' encodings take. */
    int bytes() {
        return size == 0 ? 0 : ends[size - 1];
    }

    long time(int i) {
        return times[i];
    }

    @Override
    public Event get(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException(i);
        }
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
                        "a stored event of the user's history could not be decoded", ex);
            }
            decoded[i] = e;
        }
        return e;
    }

    /** Every event, decoded, in order. */
    List<Event> events() {
        return decodedFrom(0);
    }

    /** Its {@code n} newest events, decoded, oldest first; null when it holds fewer. */
    @Nullable List<Event> newest(int n) {
        return n > size ? null : decodedFrom(size - n);
    }

    /** Its events from position {@code first} on, decoded. */
    private List<Event> decodedFrom(int first) {
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
     * What {@link #write} wrote of {@code n} events, at most {@code maxBytes} of encodings (see
     * {@link #indexed}).
     */
    static EventChunk read(DataInput in, int n, int maxBytes) throws IOException {
        // Grown as lengths are read: a damaged count costs no more than the bytes there are.
        int[] ends = new int[Math.min(n, 64)];
        int total = 0;
        for (int i = 0; i < n; i++) {
            int length = Varints.readInt(in);
            if (length <= 0 || length > maxBytes - total) {
                throw new IOException("an event of " + length + " bytes in a history chunk");
            }
            if (i == ends.length) {
                ends = Arrays.copyOf(ends, 2 * i);
            }
            total += length;
            ends[i] = total;
        }
        // The bytes as they arrive: a damaged length costs no more either.
        return indexed(Varints.readBytes(in, total), ends, n);
    }

    /**
     * The chunk of the {@code n} encodings in {@code bytes} that end at {@code ends}: each event's
     * time read from its encoding (a later build's encoding fails here), the times checked to be in
     * order, the rest of each event decoded when it is read.
     */
    private static EventChunk indexed(byte[] bytes, int[] ends, int n) throws IOException {
        EventChunk c = new EventChunk();
        c.bytes = bytes;
        c.ends = ends;
        c.times = new long[ends.length];
        c.decoded = new Event[ends.length];
        int from = 0;
        for (int i = 0; i < n; i++) {
            c.times[i] = EventCodec.time(bytes, from, ends[i] - from);
            if (i > 0 && c.times[i] < c.times[i - 1]) {
                throw new IOException("a history chunk's events out of time order");
            }
            from = ends[i];
        }
        c.size = n;
        return c;
    }

    /**
     * Its events from position {@code from} on, then {@code later}'s merged in by time, {@code
     * later}'s after this one's where they tie (they arrived after them): a new chunk, made from
     * the encodings without decoding an event, and holding none decoded (it is stored, and a state
     * backend on the heap keeps what it holds). Neither chunk changes.
     */
    EventChunk appended(int from, EventChunk later) {
        int skipped = from == 0 ? 0 : ends[from - 1];
        int n = size - from + later.size;
        EventChunk c = new EventChunk();
        c.bytes = new byte[bytes() - skipped + later.bytes()];
        c.ends = new int[Math.max(n, 4)];
        c.times = new long[c.ends.length];
        c.decoded = new Event[c.ends.length];
        int i = from;
        int j = 0;
        int at = 0;
        for (int k = 0; k < n; k++) {
            EventChunk source;
            int e;
            if (j == later.size || (i < size && times[i] <= later.times[j])) {
                source = this;
                e = i++;
            } else {
                source = later;
                e = j++;
            }
            int start = e == 0 ? 0 : source.ends[e - 1];
            int length = source.ends[e] - start;
            System.arraycopy(source.bytes, start, c.bytes, at, length);
            at += length;
            c.ends[k] = at;
            c.times[k] = source.times[e];
        }
        c.size = n;
        return c;
    }

    /** How many of its first events are at or before {@code time}. */
    int countUpTo(long time) {
        int n = 0;
        while (n < size && times[n] <= time) {
            n++;
        }
        return n;
    }

    /** The bytes its events' encodings take from position {@code from} on. */
    int bytesFrom(int from) {
        return bytes() - (from == 0 ? 0 : ends[from - 1]);
    }

    /**
     * Writes it as a sealed chunk is stored: {@link #SEALED}, the number of events, each encoding's
     * length, then the encodings ({@link EventCodec}) as they are, so that a read takes them as one
     * block.
     */
    public void writeSealed(DataOutput out) throws IOException {
        out.writeByte(SEALED);
        Varints.writeInt(out, size);
        write(out);
    }

    /**
     * What {@link #writeSealed} wrote, at most {@code maxBytes} of encodings, or a list of events
     * as the job stored a chunk before (see {@link #SEALED}): each encoding copied as it is ({@link
     * EventCodec#copyStored}: one of an earlier version is written in this one). Either way each
     * event's time is read, the rest of the event when it is read.
     */
    public static EventChunk readSealed(DataInput in, int maxBytes) throws IOException {
        int version = in.readUnsignedByte();
        if (version == SEALED) {
            return read(in, Varints.readInt(in), maxBytes);
        }
        if (version != 0) {
            if (NewerEncodingException.laterBuild(version, SEALED)) {
                throw new NewerEncodingException("a history chunk", version, SEALED);
            }
            throw new IOException("unknown history chunk encoding version " + version);
        }
        int n = in.readUnsignedByte() << 16 | in.readUnsignedShort(); // the list's size
        // Grown as events are read: a damaged count costs no more than the bytes there are.
        int[] ends = new int[Math.min(n, 64)];
        ByteArrayDataOutput out = new ByteArrayDataOutput(96 * ends.length + 16);
        for (int i = 0; i < n; i++) {
            if (i == ends.length) {
                ends = Arrays.copyOf(ends, 2 * i);
            }
            EventCodec.copyStored(in, out);
            if (out.size() > maxBytes) {
                throw new IOException("a history chunk of more than " + maxBytes + " bytes");
            }
            ends[i] = out.size();
        }
        return indexed(out.toByteArray(), ends, n);
    }
}
