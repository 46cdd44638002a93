package io.cohortflow.job.bench;

import static io.cohortflow.job.TestRecords.T0;
import static io.cohortflow.job.TestRecords.envelope;
import static io.cohortflow.job.TestRecords.event;
import static io.cohortflow.job.TestRecords.inbound;
import static io.cohortflow.job.TestRecords.segment;
import static io.cohortflow.job.TestRecords.threePageviewsIn;

import io.cohortflow.job.JobConfig;
import io.cohortflow.job.SegmentationFunction;
import io.cohortflow.job.SegmentationOperator;
import io.cohortflow.job.SegmentationSettings;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;

/**
 * How a definition reaches N users on RocksDB, in one subtask: the time {@code
 * processBroadcastElement} holds the stream (compiling only), and the time the sweep takes to visit
 * every user when nothing else runs (its slices back to back).
 */
public final class ApplyExperiment {
    public static void main(String[] args) throws Exception {
        int users = Integer.parseInt(args.length > 0 ? args[0] : "20000");
        SegmentationOperator op =
                new SegmentationOperator(
                        new SegmentationFunction(
                                SegmentationSettings.of(JobConfig.defaults(), 0, true)));
        var h =
                new KeyedBroadcastOperatorTestHarness<
                        String, Inbound, DefinitionUpdate, KafkaMessage>(
                        op, Inbound::getKey, Types.STRING, 1, 1, 0);
        h.setStateBackend(new EmbeddedRocksDBStateBackend(true));
        h.setProcessingTime(T0 + 10L * 86_400_000);
        h.open();
        long t = System.nanoTime();
        for (int u = 0; u < users; u++) {
            h.processElement(
                    inbound(
                            envelope(
                                    "ws",
                                    "u" + u,
                                    null,
                                    event("Pageview", T0 + u),
                                    event("Click", T0 + u + 1))),
                    T0);
        }
        System.out.printf("%d users written in %.2f s%n", users, (System.nanoTime() - t) / 1e9);
        for (int d = 0; d < 3; d++) {
            t = System.nanoTime();
            h.processBroadcastElement(
                    segment("ws", "s" + d, 1, 0, true, false, threePageviewsIn(7 + d), d), 0);
            double live = (System.nanoTime() - t) / 1e9;
            t = System.nanoTime();
            while (op.sweeping()) {
                h.setProcessingTime(h.getProcessingTime() + 1);
            }
            System.out.printf(
                    "definition %d: live in %.3f s, swept %d users in %.2f s%n",
                    d, live, users, (System.nanoTime() - t) / 1e9);
        }
        h.close();
    }
}
