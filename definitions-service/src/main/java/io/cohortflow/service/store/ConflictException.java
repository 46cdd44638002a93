package io.cohortflow.service.store;

/** Another write to the same segment was ordered first by the log; this one was not applied. */
public final class ConflictException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConflictException(String message) {
        super(message);
    }
}
