package io.cohortflow.core.eval;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Why a predicate holds or not for a user. {@code pointer} locates the node in the resolved
 * definition; {@code value} is the aggregate a comparison looked at (or the number of matching hits
 * of a dimension comparison); {@code units}/{@code matchingUnits} say how many units a container
 * examined and how many satisfied it. Children are explained on a witness unit: the first that
 * satisfied the container, else the first examined.
 */
public record Explanation(
        String pointer,
        String func,
        boolean holds,
        @Nullable Double value,
        @Nullable Integer units,
        @Nullable Integer matchingUnits,
        List<Explanation> children) {}
