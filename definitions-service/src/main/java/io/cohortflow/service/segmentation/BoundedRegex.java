package io.cohortflow.service.segmentation;

import com.networknt.schema.regex.RegularExpression;
import com.networknt.schema.regex.RegularExpressionFactory;
import com.networknt.schema.regex.RegularExpressions;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The {@code pattern} and {@code patternProperties} engine of event schemas: {@link
 * java.util.regex} as networknt's default uses it, but every match may read at most {@link
 * #MAX_READS} characters. {@code java.util.regex} backtracks, so a pattern such as {@code
 * ^(.*a){10}$} takes exponential time on a long non-matching string; a schema is written by a
 * client, so one such pattern would otherwise hold a request thread for as long as it likes. The
 * bound counts reads rather than time so that an answer does not depend on the machine's load.
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

    /** A match that needed more than {@link #MAX_READS} reads; the value was not checked. */
    static final class TooCostly extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String pattern;

        TooCostly(String pattern) {
            super(
                    "pattern " + pattern + " needs more than " + MAX_READS + " steps",
                    null,
                    false,
                    false);
            this.pattern = pattern;
        }

        String pattern() {
            return pattern;
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
        return value -> p.matcher(new Counted(value, regex)).find();
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
     * The value as the matcher sees it, counting reads. {@code java.util.regex} reads the input
     * only through {@link #charAt} (and {@link #length}), so the count bounds its work.
     */
    private static final class Counted implements CharSequence {
        private final String value;
        private final String pattern;
        private long reads;

        Counted(String value, String pattern) {
            this.value = value;
            this.pattern = pattern;
        }

        @Override
        public char charAt(int index) {
            if (++reads > MAX_READS) {
                throw new TooCostly(quote(pattern));
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
