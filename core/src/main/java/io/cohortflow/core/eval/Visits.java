package io.cohortflow.core.eval;

import io.cohortflow.core.event.Event;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A profile's bookkeeping of the user's visits ({@link Metrics#visitKey}) for the visit containers'
 * gates: which visit the profile's names ({@link UserProfile#names}) mark, how many of the newest
 * events are that visit's, and how many stored events each visit has.
 */
final class Visits {
    /** The profile's names, whose marks are those of the {@link #marked} visit. */
    private final NameCounts names;

    Visits(NameCounts names) {
        this.names = names;
    }

    /**
     * The visit whose names {@link #names} marks, so that the visit containers' gates learn what an
     * event's visit holds without reading the history while the user's events stay in one visit:
     * the visit of the latest event the gates were asked about. Null while none is marked (a new
     * profile, one stored before marks).
     */
    @Nullable String marked;

    /** Whether {@code e} belongs to the visit whose names are marked. */
    boolean inMarked(Event e) {
        return Metrics.visitKey(e).equals(marked);
    }

    /**
     * How many of the newest visible events are the marked visit's, which are then all of its
     * visible events; -1 when not known. Kept while the visit's events are appended one after the
     * other (another visit's event or a late one ends it), so that the visit containers read the
     * visit from the newest events a store holds in memory rather than from the whole history.
     * Events leave the history oldest first: with fewer visible than this, the visit lost some, and
     * its events are read from the history again.
     */
    int run = -1;

    /** The stored events per visit, while the history holds few visits. */
    final VisitCounts counts = new VisitCounts();

    /**
     * Marks the names of {@code events}, those of visit {@code key}, as the current visit's; {@code
     * newest}: whether they are the newest visible events (see {@link #run}).
     */
    void mark(String key, List<Event> events, boolean newest) {
        names.clearMarks();
        for (Event x : events) {
            names.mark(x.name());
        }
        marked = key;
        run = newest ? events.size() : -1;
    }

    /**
     * Counts a stored event: its name, marked when it is of the marked visit, its visit's events,
     * and the marked visit's run, which an {@code appended} event of the visit extends and any
     * other event ends.
     */
    void counted(Event e, boolean appended) {
        String key = Metrics.visitKey(e);
        boolean inVisit = key.equals(marked);
        names.add(e.name(), inVisit, e.time());
        counts.add(key);
        run = inVisit && appended && run >= 0 ? run + 1 : -1;
    }
}
