package io.cohortflow.core.eval;

/**
 * A value at which a counter test's outcome can change, and on which side of it the change lies:
 * {@code v >= n} is constant below n and from n on ({@link Side#UPPER}: n belongs to the upper
 * part), {@code v > n} up to n and above it ({@link Side#LOWER}), {@code v == n} below, at and
 * above n ({@link Side#POINT}). Moving from one value to another crosses it only when the two lie
 * in different parts, so a count going from 4 to 3 does not re-evaluate a test of {@code >= 3}.
 */
record Pivot(double at, Side side) {
    enum Side {
        UPPER,
        LOWER,
        POINT
    }

    static Pivot upper(double at) {
        return new Pivot(at, Side.UPPER);
    }

    static Pivot lower(double at) {
        return new Pivot(at, Side.LOWER);
    }

    static Pivot point(double at) {
        return new Pivot(at, Side.POINT);
    }

    /**
     * Whether values {@code lo <= hi} lie in different parts of the pivot at {@code at} on {@code
     * side} (static: readers hold their pivots as columns, see {@link Readers}).
     */
    static boolean crossedBy(double at, Side side, double lo, double hi) {
        return switch (side) {
            case UPPER -> lo < at && at <= hi;
            case LOWER -> lo <= at && at < hi;
            case POINT -> lo <= at && at <= hi && lo < hi;
        };
    }
}
