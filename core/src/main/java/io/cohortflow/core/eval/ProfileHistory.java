package io.cohortflow.core.eval;

import io.cohortflow.core.event.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A user's history kept inside their {@link UserProfile} while it is small, and in the caller's
 * store past that: most users have a few events, and for them reading the history from a store on
 * every event (the job's RocksDB iterator: a seek through every level) cost more than the profile
 * read itself, while a few hundred bytes more in the profile cost next to nothing.
 *
 * <p>A history starts inline when the user has no events, and moves to the store, all of it at
 * once, when an insert would take it past {@link #MAX_EVENTS} events or about {@link #MAX_BYTES}
 * bytes; it comes back inline only once the store is empty again (every event evicted). A profile
 * that holds events but no inline history has them in the store, so profiles written before this
 * existed, or by a caller that does not use it, read as they were.
 *
 * <p>Make one per operation, around the profile being operated on: it holds no state of its own.
 */
public final class ProfileHistory implements EventHistory {
    /** At most this many events inline. */
    static final int MAX_EVENTS = 16;

    /** At most about this many bytes of events inline (see {@link #approximateBytes}). */
    static final int MAX_BYTES = 2_048;

    private final UserProfile p;
    private final EventHistory store;

    private ProfileHistory(UserProfile p, EventHistory store) {
        this.p = p;
        this.store = store;
    }

    /** The history of the user whose profile is {@code p}, spilling to {@code store}. */
    public static EventHistory of(UserProfile p, EventHistory store) {
        return new ProfileHistory(p, store);
    }

    @Override
    public List<Event> events() {
        return p.inlineHistory != null ? List.copyOf(p.inlineHistory) : store.events();
    }

    @Override
    public void insert(Event e, long sequence) {
        List<Event> inline = p.inlineHistory;
        if (inline == null && p.historySize == 0) {
            inline = p.inlineHistory = new ArrayList<>();
        }
        if (inline == null) {
            store.insert(e, sequence);
            return;
        }
        if (inline.size() + 1 > MAX_EVENTS
                || approximateBytes(inline) + approximateBytes(e) > MAX_BYTES) {
            // The store is empty while the history is inline: the events get the sequences just
            // below this insert's, in their order, so ties keep their arrival order there too.
            int n = inline.size();
            for (int i = 0; i < n; i++) {
                store.insert(inline.get(i), sequence - n + i);
            }
            p.inlineHistory = null;
            store.insert(e, sequence);
            return;
        }
        int at = inline.size();
        while (at > 0 && inline.get(at - 1).time() > e.time()) {
            at--; // after events of the same time
        }
        inline.add(at, e);
    }

    @Override
    public Removal removeUpTo(long upTo) {
        List<Event> inline = p.inlineHistory;
        if (inline == null) {
            return store.removeUpTo(upTo);
        }
        int n = 0;
        while (n < inline.size() && inline.get(n).time() <= upTo) {
            n++;
        }
        List<Event> removed = new ArrayList<>(inline.subList(0, n));
        inline.subList(0, n).clear();
        return new Removal(removed, inline.isEmpty() ? Long.MAX_VALUE : inline.get(0).time());
    }

    private static int approximateBytes(List<Event> events) {
        int total = 0;
        for (Event e : events) {
            total += approximateBytes(e);
        }
        return total;
    }

    /**
     * About the bytes of an event's encoding: a bound on what an inline history adds to the profile
     * written per event, not an exact size.
     */
    static int approximateBytes(Event e) {
        int total = 12 + e.name().length();
        total += e.sessionId() == null ? 0 : e.sessionId().length();
        total += e.viewId() == null ? 0 : e.viewId().length();
        return total + approximateBytes((Object) e.properties());
    }

    private static int approximateBytes(Object value) {
        if (value instanceof String s) {
            return 2 + s.length();
        }
        if (value instanceof Map<?, ?> m) {
            int total = 1;
            for (Map.Entry<?, ?> entry : m.entrySet()) {
                total += 1 + String.valueOf(entry.getKey()).length();
                total += approximateBytes(entry.getValue());
            }
            return total;
        }
        if (value instanceof List<?> l) {
            int total = 1;
            for (Object o : l) {
                total += approximateBytes(o);
            }
            return total;
        }
        return value instanceof Number ? 9 : 1;
    }
}
