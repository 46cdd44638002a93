package io.cohortflow.job;

import static io.cohortflow.job.TestRecords.T0;
import static io.cohortflow.job.TestRecords.envelope;
import static io.cohortflow.job.TestRecords.event;
import static io.cohortflow.job.TestRecords.everPurchased;
import static io.cohortflow.job.TestRecords.inbound;
import static io.cohortflow.job.TestRecords.segment;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.contract.AudienceRecord;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.job.model.AudienceDelta;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.apache.flink.util.InstantiationUtil;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A deleted segment's audience goes: from the audience counts' keyed state (values, series and
 * timers) and, by tombstones under each of its keys, from the compacted audiences topic. The
 * segmentation operator's records are handed to the audience counts as a job's barrier would.
 */
class AudienceDeletionTest {
    private static final String TOPIC = TopicNames.DEFAULT.audiences();

    /** Every keyed state of the audience counts ({@link AudienceState}). */
    private static final List<String> STATES =
            List.of(
                    Descriptors.AUDIENCE_SIZE.getName(),
                    Descriptors.AUDIENCE_AS_OF.getName(),
                    Descriptors.AUDIENCE_NEXT_SIZE.getName(),
                    Descriptors.AUDIENCE_NEXT_SERIES.getName(),
                    Descriptors.audienceSeries("minute").getName(),
                    Descriptors.audienceSeries("hour").getName());

    private KeyedBroadcastOperatorTestHarness<String, Inbound, DefinitionUpdate, KafkaMessage> h;
    private final KeyedOneInputStreamOperatorTestHarness<String, AudienceDelta, KafkaMessage> a =
            audiences();
    private long checkpoint;
    private long offset;

    AudienceDeletionTest() throws Exception {}

    private static KeyedOneInputStreamOperatorTestHarness<String, AudienceDelta, KafkaMessage>
            audiences() throws Exception {
        return ProcessFunctionTestHarnesses.forKeyedProcessFunction(
                new AudienceFunction(TOPIC, 1_000), AudienceDelta::key, Types.STRING);
    }

    @AfterEach
    void close() throws Exception {
        if (h != null) {
            h.close();
        }
        a.close();
    }

    /** Hands the operator's audience records to the counts, as a job's barrier would. */
    private void barrier() throws Exception {
        h.prepareSnapshotPreBarrier(++checkpoint);
        var q = h.getSideOutput(Descriptors.AUDIENCE);
        if (q != null) {
            for (StreamRecord<AudienceDelta> r : q) {
                a.processElement(r.getValue(), 0);
            }
            q.clear();
        }
    }

    /**
     * What the counts wrote since the last call, after their publication timers: per key, the size
     * of the latest record, or null for a tombstone.
     */
    private Map<String, @Nullable Long> published() throws Exception {
        a.setProcessingTime(a.getProcessingTime() + 60_000);
        Map<String, @Nullable Long> out = new HashMap<>();
        for (KafkaMessage m : a.extractOutputValues()) {
            assertThat(m.topic).isEqualTo(TOPIC);
            out.put(
                    m.key,
                    m.value == null ? null : Json.read(m.value, AudienceRecord.class).size());
        }
        a.getOutput().clear();
        return out;
    }

    /** The segments (workspace/segment) the counts hold any state of. */
    private TreeSet<String> held() throws Exception {
        return held(STATES.toArray(String[]::new));
    }

    /** The segments (workspace/segment) the counts hold any of {@code states} of. */
    private TreeSet<String> held(String... states) throws Exception {
        TreeSet<String> keys = new TreeSet<>();
        for (String state : states) {
            try (var k =
                    a.getOperator().getKeyedStateBackend().getKeys(state, VoidNamespace.INSTANCE)) {
                k.forEach(key -> keys.add((String) key));
            }
        }
        return keys;
    }

    /**
     * The streaming operator, its users' profiles in the returned fake's hands (see {@link
     * FaultyProfiles}).
     */
    private FaultyProfiles faultyOperator() throws Exception {
        SegmentationOperator op =
                InstantiationUtil.clone(
                        new SegmentationOperator(
                                new SegmentationFunction(TestRecords.streaming(0)),
                                SegmentationOperator.SLICE_NANOS,
                                0));
        h = new KeyedBroadcastOperatorTestHarness<>(op, Inbound::getKey, Types.STRING, 128, 1, 0);
        h.setProcessingTime(T0 + 30 * TestRecords.DAY);
        h.initializeEmptyState();
        FaultyProfiles f = new FaultyProfiles(op.getKeyedStateBackend());
        op.getRuntimeContext().setKeyedStateStore(f);
        h.open();
        return f;
    }

