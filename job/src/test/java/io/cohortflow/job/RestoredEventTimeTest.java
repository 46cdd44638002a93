package io.cohortflow.job;

import static io.cohortflow.job.TestRecords.DAY;
import static io.cohortflow.job.TestRecords.HOUR;
import static io.cohortflow.job.TestRecords.T0;
import static io.cohortflow.job.TestRecords.envelope;
import static io.cohortflow.job.TestRecords.event;
import static io.cohortflow.job.TestRecords.inbound;
import static io.cohortflow.job.TestRecords.segment;
import static io.cohortflow.job.TestRecords.threePageviewsIn;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.contract.Json;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * Event time on a stream that stays idle after a restore: Flink restores no watermark, and the
 * sources' generators, having seen nothing, move nothing (see {@link RestoredEventTime}).
 */
class RestoredEventTimeTest {
    /** The harness's wall clock (see {@link TestRecords#operator}). */
    private static final long WALL = T0 + 30 * DAY;

    private static List<String> changes(
            KeyedBroadcastOperatorTestHarness<String, Inbound, DefinitionUpdate, KafkaMessage> h)
            throws Exception {
        List<String> out = new ArrayList<>();
        for (KafkaMessage m : h.extractOutputValues()) {
            out.add(Json.MAPPER.readTree(m.value).get("change").asText());
        }
        return out;
    }

    /**
     * A reader (three page views in a week) whose views were {@code lag} behind the clock, the
     * operator's event time at them less 5 s, checkpointed.
     */
    private static OperatorSubtaskState readerCheckpointed(long lag) throws Exception {
        var h = TestRecords.operator(0, 0, 1, 0, null);
        h.processBroadcastElement(
                segment("ws", "readers", 1, 0, true, false, threePageviewsIn(7), 0), 0);
        long t = WALL - lag;
        h.processElement(
                inbound(
                        envelope(
                                "ws",
                                "u1",
                                null,
                                event("Pageview", t - 2 * HOUR),
                                event("Pageview", t - HOUR),
                                event("Pageview", t))),
                t);
        h.processBroadcastWatermark(new Watermark(Long.MAX_VALUE));
        h.processWatermark(new Watermark(t - 5_000));
        assertThat(changes(h)).containsExactly("entered");
        OperatorSubtaskState snap = h.snapshot(1, 1);
        h.close();
        return snap;
    }

    @Test
    void a_live_stream_restored_with_no_traffic_lets_windows_lapse_with_the_clock()
            throws Exception {
        OperatorSubtaskState snap = readerCheckpointed(60_000);
        var r = TestRecords.operator(0, 0, 1, 0, snap);
        // Within the idleness period (30 s) the clock does not take over: the sources may speak.
        r.setProcessingTime(WALL + 20_000);
        assertThat(changes(r)).isEmpty();
        // A week later, still no event and no watermark from the sources: the week has passed.
        r.setProcessingTime(WALL + 7 * DAY);
        assertThat(changes(r)).containsExactly("exited");
        r.close();
    }

    @Test
    void the_sources_first_watermark_takes_over_and_time_never_goes_back() throws Exception {
        OperatorSubtaskState snap = readerCheckpointed(60_000);
        var r = TestRecords.operator(0, 0, 1, 0, snap);
        r.setProcessingTime(WALL + 3 * DAY); // the clock moved event time to about WALL + 3 days
        // A source's watermark behind that is dropped, not a step back ...
        r.processBroadcastWatermark(new Watermark(Long.MAX_VALUE));
        r.processWatermark(new Watermark(WALL));
        // ... and from now on only the sources move time: a week of clock does nothing alone.
        r.setProcessingTime(WALL + 8 * DAY);
        assertThat(changes(r)).isEmpty();
        r.processWatermark(new Watermark(WALL + 7 * DAY));
        assertThat(changes(r)).containsExactly("exited");
        r.close();
    }

    @Test
    void a_stream_that_was_replaying_old_events_keeps_waiting_for_its_events() throws Exception {
        // Checkpointed 20 days behind the clock: a replay, not live.
        OperatorSubtaskState snap = readerCheckpointed(20 * DAY);
        var r = TestRecords.operator(0, 0, 1, 0, snap);
        r.setProcessingTime(WALL + 30 * DAY);
        assertThat(changes(r)).isEmpty();
        r.close();
    }

    @Test
    void a_restored_stream_still_live_carries_its_liveness_to_the_next_checkpoint()
            throws Exception {
        OperatorSubtaskState snap = readerCheckpointed(60_000);
        var r = TestRecords.operator(0, 0, 1, 0, snap);
        r.setProcessingTime(WALL + DAY); // event time follows the clock, no lapse yet
        OperatorSubtaskState again = r.snapshot(2, 2);
        r.close();
        var r2 = TestRecords.operator(0, 0, 1, 0, again);
        r2.setProcessingTime(WALL + 7 * DAY);
        assertThat(changes(r2)).containsExactly("exited");
        r2.close();
    }

    /**
     * Checkpointed within the idleness period after a restore (no watermark yet: the clock has not
     * moved event time, the sources have said nothing), the subtask is still live, and a restore
     * from that checkpoint lets windows lapse with the clock too. It recorded "not live", and the
     * job restored from it waited for events the idle stream never sent.
     */
    @Test
    void a_checkpoint_in_the_first_seconds_after_a_restore_keeps_the_liveness() throws Exception {
        OperatorSubtaskState snap = readerCheckpointed(60_000);
        var r = TestRecords.operator(0, 0, 1, 0, snap);
        r.setProcessingTime(WALL + 5_000); // inside the idleness period: no watermark yet
        OperatorSubtaskState early = r.snapshot(2, 2);
        r.close();
        var r2 = TestRecords.operator(0, 0, 1, 0, early);
        r2.setProcessingTime(WALL + 7 * DAY);
        assertThat(changes(r2)).containsExactly("exited");
        r2.close();
    }
}
