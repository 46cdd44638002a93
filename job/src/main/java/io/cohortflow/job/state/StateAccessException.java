package io.cohortflow.job.state;

/**
 * The state backend failed to read or write (not the record's fault): the operator lets it fail the
 * task, so Flink restarts from the last checkpoint, rather than dead-lettering good records.
 */
public final class StateAccessException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StateAccessException(String what, Throwable cause) {
        super(what, cause);
    }
}
