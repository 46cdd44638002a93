package io.cohortflow.core.eval;

import io.cohortflow.core.event.Event;
import io.cohortflow.core.state.EventCodec;
import io.cohortflow.core.state.Varints;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The history's chunks section of {@link ProfileCodec}, its last: the open chunk's events and where
 * the sealed ones are ({@link ProfileHistory}). Its instants are distances from the user's now, as
 * the clock's ({@link ProfileCodec#instant}).
 */
final class ChunksCodec {
    /**
     * Bounds on the open chunk read, as {@link ProfileCodec} bounds its instants, on what damaged
     * input costs: it is sealed past a few events or a kilobyte ({@link ProfileHistory}), so these
     * are far above what is written.
     */
    private static final int MAX_OPEN_EVENTS = 1 << 16;

    private static final int MAX_OPEN_BYTES = 1 << 24;

    /**
     * And on the sealed chunks' count: a history of at most a few thousand events has far fewer.
     */
    private static final int MAX_CHUNKS = 1 << 20;

    private ChunksCodec() {}

    /**
     * The history's chunks ({@link ProfileHistory}): 0 for a history kept one entry per event by
     * the caller; else 1 + the number of events of the open chunk, those events ({@link
     * EventChunk#write}), the sealed chunks (how many, then per chunk its id as a gap from the
     * previous one and the time of its oldest event not removed) and the time up to which events
     * were removed.
     */
    static void write(UserProfile p, DataOutput out) throws IOException {
        if (p.inlineHistory == null) {
            Varints.writeInt(out, 0);
            return;
        }
        long base = ProfileCodec.base(p);
        Varints.writeInt(out, p.inlineHistory.size() + 1);
        p.inlineHistory.write(out);
        Varints.writeInt(out, p.chunks);
        long previous = 0;
        for (int c = 0; c < p.chunks; c++) {
            Varints.writeUnsigned(out, p.chunkIds[c] - previous);
            previous = p.chunkIds[c];
            ProfileCodec.instant(out, p.chunkOldest[c], base, true);
        }
        ProfileCodec.instant(out, p.historyRemovedUpTo, base, true);
    }

    /**
     * What {@link #write} wrote; {@code sized}: the open chunk's events with their lengths (version
     * 12 on), else one after the other, decoded here.
     */
    static void read(UserProfile p, DataInput in, boolean sized) throws IOException {
        int open = Varints.readInt(in);
        if (open == 0) {
            return;
        }
        if (open < 0 || open - 1 > MAX_OPEN_EVENTS) {
            throw new IOException("an open chunk of " + (open - 1) + " events");
        }
        long base = ProfileCodec.base(p);
        if (sized) {
            p.inlineHistory = EventChunk.read(in, open - 1, MAX_OPEN_BYTES);
        } else {
            List<Event> events = new ArrayList<>(open - 1);
            for (int i = 1; i < open; i++) {
                events.add(EventCodec.readStored(in));
            }
            p.inlineHistory = EventChunk.of(events);
        }
        int n = Varints.readInt(in);
        if (n > MAX_CHUNKS) {
            throw new IOException(n + " sealed chunks");
        }
        p.chunkIds = new long[n];
        p.chunkOldest = new long[n];
        long id = 0;
        for (int c = 0; c < n; c++) {
            id += Varints.readUnsigned(in);
            p.chunkIds[c] = id;
            p.chunkOldest[c] = ProfileCodec.instant(in, base, true);
        }
        p.chunks = n;
        p.historyRemovedUpTo = ProfileCodec.instant(in, base, true);
    }
}
