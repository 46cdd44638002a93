package io.cohortflow.core.definition;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A node of the definition tree. Records, so two trees are equal exactly when they mean the same
 * canonical JSON. Every node may carry a {@code description}, ignored by evaluation.
 */
public sealed interface Pred {

    @Nullable String description();

    /**
     * A container: holds when at least {@code atLeast} (default 1) of the units of {@code context}
     * within the optional rolling {@code window} satisfy {@code pred}. {@code window} and {@code
     * atLeast} are Cohortflow's extensions for real-time cohorts ("3+ sport articles in the last 30
     * days").
     */
    record Container(
            Context context,
            Pred pred,
            @Nullable Window window,
            int atLeast,
            @Nullable String description)
            implements Pred {

        public Container(Context context, Pred pred) {
            this(context, pred, null, 1, null);
        }
    }

    record And(List<Pred> preds, @Nullable String description) implements Pred {}

    record Or(List<Pred> preds, @Nullable String description) implements Pred {}

    record Not(Pred pred, @Nullable String description) implements Pred {}

    /** Adobe's "exclude": the unit qualifies only if {@code pred} does not hold for it. */
    record Without(Pred pred, @Nullable String description) implements Pred {}

    /** Another segment's definition, by id. Resolved (and checked for cycles) before evaluation. */
    record SegmentRef(String id, @Nullable String description) implements Pred {}

    /**
     * A comparison. Only the operand fields that {@code op.arg()} names are set: {@code str} (also
     * the glob of {@code matches}), {@code strs}, {@code num}, {@code nums}, or {@code low}/{@code
     * high}.
     */
    record Compare(
            Op op,
            Val val,
            @Nullable String str,
            @Nullable List<String> strs,
            @Nullable Double num,
            @Nullable List<Double> nums,
            @Nullable Double low,
            @Nullable Double high,
            @Nullable String description)
            implements Pred {

        public Compare {
            // Searched per event: in time independent of the list's length.
            strs = strs == null ? null : StringList.of(strs);
            nums = nums == null ? null : NumberList.of(nums);
        }

        public static Compare str(Op op, Val val, String s) {
            return new Compare(op, val, s, null, null, null, null, null, null);
        }

        public static Compare strs(Op op, Val val, List<String> s) {
            return new Compare(op, val, null, List.copyOf(s), null, null, null, null, null);
        }

        public static Compare num(Op op, Val val, double n) {
            return new Compare(op, val, null, null, n, null, null, null, null);
        }

        public static Compare nums(Op op, Val val, List<Double> n) {
            return new Compare(op, val, null, null, null, List.copyOf(n), null, null, null);
        }

        public static Compare range(Val val, @Nullable Double low, @Nullable Double high) {
            return new Compare(Op.RANGE, val, null, null, null, null, low, high, null);
        }
    }

    /** {@code exists} (or {@code not-exists} when {@code negated}) of an attribute. */
    record Exists(Val val, boolean negated, @Nullable String description) implements Pred {}

    /** {@code event-exists} (or {@code not-event-exists}): an event named {@code event}. */
    record EventExists(String event, boolean negated, @Nullable String description)
            implements Pred {}

    /**
     * A sequential segment. {@code kind} says whether the whole sequence, or the part before or
     * after it ({@code sequence-prefix} / {@code sequence-suffix}) is selected.
     */
    record Sequence(SequenceKind kind, List<SeqItem> stream, @Nullable String description)
            implements Pred {}

    enum SequenceKind {
        SEQUENCE("sequence"),
        PREFIX("sequence-prefix"),
        SUFFIX("sequence-suffix");

        private final String json;

        SequenceKind(String json) {
            this.json = json;
        }

        public String json() {
            return json;
        }
    }
}
