package io.cohortflow.core.event;

import io.cohortflow.core.definition.Attributes;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Reading attributes of events and coercing JSON values, the same way everywhere. */
public final class Values {
    private static final Double ZERO = 0.0;

    private Values() {}

    /**
     * The value of dimension {@code variables/<path>}: the event name, view or session id, or the
     * property at a dotted path. Null when absent.
     */
    @Nullable
    public static Object dimension(Event e, String path) {
        switch (path) {
            case Attributes.NAME:
                return e.name();
            case Attributes.VIEW_ID:
                return e.viewId();
            case Attributes.SESSION_ID:
                return e.sessionId();
            default:
                return property(e.properties(), path);
        }
    }

    /** The property at a dotted path; an exact key containing dots wins over the path. */
    @Nullable
    public static Object property(Map<String, Object> props, String path) {
        Object direct = props.get(path);
        if (direct != null || path.indexOf('.') < 0) {
            return direct;
        }
        Object cur = props;
        int start = 0;
        while (start <= path.length()) {
            int dot = path.indexOf('.', start);
            String key = dot < 0 ? path.substring(start) : path.substring(start, dot);
            if (!(cur instanceof Map<?, ?> m)) {
                return null;
            }
            cur = m.get(key);
            if (cur == null || dot < 0) {
                return cur;
            }
            start = dot + 1;
        }
        return null;
    }

    /** The text of a scalar (integral numbers without ".0"); null for objects, lists and null. */
    @Nullable
    public static String text(@Nullable Object v) {
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof Double d) {
            if (d == Math.rint(d) && Math.abs(d) < 1e15) {
                return Long.toString(d.longValue());
            }
            // As written, never in exponent form: 12345678.5 is "12345678.5", not "1.23456785E7",
            // so a string comparison meets the digits a user typed.
            return Double.isFinite(d)
                    ? new BigDecimal(d.toString()).stripTrailingZeros().toPlainString()
                    : d.toString();
        }
        if (v instanceof Number n) {
            return text(n.doubleValue());
        }
        if (v instanceof Boolean b) {
            return b.toString();
        }
        return null;
    }

    /** The number a value stands for: numbers, numeric strings, booleans as 1/0; else null. */
    @Nullable
    public static Double number(@Nullable Object v) {
        if (v instanceof Double d) {
            return d != 0 ? d : ZERO;
        }
        if (v instanceof Number n) {
            return n.doubleValue() + 0.0;
        }
        if (v instanceof String s) {
            if (s.isEmpty() || s.length() > 64) {
                return null;
            }
            char c = s.charAt(0);
            if (!(c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'))) {
                return null; // fast rejection of ordinary words, without an exception
            }
            if (!decimal(s)) {
                return null; // Java's extras: "30d", "1f", "0x1p3" are not numbers to a user
            }
            try {
                return finite(Double.parseDouble(s));
            } catch (NumberFormatException ex) {
                return null;
            }
        }
        if (v instanceof Boolean b) {
            return b ? 1.0 : 0.0;
        }
        return null;
    }

    /**
     * A finite number, with -0.0 read as 0.0 (they compare equal, so they must also index and match
     * in lists alike); null for infinities and NaN.
     */
    @Nullable
    public static Double finite(double d) {
        return Double.isFinite(d) ? d + 0.0 : null;
    }

    /**
     * Whether {@code s} is written as a decimal number ({@code -12}, {@code 3.5}, {@code 1e6}):
     * only digits, signs, a point and an exponent mark. {@link Double#parseDouble} also takes type
     * suffixes and hexadecimal, which would make {@code "30d"} thirty.
     */
    public static boolean decimal(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9')
                    || c == '.'
                    || c == '-'
                    || c == '+'
                    || c == 'e'
                    || c == 'E')) {
                return false;
            }
        }
        return !s.isEmpty();
    }

    /** Elements of a list value, or the value itself as a one-element list. */
    public static List<?> elements(Object v) {
        return v instanceof List<?> l ? l : List.of(v);
    }
}
