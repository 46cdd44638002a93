package io.cohortflow.core.eval;

import io.cohortflow.core.event.Event;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A user's stored events in time order (ties in arrival order). The engine decides what is kept;
 * the store only keeps it. The job backs this with a RocksDB {@code MapState} keyed by time, so
 * adding an event writes one entry rather than rewriting the history.
 */
public interface EventHistory {

    /** The events, oldest first. May read the whole store: only the engine's slow paths call it. */
    List<Event> events();

    /**
     * The {@code n} newest of the events the store holds without reading (a store's newest
     * arrivals, in memory), oldest first; null when it holds fewer. Events that arrived late may be
     * among them while newer ones are not: the caller checks that these are the ones it wants.
     */
    default @Nullable List<Event> inMemory(int n) {
        return null;
    }

    /**
     * Adds an event at its place in time order, after events of the same time. {@code sequence}
     * grows with every insert of this user (the engine keeps it), so a store can make a unique,
     * ordered key without reading first.
     */
    void insert(Event e, long sequence);

    /** Removes every event with {@code time <= upTo}. */
    Removal removeUpTo(long upTo);

    /**
     * What a removal took, and the time of the oldest event left ({@link Long#MAX_VALUE}: none).
     */
    record Removal(List<Event> removed, long oldestLeft) {}
}
