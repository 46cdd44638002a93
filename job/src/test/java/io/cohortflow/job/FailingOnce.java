package io.cohortflow.job;

import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.util.Collector;

/**
 * The segmentation function failing once, after a number of events, as a crashing task would. The
 * counts are static (the function reaches the task serialized, and its restarted copy must know it
 * failed already): call {@link #reset} before starting a job with it.
 */
final class FailingOnce extends SegmentationFunction {
    private static final long serialVersionUID = 1L;

    static final AtomicInteger seen = new AtomicInteger();
    static final AtomicBoolean failed = new AtomicBoolean();
    private final int after;

    FailingOnce(SegmentationSettings settings, int after) {
        super(settings);
        this.after = after;
    }

    static void reset() {
        seen.set(0);
        failed.set(false);
    }

    @Override
    public void processElement(Inbound in, ReadOnlyContext ctx, Collector<KafkaMessage> out)
            throws Exception {
        if (seen.incrementAndGet() > after && failed.compareAndSet(false, true)) {
            throw new IllegalStateException("injected failure after " + after + " records");
        }
        super.processElement(in, ctx, out);
    }
}
