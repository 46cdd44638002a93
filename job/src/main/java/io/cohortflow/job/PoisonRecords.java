package io.cohortflow.job;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The last line of defence against a poisoned log: a record that failed its task (an exception the
 * operator did not absorb as a dead letter, such as a state backend error it caused) is counted
 * here, and once it has failed {@code job.poison-attempts} times the operator skips it and sends it
 * to the dead-letter topic, instead of Flink restarting the job on it for ever.
 *
 * <p>The count must outlive the failed task, whose state rolls back to the last checkpoint, so it
 * lives in the TaskManager's JVM, keyed by the job's id (stable across the job's restarts) and the
 * record's position. A TaskManager that dies starts counting again: the record then gets its
 * attempts anew, and is still skipped in the end.
 */
final class PoisonRecords {
    /** Failures are rare; this only bounds the map should a broken job fail on many records. */
    private static final int MAX_TRACKED = 10_000;

    private static final Map<String, Integer> FAILURES = new ConcurrentHashMap<>();

    private PoisonRecords() {}

    static String position(String jobId, String topic, int partition, long offset) {
        return jobId + "/" + topic + "/" + partition + "/" + offset;
    }

    static int failures(String position) {
        return FAILURES.getOrDefault(position, 0);
    }

    static void failed(String position) {
        if (FAILURES.size() >= MAX_TRACKED) {
            FAILURES.clear();
        }
        FAILURES.merge(position, 1, Integer::sum);
    }

    static void forget(String position) {
        FAILURES.remove(position);
    }
}
