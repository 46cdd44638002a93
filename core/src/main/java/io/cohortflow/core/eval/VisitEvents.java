package io.cohortflow.core.eval;

import io.cohortflow.core.event.Event;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The events of one visit ({@link Metrics#visitKey}) for the visit containers ({@link
 * HistorySegments}): found among the visible events, or taken from the newest events a store holds
 * in memory when the profile knows the visit is those ({@link Visits#run}).
 */
final class VisitEvents {
    private VisitEvents() {}

    /** The events of {@code events} that are of visit {@code key}, in their order. */
    static List<Event> of(List<Event> events, String key) {
        List<Event> out = new ArrayList<>();
        int hash = key.hashCode();
        for (Event x : events) {
            // Most events of a user's history are of other visits: the cached hashes tell them
            // apart without comparing the keys.
            if (isOf(x, key, hash)) {
                out.add(x);
            }
        }
        return out;
    }

    /**
     * The marked visit {@code key}'s events as the newest ones {@code h} holds in memory, when the
     * profile knows how many they are and the store holds them all; else null. Each is checked to
     * be of the visit and visible: as the visit has exactly that many visible events, those found
     * are all of them. One not found so ends the run: it cannot be found so again.
     */
    static @Nullable List<Event> fromRun(UserProfile p, EventHistory h, String key, long horizon) {
        if (p.visits.run <= 0 || !key.equals(p.visits.marked)) {
            return null;
        }
        List<Event> newest = h.inMemory(p.visits.run);
        int hash = key.hashCode();
        for (int i = 0; newest != null && i < newest.size(); i++) {
            Event x = newest.get(i);
            if (!isOf(x, key, hash) || !HistorySegments.visibleAt(p, x.time(), p.now, horizon)) {
                newest = null;
            }
        }
        if (newest == null) {
            // Past the store's memory (a sealed chunk holds some), or the visit lost events as
            // the oldest left.
            p.visits.run = -1;
        }
        return newest;
    }

    /** Whether {@code tail} is the end of {@code events}, the same instances in the same order. */
    static boolean isTail(List<Event> tail, List<Event> events) {
        int from = events.size() - tail.size();
        if (from < 0) {
            return false;
        }
        for (int i = 0; i < tail.size(); i++) {
            if (tail.get(i) != events.get(from + i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isOf(Event x, String key, int hash) {
        String k = Metrics.visitKey(x);
        return k.hashCode() == hash && k.equals(key);
    }
}
