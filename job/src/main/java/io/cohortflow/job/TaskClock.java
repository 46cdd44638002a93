package io.cohortflow.job;

/**
 * The segmentation operator's processing time, as the work it runs between records sees it (the
 * {@link DefinitionsSweep}, {@link DraftEstimates}, {@link Heartbeats}, {@link RestoredEventTime}):
 * the clock, and callbacks that the task runs between records, never during one. That work depends
 * on this, not on Flink's operator, so each piece can say what else it needs of the operator in a
 * narrow interface of its own ({@link OperatorHost} implements them all).
 */
interface TaskClock {
    /** Processing time now, epoch milliseconds. */
    long now();

    /** Runs {@code callback} from a processing-time timer at {@code at}, between records. */
    void at(long at, Callback callback);

    /** Work run from a processing-time timer, given the timer's time. */
    interface Callback {
        void run(long time) throws Exception;
    }
}
