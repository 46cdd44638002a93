package io.cohortflow.core.eval;

/**
 * Where the sealed chunks of a user's history are kept (see {@link ProfileHistory}): the caller's
 * store, by a chunk id unique for the user. The job keeps them in a RocksDB map, one entry per
 * chunk, so reading a user's history is a point read per chunk of up to {@link
 * ProfileHistory#MAX_SEALED_EVENTS} events.
 */
public interface HistoryChunks {

    /**
     * Chunk {@code id}, as {@link #write} was given it (or its stored form read back: {@link
     * EventChunk#readSealed}).
     *
     * @throws io.cohortflow.core.state.CorruptStateException when its stored bytes do not decode
     * @throws IllegalStateException when the store holds no chunk {@code id}
     */
    EventChunk read(long id);

    /** Writes chunk {@code id}, or rewrites it with events appended. */
    void write(long id, EventChunk chunk);

    void delete(long id);
}
