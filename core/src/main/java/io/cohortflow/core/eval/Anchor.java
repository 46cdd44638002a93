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

    /** Some element of the dimension is a number above {@code bound} (or equal, when inclusive). */
    record Above(String path, double bound, boolean inclusive) implements Anchor {}

    /** Some element of the dimension is a number below {@code bound} (or equal, when inclusive). */
    record Below(String path, double bound, boolean inclusive) implements Anchor {}

    /** The dimension has a value. */
    record Present(String path) implements Anchor {}
}
