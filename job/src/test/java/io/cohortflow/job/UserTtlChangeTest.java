package io.cohortflow.job;

import static io.cohortflow.job.TestRecords.DAY;
import static io.cohortflow.job.TestRecords.T0;
import static io.cohortflow.job.TestRecords.envelope;
import static io.cohortflow.job.TestRecords.event;
import static io.cohortflow.job.TestRecords.everPurchased;
import static io.cohortflow.job.TestRecords.inbound;
import static io.cohortflow.job.TestRecords.segment;
import static io.cohortflow.job.TestRecords.threePageviewsIn;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.contract.Json;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A workspace's user TTL changed between runs (stop with a savepoint, restart with other settings)
 * reaches the users who send nothing more: a TTL turned on or shortened sweeps every user, who gets
 * the earlier timer; a TTL turned off or lengthened leaves each user's earlier timer to fire, which
 * registers the later one.
 */
class UserTtlChangeTest {
    private KeyedBroadcastOperatorTestHarness<String, Inbound, DefinitionUpdate, KafkaMessage> h;

    @AfterEach
    void close() throws Exception {
        if (h != null) {
            h.close();
        }
    }

    /** Workspace ws's user TTL ({@code null}: none set, the default's) over a default one. */
    private static SegmentationSettings ttl(String defaultTtl, String workspaceTtl) {
        Map<String, String> p = new HashMap<>();
        p.put("cohortflow.state.user-ttl", defaultTtl);
        if (workspaceTtl != null) {
            p.put("cohortflow.job.workspace.ws.user-ttl", workspaceTtl);
        }
        return SegmentationSettings.of(JobConfig.from(p), 0, false);
    }

    /**
     * A first run under {@code settings}: u1 of ws purchases at T0 and enters "buyers", which never
     * lapses; the sweep of the definitions' start is over. Returns its savepoint.
     */
    private OperatorSubtaskState firstRun(SegmentationSettings settings) throws Exception {
        h = TestRecords.operator(settings);
        h.processBroadcastElement(
                segment("ws", "buyers", 1, 0, true, false, everPurchased(), 0), 0);
        TestRecords.sweep(h);
        h.processElement(inbound(envelope("ws", "u1", null, event("Purchase", T0))), T0);
        assertThat(changes()).containsExactly("buyers entered 2024-01-15T00:00:00Z");
        assertThat(sweeping()).isFalse();
        OperatorSubtaskState snapshot = h.snapshot(1, 1);
        h.close();
        return snapshot;
    }

    /** Restored from {@code snapshot} under {@code settings}, and its sweep (if any) run. */
    private void restart(OperatorSubtaskState snapshot, SegmentationSettings settings)
            throws Exception {
        h = TestRecords.operator(settings, snapshot);
        h.processBroadcastWatermark(new Watermark(Long.MAX_VALUE));
        TestRecords.sweep(h);
    }

    private void watermark(long t) throws Exception {
        h.processWatermark(new Watermark(t));
    }

    private boolean sweeping() {
        return ((SegmentationOperator) h.getOperator()).sweeping();
    }

    /** The membership changes written since the last call, as "segment change time". */
    private List<String> changes() throws Exception {
        List<String> out = new ArrayList<>();
        for (KafkaMessage m : h.extractOutputValues()) {
            var n = Json.MAPPER.readTree(m.value);
            out.add(
                    n.get("segment_id").asText()
                            + " "
                            + n.get("change").asText()
                            + " "
                            + n.get("time").asText());
        }
        h.getOutput().clear();
        return out;
    }

    /** Users holding a profile. */
    private long users() throws Exception {
        try (var keys =
                h.getOperator()
                        .getKeyedStateBackend()
                        .getKeys(Descriptors.PROFILE.getName(), VoidNamespace.INSTANCE)) {
            return keys.count();
        }
    }

    /** u1 goes at T0 + 2 days, the TTL of the second run, with the exit of "buyers". */
    private void u1GoesAfterTwoDays() throws Exception {
        watermark(T0 + 2 * DAY - 1);
        assertThat(changes()).isEmpty();
        assertThat(users()).isOne();
        watermark(T0 + 2 * DAY);
        assertThat(changes()).containsExactly("buyers exited 2024-01-17T00:00:00Z");
        assertThat(users()).isZero();
        assertThat(h.numEventTimeTimers()).isZero();
    }

    @Test
    void a_ttl_turned_on_between_runs_removes_a_user_who_sends_nothing_more() throws Exception {
        OperatorSubtaskState snapshot = firstRun(ttl("0 ms", null));
        restart(snapshot, ttl("0 ms", "P2D"));
        u1GoesAfterTwoDays();
    }

    @Test
    void a_default_ttl_turned_on_between_runs_removes_a_user_who_sends_nothing_more()
            throws Exception {
        OperatorSubtaskState snapshot = firstRun(ttl("0 ms", null));
        restart(snapshot, ttl("P2D", null));
        u1GoesAfterTwoDays();
    }

