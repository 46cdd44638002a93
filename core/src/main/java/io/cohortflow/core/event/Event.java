package io.cohortflow.core.event;

import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One behavioural event of a user. {@code time} is the event time in epoch milliseconds; {@code
 * properties} is a JSON object whose values are {@link String}, {@link Double}, {@link Boolean},
 * {@link java.util.List} or nested {@link Map}s (see {@link EventJson}).
 */
public record Event(
        String name,
        long time,
        Map<String, Object> properties,
        @Nullable String viewId,
        @Nullable String sessionId) {

    public Event {
        // Shared: the engine looks the name up in several maps per event.
        name = CanonicalNames.of(Objects.requireNonNull(name, "name"));
        properties = properties == null ? Map.of() : properties;
    }

    public static Event of(String name, long time, Map<String, Object> properties) {
        return new Event(name, time, properties, null, null);
    }

    public Event withSession(@Nullable String session) {
        return new Event(name, time, properties, viewId, session);
    }
}
