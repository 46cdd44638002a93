package io.cohortflow.core.eval;

import io.cohortflow.core.event.Event;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** An in-memory {@link EventHistory}, for the synchronous preview, tests and benchmarks. */
public final class ListHistory implements EventHistory {
    private final ArrayList<Event> events = new ArrayList<>();

    @Override
    public List<Event> events() {
        return Collections.unmodifiableList(events);
    }

    @Override
    public @Nullable List<Event> inMemory(int n) {
        return n > events.size()
                ? null
                : Collections.unmodifiableList(events.subList(events.size() - n, events.size()));
    }

    @Override
    public void insert(Event e, long sequence) {
        int i = events.size();
        while (i > 0 && events.get(i - 1).time() > e.time()) {
            i--;
        }
        events.add(i, e);
    }

    @Override
    public Removal removeUpTo(long upTo) {
        int n = 0;
        while (n < events.size() && events.get(n).time() <= upTo) {
            n++;
        }
        List<Event> head = events.subList(0, n);
        List<Event> removed = List.copyOf(head);
        head.clear();
        return new Removal(removed, events.isEmpty() ? Long.MAX_VALUE : events.get(0).time());
    }

    public int size() {
        return events.size();
    }
}
