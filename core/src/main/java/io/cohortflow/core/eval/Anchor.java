package io.cohortflow.core.eval;

import java.util.Set;

/**
 * A necessary condition of a hit predicate: it can only hold for an event whose dimension {@code
 * path} has one of {@code values} (by text). Lets the engine look up, per event, just the
 * aggregates that event can change instead of testing all of them.
 */
record Anchor(String path, Set<String> values) {}