    private void erase(String user) throws Exception {
        h.processElement(
                inbound(
                        "{\"workspace\":\"ws\",\"user_id\":\""
                                + user
                                + "\",\"request_id\":\"e-"
                                + user
                                + "\",\"op\":\"erase\"}"),
                T0);
    }

    private void purchase(String user) throws Exception {
        h.processElement(inbound(envelope("ws", user, null, event("Purchase", T0))), T0);
    }

    private void define(String id, long version, long replaces, boolean deleted) throws Exception {
        h.processBroadcastElement(
                segment("ws", id, version, replaces, true, deleted, everPurchased(), offset++), 0);
    }

    @Test
    void a_deleted_segments_audience_goes_from_state_and_the_topic_once_its_members_exited()
            throws Exception {
        h = TestRecords.operator(0, SegmentationOperator.SLICE_NANOS, 1, 0, null);
        define("buyers", 1, 0, false);
        define("kept", 1, 0, false);
        purchase("u1");
        purchase("u2");
        barrier();
        assertThat(published()).containsEntry("ws/buyers", 2L).containsEntry("ws/kept", 2L);
        assertThat(held()).containsExactly("ws/buyers", "ws/kept");

        define("buyers", 2, 1, true);
        TestRecords.sweep(h); // the members exit
        barrier();

        Map<String, @Nullable Long> after = published();
        assertThat(after.keySet())
                .containsExactlyInAnyOrderElementsOf(AudienceRecord.keys("ws", "buyers"));
        assertThat(after.values()).containsOnlyNulls();
        assertThat(held()).containsExactly("ws/kept");
        assertThat(a.numProcessingTimeTimers()).isZero();
    }

    /**
     * A member erased while their stored state could not be read has no exit ever counted (the
     * erasure cannot name what they held), and no event, timer or visit left: the deleted segment's
     * audience goes all the same, at the deletion. It was forgotten only at size 0, which this
     * member kept it from reaching: size 1 and the series stayed on the topic for good.
     */
    @Test
    void a_deleted_segments_audience_goes_even_if_a_member_never_exits() throws Exception {
        FaultyProfiles f = faultyOperator();
        define("buyers", 1, 0, false);
        purchase("u1");
        purchase("u2");
        barrier();
        assertThat(published()).containsEntry("ws/buyers", 2L);
        f.corrupt.add("ws/u1");
        erase("u1"); // gone, and the exit of their membership could not be written
        f.corrupt.clear();

        define("buyers", 2, 1, true);
        TestRecords.sweep(h); // u2 exits
        barrier();

        Map<String, @Nullable Long> after = published();
        assertThat(after.keySet())
                .containsExactlyInAnyOrderElementsOf(AudienceRecord.keys("ws", "buyers"));
        assertThat(after.values()).containsOnlyNulls();
        assertThat(a.numProcessingTimeTimers()).isZero();
        assertThat(held(Descriptors.AUDIENCE_AS_OF.getName())).isEmpty();
    }

    /**
     * A member the deletion's sweep cannot bring up to it (their state unreadable) is still one:
     * the audience goes from the topic at the deletion, and when they do exit, the count that was
     * kept for them reaches 0 and the last of the segment's state goes, with nothing published.
     */
    @Test
    void a_member_who_exits_after_the_deletions_audience_went_leaves_nothing_behind()
            throws Exception {
        FaultyProfiles f = faultyOperator();
        define("buyers", 1, 0, false);
        purchase("u1");
        purchase("u2");
        barrier();
        published();
        f.corrupt.add("ws/u1");
        define("buyers", 2, 1, true);
        TestRecords.sweep(h); // u2 exits; u1 cannot be evaluated
        barrier();
        assertThat(published().values()).hasSize(4).containsOnlyNulls();

        f.corrupt.clear();
        purchase("u1"); // brought up to the deletion: u1 exits
        barrier();

        assertThat(published()).isEmpty();
        assertThat(held()).isEmpty();
    }

    /**
     * Deleted and, a barrier later, rolled back before the sweep visited its members: they never
     * exited, so the size counts them still (their membership goes on without a record).
     */
    @Test
    void a_segment_rolled_back_before_its_members_were_visited_counts_them() throws Exception {
        h = TestRecords.operator(0, SegmentationOperator.SLICE_NANOS, 1, 0, null);
        define("buyers", 1, 0, false);
        purchase("u1");
        barrier();
        published();
        define("buyers", 2, 1, true);
        barrier(); // no sweep yet: u1 is still a member
        assertThat(published().values()).hasSize(4).containsOnlyNulls();

        define("buyers", 3, 2, false);
        TestRecords.sweep(h);
        purchase("u2");
        barrier();

        assertThat(published()).containsEntry("ws/buyers", 2L);
    }

