package io.cohortflow.core.event;

import java.io.Serializable;

/**
 * How big one event may be. The synchronous API answers 400 beyond these and the job sends such an
 * event to the dead-letter topic, so no client can make a user's state (or a record) unbounded.
 * Every limit counts characters (UTF-16 code units) of the JSON text's strings.
 *
 * @param maxNameLength the event name
 * @param maxKeyLength a property name, at any depth
 * @param maxStringLength a string value, at any depth (also {@code view_id}, {@code session_id})
 * @param maxValues values under {@code properties}, counting every nested object, list and element
 * @param maxDepth nesting of objects and lists under {@code properties} ({@code {"a":1}} is depth
 *     1)
 * @param maxEventChars the event's JSON text as a whole
 */
public record EventLimits(
        int maxNameLength,
        int maxKeyLength,
        int maxStringLength,
        int maxValues,
        int maxDepth,
        int maxEventChars)
        implements Serializable {

    public static final EventLimits DEFAULT = new EventLimits(256, 256, 8_192, 512, 8, 65_536);

    public EventLimits {
        if (maxNameLength < 1
                || maxKeyLength < 1
                || maxStringLength < 1
                || maxValues < 1
                || maxDepth < 1
                || maxEventChars < 1) {
            throw new IllegalArgumentException("event limits must be positive");
        }
    }
}
