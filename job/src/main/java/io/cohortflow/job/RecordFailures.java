package io.cohortflow.job;

import io.cohortflow.core.contract.ReplyRecord;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import io.cohortflow.job.state.StateAccessException;
import java.util.function.Consumer;
import org.apache.flink.streaming.runtime.tasks.ExceptionInChainedOperatorException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What becomes of a record that fails, for {@link SegmentationFunction}, which evaluates each
 * record through {@link #isolate}: no client input may fail the task, and no record may fail it for
 * ever. Whatever happens, a failed record leaves the user's state as it was ({@link
 * UserStore#rollback}).
 *
 * <ul>
 *   <li>What the record makes the engine throw goes to the dead-letter topic (and a waiting request
 *       gets an error reply), and the job goes on.
 *   <li>The state backend or a chained sink failing is not the record's fault: the task fails and
 *       restarts from a checkpoint, with neither a dead letter nor a strike against the record.
 *   <li>Anything else that escapes fails the task and is a strike against the record: once it has
 *       failed {@code job.poison-attempts} times ({@link PoisonRecords}), it is skipped and
 *       dead-lettered instead of failing the job again on every restart.
 * </ul>
 */
final class RecordFailures {
    private static final Logger LOG = LoggerFactory.getLogger(RecordFailures.class);

    /**
     * One record's evaluation: its changes to the user's state are stored together or not at all.
     */
    interface Evaluation {
        void run() throws Exception;
    }

    /** The job's id, stable across its restarts: the poison counts outlive the failed task. */
    private final String jobId;

    private final int poisonAttempts;
    private final UserStore user;
    private final Outputs outputs;

    RecordFailures(String jobId, int poisonAttempts, UserStore user, Outputs outputs) {
        this.jobId = jobId;
        this.poisonAttempts = poisonAttempts;
        this.user = user;
        this.outputs = outputs;
    }

    /**
     * Runs {@code evaluation} of {@code in}, isolated (see the class): what it sends to {@code
     * side} and what it changes stay as they are when it succeeds; a record the engine cannot
     * evaluate, or one skipped as poison, is dead-lettered to {@code side} instead.
     */
    void isolate(Inbound in, Consumer<KafkaMessage> side, Evaluation evaluation) throws Exception {
        String position = PoisonRecords.position(jobId, in.topic, in.partition, in.offset);
        int failures = PoisonRecords.failures(position);
        if (failures >= poisonAttempts) {
            LOG.error("skipping {} after it failed the task {} times", position, failures);
            side.accept(
                    outputs.deadLetter(
                            in,
                            "poison_record",
                            "the record failed the job " + failures + " times and was skipped",
                            Outputs.recordText(in)));
            replyFailed(in, side);
            PoisonRecords.forget(position);
            return;
        }
        try {
            evaluation.run();
        } catch (StateAccessException | ExceptionInChainedOperatorException e) {
            // The state backend or a chained sink failed: not the record's fault, so neither a
            // dead letter nor a strike against it; the task fails and restarts from a checkpoint.
            user.rollback();
            throw e;
        } catch (RuntimeException | StackOverflowError e) {
            // The record changed nothing (its changes are stored together or not at all, and sent
            // once stored: see SegmentationFunction's process): the user's state is as it was.
            user.rollback();
            LOG.warn("record {} could not be evaluated; dead-lettered", position, e);
            side.accept(
                    outputs.deadLetter(
                            in,
                            "evaluation_failed",
                            "the job could not evaluate this record: " + e,
                            Outputs.recordText(in)));
            replyFailed(in, side);
        } catch (Exception | Error e) {
            user.rollback();
            PoisonRecords.failed(position);
            throw e;
        }
    }

    /** A waiting request learns its events went to the dead-letter topic, not into the job. */
    private void replyFailed(Inbound in, Consumer<KafkaMessage> side) {
        if (in.requestId != null) {
            side.accept(
                    outputs.errorReply(
                            in,
                            ReplyRecord.PROCESSING_FAILED,
                            "the events could not be processed; they were sent to the dead-letter"
                                    + " topic"));
        }
    }
}
