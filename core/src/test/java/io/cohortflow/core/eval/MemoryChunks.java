package io.cohortflow.core.eval;

import java.util.TreeMap;

/** History chunks in memory, for tests; counts its reads, writes, rewrites and deletes. */
public final class MemoryChunks implements HistoryChunks {
    private final TreeMap<Long, EventChunk> chunks = new TreeMap<>();
    public int reads;
    public int writes;

    /** Writes of a chunk that was there: events appended to it. */
    public int rewrites;

    public int deletes;

    /** A chunk whose reads fail as damaged stored bytes do (none: -1). */
    public long damaged = -1;

    @Override
    public EventChunk read(long id) {
        reads++;
        if (id == damaged) {
            throw new io.cohortflow.core.state.CorruptStateException(
                    "chunk " + id, new java.io.IOException("damaged in the test"));
        }
        EventChunk c = chunks.get(id);
        if (c == null) {
            throw new IllegalStateException("no chunk " + id);
        }
        return c;
    }

    @Override
    public void write(long id, EventChunk chunk) {
        writes++;
        if (chunks.containsKey(id)) {
            // Only the newest chunk (ids are insert sequences) takes events appended.
            if (id != chunks.lastKey()) {
                throw new IllegalStateException("chunk " + id + " written twice");
            }
            rewrites++;
        }
        chunks.put(id, chunk); // never changed once written (see EventChunk)
    }

    @Override
    public void delete(long id) {
        deletes++;
        if (chunks.remove(id) == null) {
            throw new IllegalStateException("no chunk " + id + " to delete");
        }
    }

    /** The chunks held. */
    public int size() {
        return chunks.size();
    }

    /** The events the chunks hold, all of them. */
    public int events() {
        return chunks.values().stream().mapToInt(EventChunk::size).sum();
    }
}
