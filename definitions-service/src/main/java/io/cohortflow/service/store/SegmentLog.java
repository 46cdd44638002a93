package io.cohortflow.service.store;

import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * The ordered log behind the store: Kafka in production, an in-memory fake in handler tests. One
 * partition, so offsets order every write.
 */
public interface SegmentLog extends AutoCloseable {

    /** Receives every record of the log in offset order, on one thread. */
    interface Sink {
        /** A record; {@code value} null for a tombstone. */
        void accept(long offset, String key, byte @Nullable [] value);

        /** Everything up to and including {@code offset} has been handed to {@link #accept}. */
        void processedUpTo(long offset);
    }

    /**
     * Starts replaying the log from its beginning into {@code sink} and keeps following it.
     *
     * @return the end offset at start (the offset of the next record to be written then); the store
     *     is rebuilt once everything before it was processed
     */
    long start(Sink sink);

    /**
     * Appends a record ({@code value} null: a tombstone); completes with its offset once durable.
     */
    CompletableFuture<Long> append(String key, byte @Nullable [] value);

    /** Records written to the log that the reader has not processed yet; -1 when unknown. */
    long lag();

    @Override
    void close();
}
