package io.cohortflow.core.definition;

import java.util.List;
import org.jspecify.annotations.Nullable;

/** An element of a sequence's {@code stream}: a checkpoint, a group, or a restriction. */
public sealed interface SeqItem {

    /** A checkpoint: a hits or visits container, or a bare predicate (taken as a hit). */
    record Checkpoint(Pred pred) implements SeqItem {}

    /** {@code sequence-and} (all, any order) or {@code sequence-or} (any one) of checkpoints. */
    record Group(boolean all, List<Pred> checkpoints, @Nullable String description)
            implements SeqItem {}

    /** The next checkpoint must not occur between its neighbours. */
    record ExcludeNext(@Nullable String description) implements SeqItem {}

    /** The gap to the next checkpoint, in time. */
    record TimeRestriction(Limit limit, int count, TimeUnit unit, @Nullable String description)
            implements SeqItem {}

    /** The gap to the next checkpoint, in hits or in visits. */
    record ContainerRestriction(
            Limit limit, int count, Context context, @Nullable String description)
            implements SeqItem {}

    /** The gap to the next checkpoint, in changes of a dimension's value. */
    record DimensionRestriction(Limit limit, int count, String attr, @Nullable String description)
            implements SeqItem {}

    /** {@code within}: at most {@code count}; {@code after}: at least {@code count}. */
    enum Limit {
        WITHIN,
        AFTER;

        public String json() {
            return this == WITHIN ? "within" : "after";
        }
    }
}
