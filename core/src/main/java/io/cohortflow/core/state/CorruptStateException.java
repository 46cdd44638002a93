package io.cohortflow.core.state;

/**
 * A user's stored state could not be decoded: not the state backend failing (reading it again, as a
 * restarted task would, reads the same bytes) but that user's data. Thrown where the bytes are
 * decoded: by the job's state serializers, and by core for the events a profile keeps encoded until
 * they are read ({@code EventChunk}). The job treats it as it treats a user the engine cannot
 * evaluate: what concerns the user is dead-lettered, the user keeps the stored bytes (for whoever
 * repairs them), and the job goes on with the others.
 */
public final class CorruptStateException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CorruptStateException(String what, Throwable cause) {
        super(what, cause);
    }
}
