package io.cohortflow.core.eval;

import io.cohortflow.core.event.Event;
import java.util.List;

/**
 * A user's stored events in time order (ties in arrival order). The engine decides what is kept;
 * the store only keeps it. The job backs this with a RocksDB {@code MapState} keyed by time, so
 * adding an event writes one entry rather than rewriting the history.
 */
public interface EventHistory {

    /** The events, oldest first. May read the whole store: only the engine's slow paths call it. */
    List<Event> events();

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
