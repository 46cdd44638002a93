package io.cohortflow.core.definition;

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

    private final ChronoUnit chrono;

    TimeUnit(ChronoUnit chrono) {
        this.chrono = chrono;
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

    /** The instant {@code count} of these units after {@code epochMillis}. */
    public long plus(long epochMillis, long count) {
        long amount = this == QUARTER ? count * 3 : count;
        if (this == MONTH || this == QUARTER || this == YEAR) {
            return Instant.ofEpochMilli(epochMillis)
                    .atOffset(ZoneOffset.UTC)
                    .plus(amount, chrono)
                    .toInstant()
                    .toEpochMilli();
        }
        return epochMillis + chrono.getDuration().toMillis() * amount;
    }

    /** An upper bound of the length of {@code count} units, for comparing windows to horizons. */
    public long approxMillis(long count) {
        long amount = this == QUARTER ? count * 3 : count;
        return switch (this) {
            case MONTH, QUARTER -> amount * 31L * 86_400_000L;
            case YEAR -> amount * 366L * 86_400_000L;
            default -> chrono.getDuration().toMillis() * amount;
        };
    }
}
