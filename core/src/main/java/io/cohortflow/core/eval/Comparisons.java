package io.cohortflow.core.eval;

import io.cohortflow.core.definition.NumberList;
import io.cohortflow.core.definition.Op;
import io.cohortflow.core.definition.Pred;
import io.cohortflow.core.definition.StringList;
import io.cohortflow.core.event.Values;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The meaning of every comparison function on one value. A negated function ({@code not-x}) is
 * exactly the negation of {@code x}, so an absent attribute satisfies {@code not-streq}. A list
 * value satisfies a positive comparison when one of its elements does ({@code contains-all-of}:
 * when each listed string is in some element). String comparisons are case-sensitive.
 */
public final class Comparisons {
    private Comparisons() {}

    public static boolean test(Pred.Compare c, @Nullable Object value) {
        Op op = c.op();
        if (op.negationOf() != null) {
            return !positive(op.negationOf(), c, value);
        }
        return positive(op, c, value);
    }

    /**
     * For aggregates: the comparison applied to one number, as {@link #test} would apply it,
     * without boxing it (formulas test counter values on every evaluation).
     */
    public static boolean testNumber(Pred.Compare c, double value) {
        Op op = c.op();
        Op positive = op.negationOf() != null ? op.negationOf() : op;
        if (!positive.arg().numeric()) {
            return test(c, value); // a string comparison reads the number's text
        }
        boolean holds = number(positive, c, value);
        return positive == op ? holds : !holds;
    }

    private static boolean positive(Op op, Pred.Compare c, @Nullable Object value) {
        if (value == null) {
            return false;
        }
        if (op == Op.CONTAINS_ALL_OF) {
            StringList wanted = StringList.of(c.strs());
            java.util.BitSet found = new java.util.BitSet(wanted.distinct());
            for (Object e : Values.elements(value)) {
                String t = Values.text(e);
                if (t != null) {
                    wanted.findIn(t, found);
                }
            }
            return found.cardinality() == wanted.distinct();
        }
        if (value instanceof List<?> list) {
            for (Object e : list) {
                if (e != null && !(e instanceof List) && scalar(op, c, e)) {
                    return true;
                }
            }
            return false;
        }
        return scalar(op, c, value);
    }

    private static boolean scalar(Op op, Pred.Compare c, Object value) {
        if (op.arg().numeric()) {
            Double d = Values.number(value);
            if (d == null) {
                return false;
            }
            return number(op, c, d);
        }
        String s = Values.text(value);
        if (s == null) {
            return false;
        }
        return switch (op) {
            case STREQ -> s.equals(c.str());
            case STRLT -> s.compareTo(c.str()) < 0;
            case STRGT -> s.compareTo(c.str()) > 0;
            case STRLE -> s.compareTo(c.str()) <= 0;
            case STRGE -> s.compareTo(c.str()) >= 0;
            case STREQ_IN -> c.strs().contains(s);
            case CONTAINS -> s.contains(c.str());
            case CONTAINS_ANY_OF -> StringList.of(c.strs()).anyIn(s);
            case STARTS_WITH -> s.startsWith(c.str());
            case ENDS_WITH -> s.endsWith(c.str());
            case MATCHES -> Glob.matches(c.str(), s);
            default -> throw new IllegalStateException("not a positive string comparison: " + op);
        };
    }

    /** {@code eq} against each: numeric equality, not {@link Double#equals}. */
    private static boolean anyEqual(List<Double> nums, double d) {
        return NumberList.of(nums).containsNumber(d); // one already: Pred.Compare makes it so
    }

    private static boolean number(Op op, Pred.Compare c, double d) {
        return switch (op) {
            case EQ -> d == c.num();
            case GT -> d > c.num();
            case LT -> d < c.num();
            case GE -> d >= c.num();
            case LE -> d <= c.num();
            case EQ_IN -> anyEqual(c.nums(), d);
            case RANGE -> (c.low() == null || d >= c.low()) && (c.high() == null || d <= c.high());
            default -> throw new IllegalStateException("not a positive numeric comparison: " + op);
        };
    }
}
