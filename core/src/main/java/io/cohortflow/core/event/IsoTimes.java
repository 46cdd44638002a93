package io.cohortflow.core.event;

import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import org.jspecify.annotations.Nullable;

/**
 * Event times as ISO 8601 text to epoch milliseconds, and back ({@link #format}). The common shape
 * ({@code 2024-01-15T10:30:00Z}, with an optional fraction and a {@code Z} or {@code +hh:mm}
 * offset) is read by hand; anything else goes through {@link OffsetDateTime#parse} and then {@link
 * Instant#parse}, which define what is accepted. The hand-read path answers exactly as they do (a
 * property test holds it to that): {@code OffsetDateTime.parse} alone was about a tenth of the
 * service's request thread, and every event of every request is parsed twice (service and job).
 */
public final class IsoTimes {
    private IsoTimes() {}

    /**
     * {@code Instant.ofEpochMilli(millis).toString()}, written by hand for the years 0 to 9999 (the
     * rest through {@link Instant}): the job stamps every membership change it writes, and the
     * formatter behind {@code Instant.toString} was a tenth of writing them (a property test holds
     * the two to the same text).
     */
    public static String format(long millis) {
        long days = Math.floorDiv(millis, 86_400_000L);
        int ofDay = (int) Math.floorMod(millis, 86_400_000L);
        // The civil-from-days method, the inverse of daysSinceEpoch: years counted from March.
        long z = days + 719_468L;
        long era = Math.floorDiv(z, 146_097L);
        int dayOfEra = (int) (z - era * 146_097L);
        int yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365;
        int dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
        int monthFromMarch = (5 * dayOfYear + 2) / 153;
        int day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1;
        int month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
        long year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
        if (year < 0 || year > 9999) {
            return Instant.ofEpochMilli(millis).toString();
        }
        int ms = ofDay % 1000;
        int seconds = ofDay / 1000;
        byte[] b = new byte[ms == 0 ? 20 : 24];
        put(b, 0, (int) year, 4);
        b[4] = '-';
        put(b, 5, month, 2);
        b[7] = '-';
        put(b, 8, day, 2);
        b[10] = 'T';
        put(b, 11, seconds / 3600, 2);
        b[13] = ':';
        put(b, 14, seconds / 60 % 60, 2);
        b[16] = ':';
        put(b, 17, seconds % 60, 2);
        if (ms != 0) {
            b[19] = '.';
            put(b, 20, ms, 3);
        }
        b[b.length - 1] = 'Z';
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    /** {@code v} in {@code width} decimal digits, zero-padded, at {@code at}. */
    private static void put(byte[] b, int at, int v, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            b[i] = (byte) ('0' + v % 10);
            v /= 10;
        }
    }

    /** Epoch milliseconds, or null when {@code s} is not an ISO 8601 date-time with an offset. */
    static @Nullable Long epochMillis(String s) {
        long fast = fast(s);
        if (fast != NOT_FAST) {
            return fast;
        }
        try {
            return OffsetDateTime.parse(s).toInstant().toEpochMilli();
        } catch (DateTimeException | ArithmeticException e) {
            try {
                // Years beyond a long's milliseconds (+-292 million) overflow here: not a time.
                return Instant.parse(s).toEpochMilli();
            } catch (DateTimeException | ArithmeticException e2) {
                return null;
            }
        }
    }

    /** Returned by {@link #fast} when the text is not of the common shape (not an error). */
    static final long NOT_FAST = Long.MIN_VALUE;

    /**
     * {@code yyyy-MM-ddTHH:mm:ss[.f{1,9}](Z|+hh:mm|-hh:mm)} with every field in range, else {@link
     * #NOT_FAST}: the general parser then decides (it also knows the rarer forms).
     */
    static long fast(String s) {
        int n = s.length();
        if (n < 20
                || s.charAt(4) != '-'
                || s.charAt(7) != '-'
                || s.charAt(10) != 'T'
                || s.charAt(13) != ':'
                || s.charAt(16) != ':') {
            return NOT_FAST;
        }
        int year = digits(s, 0, 4);
        int month = digits(s, 5, 2);
        int day = digits(s, 8, 2);
        int hour = digits(s, 11, 2);
        int minute = digits(s, 14, 2);
        int second = digits(s, 17, 2);
        if (year < 0
                || month < 1
                || month > 12
                || day < 1
                || day > lengthOfMonth(year, month)
                || hour < 0
                || hour > 23
                || minute < 0
                || minute > 59
                || second < 0
                || second > 59) {
            return NOT_FAST;
        }
        int i = 19;
        long nanos = 0;
        if (i < n && s.charAt(i) == '.') {
            int start = ++i;
            while (i < n && i - start < 9 && isDigit(s.charAt(i))) {
                nanos = nanos * 10 + (s.charAt(i) - '0');
                i++;
            }
            int count = i - start;
            if (count == 0 || (i < n && isDigit(s.charAt(i)))) {
                return NOT_FAST;
            }
            for (int k = count; k < 9; k++) {
                nanos *= 10;
            }
        }
        int offsetSeconds;
        if (i == n - 1 && s.charAt(i) == 'Z') {
            offsetSeconds = 0;
        } else if (i == n - 6
                && (s.charAt(i) == '+' || s.charAt(i) == '-')
                && s.charAt(i + 3) == ':') {
            int oh = digits(s, i + 1, 2);
            int om = digits(s, i + 4, 2);
            if (oh < 0 || om < 0 || oh > 18 || om > 59 || (oh == 18 && om > 0)) {
                return NOT_FAST;
            }
            offsetSeconds = (s.charAt(i) == '-' ? -1 : 1) * (oh * 3600 + om * 60);
        } else {
            return NOT_FAST;
        }
        long epochSecond =
                daysSinceEpoch(year, month, day) * 86_400L
                        + hour * 3600L
                        + minute * 60L
                        + second
                        - offsetSeconds;
        return epochSecond * 1000 + nanos / 1_000_000;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** The decimal number in {@code s[from, from + count)}, or -1 when a character is no digit. */
    private static int digits(String s, int from, int count) {
        int v = 0;
        for (int i = from; i < from + count; i++) {
            char c = s.charAt(i);
            if (!isDigit(c)) {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    private static int lengthOfMonth(int year, int month) {
        return switch (month) {
            case 2 -> isLeap(year) ? 29 : 28;
            case 4, 6, 9, 11 -> 30;
            default -> 31;
        };
    }

    private static boolean isLeap(int year) {
        return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    }

    /** Days from 1970-01-01 to a date of the proleptic Gregorian calendar (year 0 to 9999). */
    private static long daysSinceEpoch(int year, int month, int day) {
        // Counting years from March puts the leap day last (the civil-from-days method).
        int y = month <= 2 ? year - 1 : year;
        int era = Math.floorDiv(y, 400);
        int yearOfEra = y - era * 400;
        int monthFromMarch = (month + 9) % 12;
        int dayOfYear = (153 * monthFromMarch + 2) / 5 + day - 1;
        int dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
        return era * 146_097L + dayOfEra - 719_468L;
    }
}
