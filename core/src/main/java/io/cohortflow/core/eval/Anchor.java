package io.cohortflow.core.eval;

import java.util.Set;

/**
 * A necessary condition for an event to change a counter, on one dimension: the catalog indexes
 * counters by it, so an event is tested only against the counters it can change (hash lookups by
 * value, binary searches over thresholds) instead of against all of them. Only necessary: the
 * counter's own hit predicate still decides.
 */
sealed interface Anchor {
    /** The dimension, as {@code Values.dimension} reads it. */
    String path();

    /** Some element of the dimension has one of {@code values} as its text. */
    record Equals(String path, Set<String> values) implements Anchor {}

    /**
     * Both equalities at once, on two dimensions ({@code name = X and category = c}): probed by the
     * pair of the event's values, so an event named X reaches only the counters of its own
     * category, not those of every category.
     */
    record EqualsBoth(Equals first, Equals second) implements Anchor {
        @Override
        public String path() {
            return first.path();
        }
    }

    /** Some element of the dimension is a number above {@code bound} (or equal, when inclusive). */
    record Above(String path, double bound, boolean inclusive) implements Anchor {}

    /** Some element of the dimension is a number below {@code bound} (or equal, when inclusive). */
    record Below(String path, double bound, boolean inclusive) implements Anchor {}

    /** The dimension has a value. */
    record Present(String path) implements Anchor {}
}