    @Test
    void a_deleted_segment_with_no_member_left_goes_at_the_deletion() throws Exception {
        h = TestRecords.operator(0, SegmentationOperator.SLICE_NANOS, 1, 0, null);
        define("buyers", 1, 0, false);
        purchase("u1");
        barrier();
        h.processBroadcastElement(
                segment("ws", "buyers", 2, 1, false, false, everPurchased(), offset++), 0);
        TestRecords.sweep(h); // unpublished: the member exits, the series stays
        barrier();
        assertThat(published()).containsEntry("ws/buyers", 0L);
        assertThat(held()).containsExactly("ws/buyers");

        h.processBroadcastElement(
                segment("ws", "buyers", 3, 2, false, true, everPurchased(), offset++), 0);
        barrier();

        assertThat(published().values()).hasSize(4).containsOnlyNulls();
        assertThat(held()).isEmpty();
    }

    /**
     * The first subtask's record of the deletion takes the audience off the topic; the size the
     * other subtasks' exits still count against stays, unpublished, and goes at 0.
     */
    @Test
    void a_deleted_segment_goes_at_the_first_subtasks_record_and_its_size_at_0() throws Exception {
        long hour = T0;
        // Two subtasks counted a member each; one of them hands on its exit first.
        a.processElement(delta("ws", "buyers", hour, 1, 0, false), 0);
        a.processElement(delta("ws", "buyers", hour, 1, 0, false), 0);
        a.processElement(delta("ws", "buyers", hour, 0, 1, true), 0);
        assertThat(published().values()).hasSize(4).containsOnlyNulls();
        assertThat(held()).containsExactly("ws/buyers");
        assertThat(held(Descriptors.AUDIENCE_SIZE.getName())).containsExactly("ws/buyers");
        assertThat(a.numProcessingTimeTimers()).isZero();
        // The other subtask's exit: nothing published again, nothing held.
        a.processElement(delta("ws", "buyers", hour, 0, 1, true), 0);
        assertThat(held()).isEmpty();
        assertThat(published()).isEmpty();
        // The other subtasks' records of the deletion find nothing left.
        AudienceDelta none = new AudienceDelta("ws", "buyers");
        none.deleted = true;
        a.processElement(none, 0);
        assertThat(a.extractOutputValues()).isEmpty();
        assertThat(held()).isEmpty();
    }

    @Test
    void a_segment_rolled_back_after_its_deletion_counts_again_from_0() throws Exception {
        h = TestRecords.operator(0, SegmentationOperator.SLICE_NANOS, 1, 0, null);
        define("buyers", 1, 0, false);
        purchase("u1");
        purchase("u2");
        barrier();
        define("buyers", 2, 1, true);
        TestRecords.sweep(h);
        barrier();
        assertThat(held()).isEmpty();
        a.getOutput().clear();

        define("buyers", 3, 2, false); // a rollback to version 1
        TestRecords.sweep(h);
        barrier();

        assertThat(published()).containsEntry("ws/buyers", 2L);
    }

    @Test
    void a_segment_deleted_and_rolled_back_between_two_barriers_keeps_its_audience()
            throws Exception {
        h = TestRecords.operator(0, SegmentationOperator.SLICE_NANOS, 1, 0, null);
        define("buyers", 1, 0, false);
        purchase("u1");
        barrier();
        published();
        define("buyers", 2, 1, true);
        define("buyers", 3, 2, false);
        TestRecords.sweep(h);
        purchase("u2");
        barrier();

        assertThat(published()).containsEntry("ws/buyers", 2L);
        assertThat(held()).containsExactly("ws/buyers");
    }