    @Test
    void a_ttl_shortened_between_runs_removes_a_user_who_sends_nothing_more_at_the_shorter_one()
            throws Exception {
        OperatorSubtaskState snapshot = firstRun(ttl("P30D", null));
        restart(snapshot, ttl("P30D", "P2D"));
        u1GoesAfterTwoDays();
    }

    /**
     * A sweep that visits a user whose timer is later than their next wake-up (registered under a
     * longer TTL) moves it earlier, whether the user is behind the definitions (a change in their
     * workspace, one they do not enter) or up to date (a change in another): it moved only a
     * wake-up that had no timer at all.
     */
    @ParameterizedTest(name = "the change in {0}")
    @ValueSource(strings = {"ws", "ws2"})
    void a_sweep_moves_a_timer_of_a_longer_ttl_earlier(String changedWorkspace) throws Exception {
        OperatorSubtaskState snapshot = firstRun(ttl("P30D", null));
        h = TestRecords.operator(ttl("P30D", "P2D"), snapshot);
        h.processBroadcastWatermark(new Watermark(Long.MAX_VALUE));
        h.processBroadcastElement(
                segment(changedWorkspace, "readers", 1, 0, true, false, threePageviewsIn(7), 1), 0);
        TestRecords.sweep(h);
        assertThat(changes()).isEmpty();
        u1GoesAfterTwoDays();
    }

    @Test
    void a_ttl_lengthened_between_runs_keeps_the_user_until_the_longer_one() throws Exception {
        OperatorSubtaskState snapshot = firstRun(ttl("P30D", "P2D"));
        restart(snapshot, ttl("P30D", "P10D"));
        assertThat(h.numEventTimeTimers()).isOne();
        // The timer of the shorter TTL fires, and registers the longer one's.
        watermark(T0 + 2 * DAY);
        assertThat(changes()).isEmpty();
        assertThat(users()).isOne();
        assertThat(h.numEventTimeTimers()).isOne();
        watermark(T0 + 10 * DAY - 1);
        assertThat(changes()).isEmpty();
        watermark(T0 + 10 * DAY);
        assertThat(changes()).containsExactly("buyers exited 2024-01-25T00:00:00Z");
        assertThat(users()).isZero();
        assertThat(h.numEventTimeTimers()).isZero();
    }

    @Test
    void a_ttl_turned_off_between_runs_keeps_the_user_for_good() throws Exception {
        OperatorSubtaskState snapshot = firstRun(ttl("0 ms", "P2D"));
        restart(snapshot, ttl("0 ms", null));
        watermark(T0 + 2 * DAY);
        assertThat(changes()).isEmpty();
        assertThat(users()).isOne();
        watermark(T0 + 80 * DAY); // within the 90-day horizon: "buyers" holds
        assertThat(changes()).isEmpty();
        assertThat(users()).isOne();
    }

    /** Only a TTL that some user now reaches sooner costs a sweep of every user. */
    @Test
    void a_restore_under_the_same_or_longer_ttls_sweeps_nobody() throws Exception {
        OperatorSubtaskState snapshot = firstRun(ttl("P30D", "P2D"));
        h = TestRecords.operator(ttl("P30D", "P2D"), snapshot);
        assertThat(sweeping()).as("the same TTLs").isFalse();
        h.close();
        h = TestRecords.operator(ttl("0 ms", "P3D"), snapshot);
        assertThat(sweeping()).as("longer TTLs").isFalse();
        h.close();
        h = TestRecords.operator(ttl("P30D", "P1D"), snapshot);
        assertThat(sweeping()).as("a shorter one").isTrue();
    }

    /** The TTLs a run kept are those it ran under, so a later restore compares with them. */
    @Test
    void a_ttl_shortened_twice_sweeps_each_time() throws Exception {
        OperatorSubtaskState snapshot = firstRun(ttl("0 ms", null));
        restart(snapshot, ttl("0 ms", "P10D"));
        snapshot = h.snapshot(2, 2);
        h.close();
        h = TestRecords.operator(ttl("0 ms", "P10D"), snapshot);
        assertThat(sweeping()).isFalse();
        h.close();
        restart(snapshot, ttl("0 ms", "P2D"));
        u1GoesAfterTwoDays();
    }

    /**
     * The TTLs a run checkpoints are those it runs under, also before the sweep they wanted has
     * run: that sweep is in the checkpoint's sweep cursor, and a restore from it sweeps.
     */
    @Test
    void a_checkpoint_taken_before_the_sweep_of_a_shorter_ttl_ran_still_sweeps() throws Exception {
        OperatorSubtaskState snapshot = firstRun(ttl("0 ms", null));
        h = TestRecords.operator(ttl("0 ms", "P2D"), snapshot);
        assertThat(sweeping()).isTrue();
        snapshot = h.snapshot(2, 2); // no slice of the sweep ran
        h.close();
        restart(snapshot, ttl("0 ms", "P2D"));
        u1GoesAfterTwoDays();
    }
}
