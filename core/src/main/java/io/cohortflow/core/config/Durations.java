package io.cohortflow.core.config;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Lengths of time as settings write them: a number and a unit ({@code 1500 ms}, {@code 30s}, {@code
 * 5 min}, {@code 90 d}; Flink's own options read the same way) or ISO-8601 ({@code PT5M}, {@code
 * P90D}), which the job's settings used before.
 */
public final class Durations {
    static final String FORMS = "e.g. 500 ms, 30 s, 5 min, 2 h, 90 d or ISO-8601 PT5M";

    private static final Pattern NUMBER_UNIT = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([a-z]+)");

    private static final Map<String, Long> MILLIS_PER_UNIT =
            Map.ofEntries(
                    Map.entry("ms", 1L),
                    Map.entry("milli", 1L),
                    Map.entry("millis", 1L),
                    Map.entry("millisecond", 1L),
                    Map.entry("milliseconds", 1L),
                    Map.entry("s", 1_000L),
                    Map.entry("sec", 1_000L),
                    Map.entry("secs", 1_000L),
                    Map.entry("second", 1_000L),
                    Map.entry("seconds", 1_000L),
                    Map.entry("min", 60_000L),
                    Map.entry("mins", 60_000L),
                    Map.entry("minute", 60_000L),
                    Map.entry("minutes", 60_000L),
                    Map.entry("h", 3_600_000L),
                    Map.entry("hour", 3_600_000L),
                    Map.entry("hours", 3_600_000L),
                    Map.entry("d", 86_400_000L),
                    Map.entry("day", 86_400_000L),
                    Map.entry("days", 86_400_000L));

    private Durations() {}

    /** Parses either form; throws {@link IllegalArgumentException} saying which forms it takes. */
    public static Duration parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.startsWith("p") || t.startsWith("-p")) {
            try {
                Duration d = Duration.parse(t.toUpperCase(Locale.ROOT));
                d.toMillis(); // settings are read in milliseconds: one that overflows is refused
                return d;
            } catch (DateTimeParseException | ArithmeticException e) {
                throw new IllegalArgumentException("must be a duration (" + FORMS + ")");
            }
        }
        Matcher m = NUMBER_UNIT.matcher(t);
        Long unit = m.matches() ? MILLIS_PER_UNIT.get(m.group(2)) : null;
        if (unit == null) {
            throw new IllegalArgumentException("must be a duration (" + FORMS + ")");
        }
        try {
            BigDecimal millis = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit));
            return Duration.ofMillis(millis.setScale(0, RoundingMode.HALF_UP).longValueExact());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("must be a duration that fits in a long of ms");
        }
    }

    /** The shortest exact number-and-unit form: {@code 90 d}, {@code 5 min}, {@code 1500 ms}. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms == 0) {
            return "0 ms";
        }
        for (String unit : new String[] {"d", "h", "min", "s"}) {
            long per = MILLIS_PER_UNIT.get(unit);
            if (ms % per == 0) {
                return ms / per + " " + unit;
            }
        }
        return ms + " ms";
    }
}
