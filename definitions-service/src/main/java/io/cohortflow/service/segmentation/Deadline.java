package io.cohortflow.service.segmentation;

import java.time.Duration;

/**
 * When a request must be answered by: taken once, as the request arrives, so that each of its steps
 * (binding new aliases, then the job's answer) waits only for what the steps before it left of the
 * one timeout ({@code cohortflow.segmentation.timeout}), never a fresh timeout of its own.
 *
 * @param startNanos the request's arrival ({@link System#nanoTime})
 * @param timeout the whole request's time
 */
public record Deadline(long startNanos, Duration timeout) {

    /** A deadline {@code timeout} from now. */
    public static Deadline after(Duration timeout) {
        return new Deadline(System.nanoTime(), timeout);
    }

    /** The time left, zero once the deadline has passed. */
    public Duration left() {
        long left = timeout.toNanos() - (System.nanoTime() - startNanos);
        return left > 0 ? Duration.ofNanos(left) : Duration.ZERO;
    }
}
