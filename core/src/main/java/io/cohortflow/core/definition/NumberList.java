package io.cohortflow.core.definition;

import java.io.Serializable;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;
import java.util.RandomAccess;

/**
 * The numbers of {@code eq-in}, immutable, in the order written, with a membership test in time
 * logarithmic in the list's length: numeric equality ({@code -0} is {@code 0}, NaN equals nothing),
 * as the comparison means. A definition may list tens of thousands of numbers; scanned one by one,
 * each event's test and the compiler's outcome of each of them (quadratic in the list) took seconds
 * to minutes.
 */
public final class NumberList extends AbstractList<Double> implements RandomAccess, Serializable {
    private static final long serialVersionUID = 1L;

    private final Double[] items;

    /** The numbers but NaN, sorted, {@code -0} as {@code 0}: what equality can find. */
    private final double[] sorted;

    private NumberList(List<Double> items) {
        this.items = items.toArray(Double[]::new);
        this.sorted =
                items.stream()
                        .mapToDouble(Double::doubleValue)
                        .filter(d -> !Double.isNaN(d))
                        .map(d -> d == 0 ? 0.0 : d)
                        .sorted()
                        .toArray();
    }

    /** {@code items} as a number list (itself when it is one already). */
    public static NumberList of(List<Double> items) {
        return items instanceof NumberList n ? n : new NumberList(items);
    }

    @Override
    public Double get(int index) {
        return items[index];
    }

    @Override
    public int size() {
        return items.length;
    }

    /** Whether some number of the list equals {@code d} numerically. */
    public boolean containsNumber(double d) {
        if (Double.isNaN(d)) {
            return false;
        }
        return Arrays.binarySearch(sorted, d == 0 ? 0.0 : d) >= 0;
    }
}
