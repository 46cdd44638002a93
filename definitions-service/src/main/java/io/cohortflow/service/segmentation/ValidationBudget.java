package io.cohortflow.service.segmentation;

/**
 * What validating one request against the event schemas may cost: the characters the schemas'
 * patterns may read in all, over every match of every event it is given to ({@link
 * EventSchemas#violations(String, com.fasterxml.jackson.databind.JsonNode, ValidationBudget)}).
 * {@link BoundedRegex} bounds one match; a schema can still ask for many matches (a pattern on
 * every value, or an {@code allOf} of several), each under that bound, so without a total a request
 * of many such values held its thread for seconds. Once spent, every further match of the budget is
 * refused at once and the events not yet checked are reported as violations: a request costs at
 * most this much, however many events, values and patterns it meets.
 *
 * <p>Counted, not timed, like {@link BoundedRegex}: the answer does not depend on load. Not for
 * concurrent use: one request's events are validated on one thread.
 */
public final class ValidationBudget {
    /**
     * Character reads of one request's matches in all: twice what one match may take, about a dozen
     * reads of every character a request may carry at the default event limits (10 events of at
     * most 65 536 characters), tens of milliseconds of one core when spent.
     */
    public static final long REQUEST_READS = 2 * BoundedRegex.MAX_READS;

    private final long total;
    private long remaining;
    private boolean exhausted;

    /** A budget of {@link #REQUEST_READS}, for one request (or one event validated alone). */
    public ValidationBudget() {
        this(REQUEST_READS);
    }

    ValidationBudget(long reads) {
        if (reads < 0) {
            throw new IllegalArgumentException("a budget cannot be negative: " + reads);
        }
        this.total = reads;
        this.remaining = reads;
    }

    /** Takes one read; false (and exhausted from then on) when none is left. */
    boolean take() {
        if (remaining == 0) {
            exhausted = true;
            return false;
        }
        remaining--;
        return true;
    }

    /** Whether a match was refused for want of reads: what it was checking was not checked. */
    public boolean exhausted() {
        return exhausted;
    }

    /** The reads this budget started with. */
    public long total() {
        return total;
    }

    /** The reads left. */
    long remaining() {
        return remaining;
    }
}
