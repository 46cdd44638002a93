package io.cohortflow.core.eval;

import io.cohortflow.core.event.Event;
import io.cohortflow.core.state.CorruptStateException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A user's history in chunks: the newest events, by arrival, in the user's profile (the open
 * chunk), and older ones in sealed chunks in the caller's {@link HistoryChunks}. The open chunk is
 * sealed at {@link #MAX_EVENTS} events (or about {@link #MAX_BYTES} bytes): appended to the newest
 * sealed chunk while that then holds at most {@link #MAX_SEALED_EVENTS} events (about {@link
 * #MAX_SEALED_BYTES} bytes), else written as a new one. Most users have a few events and never seal
 * a chunk, so their history costs the caller nothing beyond the profile it reads and writes anyway;
 * a larger one costs a point read per sealed chunk when the history is read, and a read and a write
 * every {@link #MAX_EVENTS} events. The job's earlier layout, one store entry per event, read the
 * whole history with an iterator (a seek through every level of RocksDB) and wrote an entry per
 * event; sealed chunks of 8 events, never appended to, cost 5 point reads per history read at 40
 * events.
 *
 * <p>Chunks hold events by arrival, not by time: a chunk holds, in time order, the events that
 * arrived while it was open or newest. Readers put the chunks together and sort by time, stably:
 * ties keep their arrival order, as chunks are read in the order they were sealed and a chunk's own
 * events come before the later arrivals appended to it that tie them. Removals (horizon, cap) take
 * the events up to a time: the open chunk drops them, a sealed one is deleted once all of its
 * events are gone and until then readers skip them ({@link UserProfile#historyRemovedUpTo}).
 *
 * <p>A profile that holds events but no open chunk has its history one entry per event in the
 * caller's {@code perEvent} store (profiles stored before chunks, or by callers that keep the
 * history themselves): it stays there, read and written as before, until it is empty; then the
 * user's next event starts the chunked layout.
 *
 * <p>Make one per operation, around the profile being operated on: it holds no state of its own.
 */
public final class ProfileHistory implements EventHistory {
    /** At most this many events per chunk. */
    static final int MAX_EVENTS = 8;

    /** At most about this many bytes of events per chunk (their encodings: {@link EventChunk}). */
    static final int MAX_BYTES = 1_024;

    /** A sealed chunk takes open chunks until it holds this many events ... */
    static final int MAX_SEALED_EVENTS = 4 * MAX_EVENTS;

    /** ... or about this many bytes of them. */
    static final int MAX_SEALED_BYTES = 4 * MAX_BYTES;

    private static final Comparator<Event> BY_TIME = Comparator.comparingLong(Event::time);

    private final UserProfile p;
    private final EventHistory perEvent;
    private final HistoryChunks chunks;

    private ProfileHistory(UserProfile p, EventHistory perEvent, HistoryChunks chunks) {
        this.p = p;
        this.perEvent = perEvent;
        this.chunks = chunks;
    }

    /**
     * The history of the user whose profile is {@code p}: sealed chunks in {@code chunks}, and a
     * history stored before chunks in {@code perEvent}.
     */
    public static EventHistory of(UserProfile p, EventHistory perEvent, HistoryChunks chunks) {
        return new ProfileHistory(p, perEvent, chunks);
    }

    private boolean perEvent() {
        return p.inlineHistory == null;
    }

    @Override
    public List<Event> events() {
        if (perEvent()) {
            return perEvent.events();
        }
        if (p.chunks == 0) {
            return p.inlineHistory.events();
        }
        List<Event> all = new ArrayList<>();
        for (int c = 0; c < p.chunks; c++) {
            EventChunk chunk = chunks.read(p.chunkIds[c]);
            for (int i = chunk.countUpTo(p.historyRemovedUpTo); i < chunk.size(); i++) {
                all.add(chunk.get(i)); // in time order: the removed ones are its first
            }
        }
        all.addAll(p.inlineHistory.events());
        all.sort(BY_TIME); // stable: ties stay in arrival order
        return all;
    }

    /** The open chunk's newest events: the user's latest arrivals, in their profile. */
    @Override
    public @Nullable List<Event> inMemory(int n) {
        return perEvent() ? perEvent.inMemory(n) : p.inlineHistory.newest(n);
    }

    @Override
    public void insert(Event e, long sequence) {
        if (perEvent() && p.historySize == 0) {
            p.inlineHistory = new EventChunk();
        }
        if (perEvent()) {
            perEvent.insert(e, sequence);
            return;
        }
        EventChunk open = p.inlineHistory;
        int at = open.size();
        while (at > 0 && open.time(at - 1) > e.time()) {
            at--; // after events of the same time
        }
        open.insert(at, e);
        if (open.size() >= MAX_EVENTS || open.bytes() > MAX_BYTES) {
            seal(sequence);
        }
    }

    /**
     * Writes the open chunk out: appended to the newest sealed chunk while that has room, else
     * under {@code id} (an insert sequence: unique for the user).
     */
    private void seal(long id) {
        EventChunk open = p.inlineHistory;
        if (p.chunks > 0 && open.bytes() <= MAX_BYTES && appendedToNewest(open)) {
            p.inlineHistory = new EventChunk();
            return;
        }
        chunks.write(id, open);
        if (p.chunks == p.chunkIds.length) {
            int n = Math.max(4, p.chunks * 2);
            p.chunkIds = java.util.Arrays.copyOf(p.chunkIds, n);
            p.chunkOldest = java.util.Arrays.copyOf(p.chunkOldest, n);
        }
        p.chunkIds[p.chunks] = id;
        p.chunkOldest[p.chunks] = open.time(0);
        p.chunks++;
        p.inlineHistory = new EventChunk();
    }

    /**
     * Appends {@code open}'s events to the newest sealed chunk, rewritten under its id, if it then
     * holds at most {@link #MAX_SEALED_EVENTS} events and about {@link #MAX_SEALED_BYTES} bytes: a
     * read of the history costs a point read per chunk, so fewer, larger chunks make it cheaper,
     * for a read of that chunk every seal. Events the horizon or the cap took from it go. Both
     * chunks are appended as their encodings ({@link EventChunk#appended}).
     */
    private boolean appendedToNewest(EventChunk open) {
        int newest = p.chunks - 1;
        EventChunk stored;
        try {
            stored = chunks.read(p.chunkIds[newest]);
        } catch (CorruptStateException | IllegalStateException damagedOrMissing) {
            // Left as it is for the history's readers (who set the user aside, as before): the
            // user's events go on into a new chunk, rather than failing every 8th one for good.
            return false;
        }
        int removed = stored.countUpTo(p.historyRemovedUpTo); // its oldest: it is in time order
        if (stored.size() - removed + open.size() > MAX_SEALED_EVENTS
                || stored.bytesFrom(removed) + open.bytes() > MAX_SEALED_BYTES) {
            return false;
        }
        EventChunk appended = stored.appended(removed, open);
        chunks.write(p.chunkIds[newest], appended);
        p.chunkOldest[newest] = appended.time(0);
        return true;
    }

    @Override
    public Removal removeUpTo(long upTo) {
        if (perEvent()) {
            return perEvent.removeUpTo(upTo);
        }
        List<Event> removed = new ArrayList<>();
        long oldestLeft = Long.MAX_VALUE;
        int kept = 0;
        for (int c = 0; c < p.chunks; c++) {
            if (p.chunkOldest[c] <= upTo) {
                // Some of its events go: read them (the caller keeps counts by name), and the
                // oldest that stays.
                long left = Long.MAX_VALUE;
                EventChunk chunk = chunks.read(p.chunkIds[c]);
                for (int i = 0; i < chunk.size(); i++) {
                    long t = chunk.time(i);
                    if (t > p.historyRemovedUpTo && t <= upTo) {
                        removed.add(chunk.get(i)); // decoded: only the events that go
                    } else if (t > upTo) {
                        left = Math.min(left, t);
                    }
                }
                if (left == Long.MAX_VALUE) {
                    chunks.delete(p.chunkIds[c]);
                    continue;
                }
                p.chunkOldest[c] = left; // what readers still see of it
            }
            oldestLeft = Math.min(oldestLeft, p.chunkOldest[c]);
            p.chunkIds[kept] = p.chunkIds[c];
            p.chunkOldest[kept] = p.chunkOldest[c];
            kept++;
        }
        p.chunks = kept;
        EventChunk open = p.inlineHistory;
        int n = 0;
        while (n < open.size() && open.time(n) <= upTo) {
            n++;
        }
        removed.addAll(open.removeFirst(n));
        if (!open.isEmpty()) {
            oldestLeft = Math.min(oldestLeft, open.time(0));
        }
        p.historyRemovedUpTo = Math.max(p.historyRemovedUpTo, upTo);
        return new Removal(removed, oldestLeft);
    }
}
