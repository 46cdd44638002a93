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

    /** Adds an event at its place in time order, after events of the same time. */
    void insert(Event e);

    /** Removes every event with {@code time <= upTo} and returns them. */
    List<Event> removeUpTo(long upTo);

    int size();

    /** The time of the oldest event; only called when {@code size() > 0}. */
    long oldestTime();
}
