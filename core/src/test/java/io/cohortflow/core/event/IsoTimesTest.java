package io.cohortflow.core.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The hand-read path of {@link IsoTimes} answers exactly as the general parsers it stands for, and
 * its text of an instant is {@link Instant#toString}'s.
 */
class IsoTimesTest {

    /** What the general parsers answer (the rule {@link IsoTimes} must keep). */
    private static Long reference(String s) {
        try {
            return OffsetDateTime.parse(s).toInstant().toEpochMilli();
        } catch (DateTimeException | ArithmeticException e) {
            try {
                return Instant.parse(s).toEpochMilli();
            } catch (DateTimeException | ArithmeticException e2) {
                return null;
            }
        }
    }

    @Test
    void common_shapes_are_read_by_hand_and_agree_with_the_general_parser() {
        SplittableRandom random = new SplittableRandom(7);
        int fast = 0;
        for (int i = 0; i < 200_000; i++) {
            String s = time(random);
            if (IsoTimes.fast(s) != IsoTimes.NOT_FAST) {
                fast++;
            }
            assertThat(IsoTimes.epochMillis(s)).as(s).isEqualTo(reference(s));
        }
        // Most generated times are of the common shape: the hand-read path was exercised.
        assertThat(fast).isGreaterThan(100_000);
    }

    @Test
    void mangled_times_agree_with_the_general_parser() {
        SplittableRandom random = new SplittableRandom(11);
        String alphabet = "0123456789-:T.Z+ tz";
        int refused = 0;
        for (int i = 0; i < 200_000; i++) {
            StringBuilder s = new StringBuilder(time(random));
            int edits = 1 + random.nextInt(3);
            for (int e = 0; e < edits; e++) {
                int at = random.nextInt(s.length());
                switch (random.nextInt(3)) {
                    case 0 -> s.setCharAt(at, alphabet.charAt(random.nextInt(alphabet.length())));
                    case 1 -> s.deleteCharAt(at);
                    default -> s.insert(at, alphabet.charAt(random.nextInt(alphabet.length())));
                }
            }
            Long expected = reference(s.toString());
            if (expected == null) {
                refused++;
            }
            assertThat(IsoTimes.epochMillis(s.toString())).as(s.toString()).isEqualTo(expected);
        }
        assertThat(refused).isGreaterThan(10_000);
    }

    @Test
    void edges() {
        for (String s :
                new String[] {
                    "1970-01-01T00:00:00Z",
                    "1969-12-31T23:59:59.999Z",
                    "0000-01-01T00:00:00Z",
                    "0000-02-29T12:00:00+01:00",
                    "1900-02-29T00:00:00Z",
                    "2000-02-29T00:00:00Z",
                    "2024-02-30T00:00:00Z",
                    "2024-01-15T10:30:00.123456789-18:00",
                    "2024-01-15T10:30:00+18:01",
                    "2024-01-15T10:30:00-00:00",
                    "2024-01-15T23:59:60Z",
                    "2024-01-15T24:00:00Z",
                    "2024-01-15T10:30:00.Z",
                    "2024-01-15T10:30:00.1234567890Z",
                    "2024-01-15t10:30:00z",
                    "2024-01-15T10:30Z",
                    "9999-12-31T23:59:59.999999999Z",
                    "+12024-01-15T10:30:00Z",
                }) {
            assertThat(IsoTimes.epochMillis(s)).as(s).isEqualTo(reference(s));
        }
    }

    private static String time(SplittableRandom r) {
        int year = r.nextInt(10) == 0 ? r.nextInt(10_000) : 1960 + r.nextInt(80);
        int month = 1 + r.nextInt(r.nextInt(20) == 0 ? 13 : 12);
        int day = 1 + r.nextInt(r.nextInt(20) == 0 ? 32 : 28);
        int hour = r.nextInt(r.nextInt(20) == 0 ? 25 : 24);
        int minute = r.nextInt(r.nextInt(20) == 0 ? 61 : 60);
        int second = r.nextInt(r.nextInt(20) == 0 ? 61 : 60);
        StringBuilder s =
                new StringBuilder(
                        String.format(
                                "%04d-%02d-%02dT%02d:%02d:%02d",
                                year, month, day, hour, minute, second));
        if (r.nextBoolean()) {
            int digits = r.nextInt(11);
            s.append('.');
            for (int i = 0; i < digits; i++) {
                s.append((char) ('0' + r.nextInt(10)));
            }
        }
        switch (r.nextInt(4)) {
            case 0, 1 -> s.append('Z');
            default -> {
                int oh = r.nextInt(r.nextInt(10) == 0 ? 20 : 15);
                int om = r.nextInt(4) * 15;
                s.append(r.nextBoolean() ? '+' : '-').append(String.format("%02d:%02d", oh, om));
            }
        }
        return s.toString();
    }

    @Test
    void an_instant_is_written_as_instant_writes_it() {
        SplittableRandom random = new SplittableRandom(11);
        long[] edges = {
            0L,
            -1L,
            1L,
            Instant.parse("0000-01-01T00:00:00Z").toEpochMilli(),
            Instant.parse("0000-01-01T00:00:00Z").toEpochMilli() - 1,
            Instant.parse("9999-12-31T23:59:59.999Z").toEpochMilli(),
            Instant.parse("9999-12-31T23:59:59.999Z").toEpochMilli() + 1,
            Instant.parse("2000-02-29T12:00:00Z").toEpochMilli(),
            Instant.parse("1900-03-01T00:00:00.001Z").toEpochMilli(),
            Long.MIN_VALUE,
            Long.MAX_VALUE
        };
        for (long millis : edges) {
            assertThat(IsoTimes.format(millis))
                    .as("%d", millis)
                    .isEqualTo(Instant.ofEpochMilli(millis).toString());
        }
        long year = 365L * 86_400_000L;
        long gregorianYear = 365_2425L * 8_640L; // 365.2425 days of 86 400 000 ms
        for (int i = 0; i < 200_000; i++) {
            long millis =
                    switch (random.nextInt(4)) {
                        // Around now, whole seconds and not; the years 0 to 9999 and a year past
                        // each end;
                        // any long.
                        case 0 -> 1_700_000_000_000L + random.nextLong(-50 * year, 50 * year);
                        case 1 ->
                                (1_700_000_000_000L + random.nextLong(0, 10 * year)) / 1000 * 1000;
                        case 2 -> random.nextLong(-1971 * gregorianYear, 8031 * gregorianYear);
                        default -> random.nextLong();
                    };
            assertThat(IsoTimes.format(millis))
                    .as("%d", millis)
                    .isEqualTo(Instant.ofEpochMilli(millis).toString());
        }
    }
}
