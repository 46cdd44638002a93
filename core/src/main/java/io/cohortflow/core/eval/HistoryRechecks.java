package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Window;
import io.cohortflow.core.event.Event;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The rechecks of the history-evaluated segments ({@link HistorySegments}), one row of the
 * profile's {@link UserProfile#rechecks} per segment: the next instant its answer can change
 * without an event, as events leave one of its windows or the horizon.
 */
final class HistoryRechecks {
    private HistoryRechecks() {}

    /** Adds the segments whose recheck is due by the user's now, and forgets those rechecks. */
    static void collectDue(UserProfile p, SegmentCatalog catalog, Set<CompiledSegment> due) {
        p.rechecks.removeIf(
                row -> {
                    if (p.rechecks.get(row, 0) > p.now) {
                        return false;
                    }
                    CompiledSegment s = catalog.segmentAt(p.rechecks.ordinal(row));
                    if (s != null) {
                        due.add(s);
                    }
                    return true;
                });
    }

    /** Forgets the rechecks of segments no longer live. */
    static void forgetRemoved(UserProfile p, SegmentCatalog catalog) {
        p.rechecks.removeIf(row -> catalog.segmentAt(p.rechecks.ordinal(row)) == null);
    }

    /** The earliest recheck, or {@link Long#MAX_VALUE}. */
    static long earliest(UserProfile p) {
        long next = Long.MAX_VALUE;
        for (int row = 0; row < p.rechecks.size(); row++) {
            next = Math.min(next, p.rechecks.get(row, 0));
        }
        return next;
    }

    /**
     * The next instant an event of {@code events} (of {@code names} only, when given) leaves one of
     * the segment's windows or the {@code horizon}.
     */
    static long next(
            UserProfile p,
            CompiledSegment s,
            List<Event> events,
            @Nullable Set<String> names,
            long horizon) {
        long next = Long.MAX_VALUE;
        for (Event e : events) {
            if (names == null || names.contains(e.name())) {
                next = e.time() + horizon;
                break;
            }
        }
        for (Window w : s.windows()) {
            for (Event e : events) {
                if ((names == null || names.contains(e.name())) && w.visible(e.time(), p.now)) {
                    next = Math.min(next, w.expiry(e.time()));
                    break; // expiry grows with time: the oldest visible event expires first
                }
            }
        }
        return next;
    }

    /**
     * Stores {@code next} as the recheck of {@code s} (none for {@link Long#MAX_VALUE}), bringing
     * the user's next expiry forward to it.
     */
    static void store(UserProfile p, CompiledSegment s, long next) {
        if (next == Long.MAX_VALUE) {
            p.rechecks.remove(s.ordinal());
        } else {
            p.rechecks.set(p.rechecks.upsert(s.ordinal()), 0, next);
            p.nextExpiry = Math.min(p.nextExpiry, next);
        }
    }
}
