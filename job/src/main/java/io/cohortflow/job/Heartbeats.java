package io.cohortflow.job;

import io.cohortflow.job.model.KafkaMessage;

/**
 * Each subtask's heartbeat on the replies topic, with the limits the service checks requests
 * against (future skew, history horizon and cap). Written from a processing-time callback, as the
 * sweep's slices are: a task that runs no callbacks (stuck, or gone) writes none, and the service
 * then says the job is not running. A backfill writes none: no one waits for its replies.
 */
final class Heartbeats {
    /** How often each subtask writes its heartbeat. */
    static final long EVERY_MILLIS = 1_000;

    /** What heartbeats need of the operator they run in, besides its clock. */
    interface Host extends TaskClock {
        /** Writes to the at-least-once outputs (the replies topic). */
        void side(KafkaMessage m);
    }

    private final Host host;
    private final Outputs outputs;
    private final SegmentationSettings settings;
    private final int subtask;
    private final long everyMillis;

    /** Every {@code everyMillis} of processing time (0: none). */
    Heartbeats(
            Host host,
            Outputs outputs,
            SegmentationSettings settings,
            int subtask,
            long everyMillis) {
        this.host = host;
        this.outputs = outputs;
        this.settings = settings;
        this.subtask = subtask;
        this.everyMillis = everyMillis;
    }

    /** After the operator opened. */
    void start() {
        if (everyMillis > 0) {
            after(host.now());
        }
    }

    private void after(long now) {
        host.at(
                now + everyMillis,
                t -> {
                    if (settings.backfill()) {
                        return;
                    }
                    host.side(
                            outputs.heartbeat(
                                    subtask,
                                    t,
                                    settings.maxFutureSkewMillis(),
                                    settings.horizonMillis(),
                                    settings.historyCap()));
                    after(t);
                });
    }
}
