package io.cohortflow.core.definition;

import java.util.Locale;
import java.util.Optional;

/**
 * The unit a container selects. Ordered from smallest to largest, so a nested container may only
 * name a context no larger than its parent's.
 */
public enum Context {
    /** One event. */
    HITS,
    /** The events that share a {@code session_id} (events without one share one visit). */
    VISITS,
    /** All of the user's events. */
    VISITORS;

    public String json() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Context> fromJson(String s) {
        for (Context c : values()) {
            if (c.json().equals(s)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }
}
