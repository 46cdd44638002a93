package io.cohortflow.service.segmentation;

import com.networknt.schema.regex.RegularExpression;
import com.networknt.schema.regex.RegularExpressionFactory;
import com.networknt.schema.regex.RegularExpressions;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.jspecify.annotations.Nullable;

/**
 * The {@code pattern} and {@code patternProperties} engine of event schemas: {@link
 * java.util.regex} as networknt's default uses it, but every match may read at most {@link
 * #MAX_READS} characters, and all the matches of one validation together at most what its {@link
 * ValidationBudget} holds (set for the validating thread by {@link #within}). {@code
 * java.util.regex} backtracks, so a pattern such as {@code ^(.*a){10}$} takes exponential time on a
 * long non-matching string; a schema is written by a client, so one such pattern would otherwise
 * hold a request thread for as long as it likes. The bound counts reads rather than time so that an
 * answer does not depend on the machine's load.
 *
 * <p>The linear-time engines networknt can use are not a fit: joni backtracks too, and GraalJS's
 * TRegex needs the Graal polyglot runtime.
 */
final class BoundedRegex implements RegularExpressionFactory {
    /**
     * Characters one match may read: a linear pattern reads a value a few times over, so this
     * covers any value a request body can carry (its size is bounded) with room to spare, and a
     * runaway stops within milliseconds.
     */
    static final long MAX_READS = 4_000_000;

    /**
     * A match that needed more than {@link #MAX_READS} reads, or more than its validation's budget
     * had left ({@link #budget}); the value was not checked.
     */
    static final class TooCostly extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String pattern;
        private final boolean budget;

        TooCostly(String pattern, boolean budget) {
            super(
                    budget
                            ? "pattern " + pattern + " ran out of the validation's budget"
                            : "pattern " + pattern + " needs more than " + MAX_READS + " steps",
                    null,
                    false,
                    false);
            this.pattern = pattern;
            this.budget = budget;
        }

        String pattern() {
            return pattern;
        }

        /** Whether the validation's budget ran out, rather than this match's own bound. */
        boolean budget() {
            return budget;
        }
    }

    /**
     * The budget of the validation running on this thread. A compiled schema is shared by every
     * thread and its patterns are called without a context of ours, so the budget travels with the
     * thread, for the duration of {@link #within}.
     */
    private static final ThreadLocal<ValidationBudget> BUDGET = new ThreadLocal<>();

    /**
     * Runs {@code validation} with every match on this thread drawing on {@code budget} (besides
     * its own bound of {@link #MAX_READS}).
     */
    static <T> T within(ValidationBudget budget, Supplier<T> validation) {
        ValidationBudget outer = BUDGET.get();
        BUDGET.set(budget);
        try {
            return validation.get();
        } finally {
            if (outer == null) {
                BUDGET.remove();
            } else {
                BUDGET.set(outer);
            }
        }
    }

    /** A pattern that is not a regular expression; {@code reason} is in our words. */
    static final class Invalid extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Invalid(String message) {
            super(message, null, false, false);
        }
    }

    @Override
    public RegularExpression getRegularExpression(String regex) {
        Pattern p = compile(regex);
        // Outside within() (a schema checked against the meta-schema at PUT): one match's bound.
        return value -> p.matcher(new Counted(value, regex, BUDGET.get())).find();
    }

    /**
     * Compiles as networknt's JDK engine does (its ECMA-262 adjustments of {@code $} and the
     * long-form character properties), or throws {@link Invalid} saying where the pattern is wrong.
     */
    static Pattern compile(String regex) {
        try {
            return Pattern.compile(
                    RegularExpressions.replaceLongformCharacterProperties(
                            RegularExpressions.replaceDollarAnchors(regex)));
        } catch (PatternSyntaxException e) {
            throw new Invalid(
                    "pattern "
                            + quote(regex)
                            + " is not a valid regular expression: "
                            + e.getDescription().toLowerCase(Locale.ROOT)
                            + (e.getIndex() >= 0 ? " at index " + e.getIndex() : ""));
        } catch (RuntimeException e) {
            throw new Invalid("pattern " + quote(regex) + " is not a valid regular expression");
        }
    }

    static String quote(String regex) {
        return "'" + (regex.length() > 100 ? regex.substring(0, 100) + "..." : regex) + "'";
    }

    /**
     * The value as the matcher sees it, counting reads against the match's bound and the
     * validation's budget. {@code java.util.regex} reads the input only through {@link #charAt}
     * (and {@link #length}), so the count bounds its work.
     */
    private static final class Counted implements CharSequence {
        private final String value;
        private final String pattern;
        private final @Nullable ValidationBudget budget;
        private long reads;

        Counted(String value, String pattern, @Nullable ValidationBudget budget) {
            this.value = value;
            this.pattern = pattern;
            this.budget = budget;
        }

        @Override
        public char charAt(int index) {
            if (++reads > MAX_READS) {
                throw new TooCostly(quote(pattern), false);
            }
            if (budget != null && !budget.take()) {
                throw new TooCostly(quote(pattern), true);
            }
            return value.charAt(index);
        }

        @Override
        public int length() {
            return value.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            // Only group extraction asks for this, never a match: no need to count it.
            return value.subSequence(start, end);
        }

        @Override
        public String toString() {
            return value;
        }
    }
}
