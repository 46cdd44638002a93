package io.cohortflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.job.model.Inbound;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceOutput;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.runtime.metrics.groups.UnregisteredMetricGroups;
import org.apache.flink.streaming.api.operators.source.TimestampsAndWatermarks;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.io.PushingAsyncDataInput;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.TestProcessingTimeService;
import org.apache.flink.util.clock.SystemClock;
import org.junit.jupiter.api.Test;

/**
 * {@link IdleAwareWatermarks} inside the source's watermark machinery, as a Kafka reader runs it.
 */
class SourceWatermarksTest {
    @Test
    void a_partition_replaying_a_backlog_keeps_its_events_time() throws Exception {
        long wall0 = 1_800_000_000_000L;
        AtomicLong wall = new AtomicLong(wall0);
        long old = wall0 - 10 * 86_400_000L; // the backlog is ten days old
        WatermarkStrategy<Inbound> strategy =
                WatermarkStrategy.<Inbound>forGenerator(
                                ctx ->
                                        new IdleAwareWatermarks(
                                                IdleTime.of(
                                                        Duration.ofSeconds(5),
                                                        Duration.ofSeconds(30)),
                                                wall::get))
                        .withTimestampAssigner((in, ts) -> in.eventTime);
        TestProcessingTimeService pts = new TestProcessingTimeService();
        pts.setCurrentTime(0);
        TimestampsAndWatermarks<Inbound> tw =
                TimestampsAndWatermarks.createProgressiveEventTimeLogic(
                        strategy,
                        new UnregisteredMetricsGroup(),
                        pts,
                        200,
                        SystemClock.getInstance(),
                        SystemClock.getInstance(),
                        UnregisteredMetricGroups.createUnregisteredTaskMetricGroup()
                                .getIOMetricGroup());
        AtomicLong maxWatermark = new AtomicLong(Long.MIN_VALUE);
        PushingAsyncDataInput.DataOutput<Inbound> data =
                new PushingAsyncDataInput.DataOutput<>() {
                    public void emitRecord(StreamRecord<Inbound> r) {}

                    public void emitWatermark(Watermark w) {
                        maxWatermark.accumulateAndGet(w.getTimestamp(), Math::max);
                    }

                    public void emitWatermarkStatus(
                            org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus s) {}

                    public void emitLatencyMarker(
                            org.apache.flink.streaming.runtime.streamrecord.LatencyMarker m) {}

                    public void emitRecordAttributes(
                            org.apache.flink.streaming.runtime.streamrecord.RecordAttributes a) {}

                    public void emitWatermark(org.apache.flink.runtime.event.WatermarkEvent e) {}
                };
        ReaderOutput<Inbound> main =
                tw.createMainOutput(
                        data,
                        new TimestampsAndWatermarks.WatermarkUpdateListener() {
                            public void updateIdle(boolean idle) {}

                            public void updateCurrentEffectiveWatermark(long w) {}

                            public void updateCurrentSplitWatermark(String s, long w) {}

                            public void updateCurrentSplitIdle(String s, boolean idle) {}

                            public void splitFinished(String s) {}
                        });
        tw.startPeriodicWatermarkEmits();
        SourceOutput<Inbound> partition = main.createOutputForSplit("events-0");
        // A replay: the partition emits a backlog event every second, never idle itself.
        for (int s = 1; s <= 60; s++) {
            wall.addAndGet(1000);
            Inbound in = new Inbound();
            in.eventTime = old + s * 1000L;
            partition.collect(in, in.eventTime);
            pts.setCurrentTime(s * 1000L); // periodic emits
        }
        // Neither the partition (never idle, far behind) nor the reader's own generator (no
        // records: idle, not the clock) follows the wall clock: the backlog's time holds.
        assertThat(maxWatermark.get()).isLessThanOrEqualTo(old + 60_000);
    }
}
