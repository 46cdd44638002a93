package io.cohortflow.service;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import org.jspecify.annotations.Nullable;

/**
 * The one format of the timestamps the service stores and answers ({@code created}, {@code
 * modified}, a share's {@code created}, ...): ISO 8601 in UTC with exactly three fraction digits,
 * as the spec's examples ({@code 2023-07-15T10:30:00.000Z}). {@link Instant#toString()} drops the
 * fraction when it is zero and prints more digits below the millisecond, so two of its strings
 * would neither look alike nor sort as the instants do.
 */
public final class Timestamps {
    private static final DateTimeFormatter MILLIS =
            new DateTimeFormatterBuilder().appendInstant(3).toFormatter();

    private Timestamps() {}

    /** {@code t} truncated to the millisecond, always with its three fraction digits. */
    public static String format(Instant t) {
        return MILLIS.format(t);
    }

    /**
     * A stored timestamp as answered: in this format, whenever it was written (records written
     * before it have {@code 2025-11-30T09:00:00Z}, and keep it in the log); text that is not an
     * instant is answered as stored.
     */
    public static @Nullable String answer(@Nullable String stored) {
        if (stored == null) {
            return null;
        }
        try {
            return format(Instant.parse(stored));
        } catch (DateTimeParseException e) {
            return stored;
        }
    }
}
