package io.cohortflow.core.definition;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Optional;

/**
 * Units of time restrictions and rolling windows. Minute to week are fixed lengths; month and year
 * are calendar units in UTC, so "within 1 month" of 31 January ends on 28 (or 29) February.
 */
public enum TimeUnit {
    MINUTE(ChronoUnit.MINUTES),
    HOUR(ChronoUnit.HOURS),
    DAY(ChronoUnit.DAYS),
    WEEK(ChronoUnit.WEEKS),
    MONTH(ChronoUnit.MONTHS),
    QUARTER(ChronoUnit.MONTHS),
    YEAR(ChronoUnit.YEARS);

    /** Counts beyond any meaningful length (a billion units): treated as endless. */
    private static final long MAX_COUNT = 1_000_000_000L;

    private final ChronoUnit chrono;

    /** The fixed length of one unit, or 0 for the calendar units. */
    private final long millis;

    TimeUnit(ChronoUnit chrono) {
        this.chrono = chrono;
        boolean calendar = chrono == ChronoUnit.MONTHS || chrono == ChronoUnit.YEARS;
        this.millis = calendar ? 0 : chrono.getDuration().toMillis();
    }

    public String json() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Accepts the singular and the plural spelling ("day", "days"), any case. */
    public static Optional<TimeUnit> fromJson(String s) {
        String n = s.toLowerCase(Locale.ROOT);
        if (n.endsWith("s")) {
            n = n.substring(0, n.length() - 1);
        }
        for (TimeUnit u : values()) {
            if (u.json().equals(n)) {
                return Optional.of(u);
            }
        }
        return Optional.empty();
    }

    /**
     * The instant {@code count} (not negative) of these units after {@code epochMillis}, saturating
     * at {@code Long.MAX_VALUE}: a window longer than time itself never lets an event go, rather
     * than wrapping round (or throwing) in the middle of an evaluation.
     */
    public long plus(long epochMillis, long count) {
        if (count > MAX_COUNT) {
            return Long.MAX_VALUE;
        }
        if (millis != 0) {
            // Every expiry computed per event takes this path: plain arithmetic, saturating.
            long length = millis * count; // count <= 1e9 and millis <= 1 week: no overflow
            return epochMillis > Long.MAX_VALUE - length ? Long.MAX_VALUE : epochMillis + length;
        }
        long amount = this == QUARTER ? count * 3 : count;
        try {
            return Instant.ofEpochMilli(epochMillis)
                    .atOffset(ZoneOffset.UTC)
                    .plus(amount, chrono)
                    .toInstant()
                    .toEpochMilli();
        } catch (ArithmeticException | DateTimeException e) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * An upper bound of the length of {@code count} units, for comparing windows to horizons;
     * saturating at {@code Long.MAX_VALUE} (an overflow here once hid a 1e9-year window from the
     * horizon check).
     */
    public long approxMillis(long count) {
        if (count > MAX_COUNT) {
            return Long.MAX_VALUE;
        }
        long amount = this == QUARTER ? count * 3 : count;
        long unit =
                switch (this) {
                    case MONTH, QUARTER -> 31L * 86_400_000L;
                    case YEAR -> 366L * 86_400_000L;
                    default -> chrono.getDuration().toMillis();
                };
        try {
            return Math.multiplyExact(unit, amount);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }
}