    /**
     * State that does not say its deletions were handed on (a job from before deleted audiences
     * were forgotten, here one not counting audiences) may hold the audience of a segment deleted
     * before the restore: the restored job forgets it, once.
     */
    @Test
    void a_restored_job_forgets_the_audiences_of_segments_deleted_before_it() throws Exception {
        h = notCountingAudiences(null);
        define("buyers", 1, 0, false);
        purchase("u1");
        define("buyers", 2, 1, true);
        TestRecords.sweep(h);
        // Counted as a job from before deletions forgot audiences did: the entry and the exit,
        // no more.
        a.processElement(delta("ws", "buyers", T0, 1, 0, false), 0);
        a.processElement(delta("ws", "buyers", T0, 0, 1, false), 0);
        OperatorSubtaskState snapshot = h.snapshot(++checkpoint, checkpoint);
        h.close();
        assertThat(held()).containsExactly("ws/buyers");
        published();

        h = TestRecords.operator(0, SegmentationOperator.SLICE_NANOS, 1, 0, snapshot);
        purchase("u3"); // the definitions are loaded with the first record
        barrier();

        assertThat(held()).isEmpty();
        assertThat(published().values()).hasSize(4).containsOnlyNulls();

        // Once: the restored job's state says so.
        restore();
        purchase("u4");
        assertThat(handedOn()).isEmpty();
    }

    /**
     * A job that hands each deletion on as it applies it hands none of them on again after a
     * restore, however many restores: subtask 0 handed on one record per segment ever deleted after
     * each.
     */
    @Test
    void a_restored_job_hands_on_nothing_for_the_deletions_it_handled_before_it() throws Exception {
        h = TestRecords.operator(0, SegmentationOperator.SLICE_NANOS, 1, 0, null);
        define("buyers", 1, 0, false);
        define("readers", 1, 0, false);
        purchase("u1");
        barrier();
        define("buyers", 2, 1, true);
        define("readers", 2, 1, true);
        TestRecords.sweep(h);
        barrier();
        assertThat(held()).isEmpty();

        for (int i = 0; i < 2; i++) {
            restore();
            purchase("u" + (i + 3)); // the definitions are loaded with the first record
            assertThat(handedOn()).isEmpty();
        }
    }

    /**
     * Restored, the deletions not handed on before a checkpoint (no record came to load the
     * definitions) are handed on after the next restore.
     */
    @Test
    void deletions_not_yet_handed_on_at_a_checkpoint_are_handed_on_after_the_next_restore()
            throws Exception {
        h = notCountingAudiences(null);
        define("buyers", 1, 0, false);
        define("buyers", 2, 1, true);
        OperatorSubtaskState snapshot = h.snapshot(++checkpoint, checkpoint);
        h.close();
        h = TestRecords.operator(0, SegmentationOperator.SLICE_NANOS, 1, 0, snapshot);
        restore(); // a checkpoint with no record since the restore: nothing handed on yet

        purchase("u1");
        assertThat(handedOn()).containsExactly("buyers");
    }

    /** The operator's snapshot at a barrier, restored into a new operator. */
    private void restore() throws Exception {
        handedOn();
        OperatorSubtaskState snapshot = h.snapshot(checkpoint, checkpoint);
        h.close();
        h = TestRecords.operator(0, SegmentationOperator.SLICE_NANOS, 1, 0, snapshot);
    }

    /** The segments the operator hands audience records on for at the next barrier. */
    private List<String> handedOn() throws Exception {
        h.prepareSnapshotPreBarrier(++checkpoint);
        var q = h.getSideOutput(Descriptors.AUDIENCE);
        List<String> ids = new ArrayList<>();
        if (q != null) {
            q.forEach(r -> ids.add(r.getValue().segmentId));
            q.clear();
        }
        return ids;
    }

    /** The streaming operator not counting audiences, restored from {@code snapshot} if any. */
    private static KeyedBroadcastOperatorTestHarness<
                    String, Inbound, DefinitionUpdate, KafkaMessage>
            notCountingAudiences(@Nullable OperatorSubtaskState snapshot) throws Exception {
        SegmentationOperator op =
                InstantiationUtil.clone(
                        new SegmentationOperator(
                                new SegmentationFunction(TestRecords.streaming(0)),
                                false,
                                IdleTime.of(JobConfig.defaults())));
        var harness =
                new KeyedBroadcastOperatorTestHarness<>(
                        op, Inbound::getKey, Types.STRING, 128, 1, 0);
        harness.setProcessingTime(T0 + 30 * TestRecords.DAY);
        if (snapshot != null) {
            harness.initializeState(snapshot);
        }
        harness.open();
        return harness;
    }

    private static AudienceDelta delta(
            String workspace,
            String segment,
            long hour,
            long entered,
            long exited,
            boolean deleted) {
        AudienceDelta d = new AudienceDelta(workspace, segment);
        d.hours = new long[] {hour};
        d.hourEntered = new long[] {entered};
        d.hourExited = new long[] {exited};
        d.newest = hour;
        d.deleted = deleted;
        return d;
    }
}
