package io.cohortflow.service.store;

/** The log did not acknowledge or replay a write in time: the outcome is unknown. */
public final class StoreUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
