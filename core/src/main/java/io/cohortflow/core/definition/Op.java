package io.cohortflow.core.definition;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** The comparison functions of the language, each with the operand it takes. */
public enum Op {
    STREQ("streq", Arg.STR, null),
    NOT_STREQ("not-streq", Arg.STR, STREQ),
    STRLT("strlt", Arg.STR, null),
    STRGT("strgt", Arg.STR, null),
    STRLE("strle", Arg.STR, null),
    STRGE("strge", Arg.STR, null),
    STREQ_IN("streq-in", Arg.STR_LIST, null),
    NOT_STREQ_IN("not-streq-in", Arg.STR_LIST, STREQ_IN),
    CONTAINS("contains", Arg.STR, null),
    NOT_CONTAINS("not-contains", Arg.STR, CONTAINS),
    CONTAINS_ANY_OF("contains-any-of", Arg.STR_LIST, null),
    NOT_CONTAINS_ANY_OF("not-contains-any-of", Arg.STR_LIST, CONTAINS_ANY_OF),
    CONTAINS_ALL_OF("contains-all-of", Arg.STR_LIST, null),
    NOT_CONTAINS_ALL_OF("not-contains-all-of", Arg.STR_LIST, CONTAINS_ALL_OF),
    STARTS_WITH("starts-with", Arg.STR, null),
    NOT_STARTS_WITH("not-starts-with", Arg.STR, STARTS_WITH),
    ENDS_WITH("ends-with", Arg.STR, null),
    NOT_ENDS_WITH("not-ends-with", Arg.STR, ENDS_WITH),
    MATCHES("matches", Arg.GLOB, null),
    NOT_MATCHES("not-matches", Arg.GLOB, MATCHES),
    EQ("eq", Arg.NUM, null),
    NOT_EQ("not-eq", Arg.NUM, EQ),
    GT("gt", Arg.NUM, null),
    LT("lt", Arg.NUM, null),
    GE("ge", Arg.NUM, null),
    LE("le", Arg.NUM, null),
    EQ_IN("eq-in", Arg.NUM_LIST, null),
    NOT_EQ_IN("not-eq-in", Arg.NUM_LIST, EQ_IN),
    RANGE("range", Arg.RANGE, null);

    /** What the comparison takes besides {@code val}. */
    public enum Arg {
        /** {@code str}: a string. */
        STR,
        /** {@code list}: strings. */
        STR_LIST,
        /** {@code glob}: a pattern with {@code *} wildcards. */
        GLOB,
        /** {@code num}: a number (numeric strings accepted). */
        NUM,
        /** {@code list}: numbers. */
        NUM_LIST,
        /** {@code low} and {@code high}, inclusive, either may be null (open). */
        RANGE;

        public boolean numeric() {
            return this == NUM || this == NUM_LIST || this == RANGE;
        }
    }

    private static final Map<String, Op> BY_JSON = new HashMap<>();

    static {
        for (Op op : values()) {
            BY_JSON.put(op.json, op);
        }
        // Spellings Adobe's documents use for the same functions.
        BY_JSON.put("eq-any-of", EQ_IN);
        BY_JSON.put("not-eq-any-of", NOT_EQ_IN);
        BY_JSON.put("streq-any-of", STREQ_IN);
        BY_JSON.put("not-streq-any-of", NOT_STREQ_IN);
    }

    private final String json;
    private final Arg arg;
    @Nullable private final Op negationOf;

    Op(String json, Arg arg, @Nullable Op negationOf) {
        this.json = json;
        this.arg = arg;
        this.negationOf = negationOf;
    }

    public String json() {
        return json;
    }

    public Arg arg() {
        return arg;
    }

    /** For {@code not-x}, the {@code x} it negates; null for positive comparisons. */
    @Nullable
    public Op negationOf() {
        return negationOf;
    }

    public static Optional<Op> fromJson(String func) {
        return Optional.ofNullable(BY_JSON.get(func));
    }

    /** Every spelling the parser accepts, for "did you mean" hints. */
    public static Iterable<String> spellings() {
        return BY_JSON.keySet();
    }
}
