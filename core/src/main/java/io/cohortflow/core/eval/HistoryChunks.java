package io.cohortflow.core.eval;

import io.cohortflow.core.event.Event;
import java.util.List;

/**
 * Where the sealed chunks of a user's history are kept (see {@link ProfileHistory}): the caller's
 * store, by a chunk id unique for the user. The job keeps them in a RocksDB map, one entry per
 * chunk, so reading a user's history is a point read per chunk of up to {@link
 * ProfileHistory#MAX_SEALED_EVENTS} events.
 */
public interface HistoryChunks {

    /**
     * The events of chunk {@code id}, in time order (ties in arrival order).
     *
     * @throws io.cohortflow.core.state.CorruptStateException when its stored bytes do not decode
     * @throws IllegalStateException when the store holds no chunk {@code id}
     */
    List<Event> read(long id);

    /** Writes chunk {@code id}, or rewrites it with events appended. */
    void write(long id, List<Event> events);

    void delete(long id);
}
