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
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.core.eval.UserProfile;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import io.cohortflow.job.state.StateAccessException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Users the job cannot evaluate: the job goes on, and what they are owed still happens. */
class UserFailuresTest {
    private static final TopicNames TOPICS = TopicNames.DEFAULT;
    private KeyedBroadcastOperatorTestHarness<String, Inbound, DefinitionUpdate, KafkaMessage> h;

    @AfterEach
    void close() throws Exception {
        if (h != null) {
            h.close();
        }
    }

    /** "A page view, then a purchase, within a day": evaluated over the user's stored events. */
    private static String viewThenPurchaseInADay() {
        return "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\","
                + "\"context\":\"visitors\",\"window\":{\"count\":1,\"unit\":\"day\"},"
                + "\"pred\":{\"func\":\"sequence\",\"stream\":["
                + hit("Pageview")
                + ","
                + hit("Purchase")
                + "]}}}";
    }

    private static String hit(String name) {
        return "{\"func\":\"container\",\"context\":\"hits\",\"pred\":{\"func\":\"event-exists\","
                + "\"evt\":{\"func\":\"event\",\"name\":\"metrics/"
                + name
                + "\"}}}";
    }

    /** Events of u1 from {@link #T0} on, a millisecond apart: nine page views, then a purchase. */
    private static String[] nineViewsThenAPurchase() {
        String[] events = new String[10];
        for (int i = 0; i < 9; i++) {
            events[i] = event("Pageview", T0 + i);
        }
        events[9] = event("Purchase", T0 + 9);
        return events;
    }

    /**
     * "seq" published and swept over u1, whose state does not decode: u1 is dead-lettered as
     * unreadable, and the segment reported applied all the same.
     */
    private void aSweepSetsTheUserAside() throws Exception {
        h.processBroadcastElement(
                segment("ws", "seq", 1, 0, true, false, viewThenPurchaseInADay(), 0), 0);
        TestRecords.sweep(h);

        assertThat(side(TOPICS.deadLetter()))
                .singleElement()
                .satisfies(
                        d ->
                                assertThat(d.get("detail").asText())
                                        .contains("the stored state could not be read"));
        assertThat(side(TOPICS.applied()))
                .extracting(n -> n.get("status").asText())
                .containsExactly("live", "applied");
        assertThat(memberships()).isEmpty();
    }

    /**
     * u1 of workspace ws, a member of the sequence segment "seq" from ten events up to {@code T0 +
     * 9}, whose sealed history chunks are then lost: the lapse of the segment, which reads them,
     * throws.
     */
    private void aMemberWhoseLapseFails() throws Exception {
        h.processBroadcastElement(
                segment("ws", "seq", 1, 0, true, false, viewThenPurchaseInADay(), 0), 0);
        String[] events = nineViewsThenAPurchase();
        h.processElement(inbound(envelope("ws", "u1", null, events)), T0);
        assertThat(memberships())
                .extracting(m -> m.get("segment_id").asText() + " " + m.get("change").asText())
                .containsExactly("seq entered");
        assertThat(profile().historyChunks()).isPositive();
        loseTheHistoryChunks();
        h.getOutput().clear();
    }

    private void loseTheHistoryChunks() throws Exception {
        var backend = h.getOperator().getKeyedStateBackend();
        backend.setCurrentKey("ws/u1");
        backend.getPartitionedState(
                        VoidNamespace.INSTANCE,
                        VoidNamespaceSerializer.INSTANCE,
                        Descriptors.HISTORY_CHUNKS)
                .clear();
    }

    @Test
    void a_user_whose_lapse_fails_keeps_their_next_wake_up_and_still_expires() throws Exception {
        h =
                TestRecords.operator(
                        SegmentationSettings.of(
                                JobConfig.from(Map.of("cohortflow.state.user-ttl", "P30D")),
                                0,
                                false));
        aMemberWhoseLapseFails();
        long expiry = T0 + 9 + 30 * DAY;
        long lapse = profile().scheduledWakeUp();
        assertThat(lapse).isBetween(T0 + 9, T0 + 9 + DAY);

        watermark(lapse);
        assertThat(side(TOPICS.deadLetter()))
                .extracting(n -> n.get("reason").asText())
                .containsExactly("evaluation_failed");
        assertThat(memberships()).isEmpty(); // the user keeps their state ...
        // ... and a timer for their expiry: the failed lapse's instant is spent.
        assertThat(profile().scheduledWakeUp()).isEqualTo(expiry);
        assertThat(h.numEventTimeTimers()).isEqualTo(1);

        watermark(expiry);
        assertThat(memberships())
                .extracting(m -> m.get("segment_id").asText() + " " + m.get("change").asText())
                .containsExactly("seq exited");
        assertThat(profile()).isNull();
    }

    /**
     * A backfill applies the lapses up to its end as each user's timers fire; one the engine cannot
     * apply is the user's, as in the streaming job: dead-lettered, and the user is in the
     * backfill's result as stored (it failed the whole backfill).
     */
    @Test
    void a_backfill_keeps_a_user_whose_lapse_fails_and_finishes() throws Exception {
        long until = T0 + 10 * DAY;
        h = TestRecords.operator(SegmentationSettings.backfill(JobConfig.defaults(), T0, until));
        h.processBroadcastWatermark(new Watermark(Long.MAX_VALUE));
        h.processBroadcastElement(
                segment("ws", "seq", 1, 0, true, false, viewThenPurchaseInADay(), 0), 0);
        String[] events = nineViewsThenAPurchase();
        h.processElement(inbound(envelope("ws", "u1", null, events)), T0 + 9);
        // A record of a later instant: the one before is evaluated (BackfillTies).
        h.processElement(inbound(envelope("ws", "u1", null, event("Other", T0 + 10))), T0 + 10);
        assertThat(profile().historyChunks()).isPositive();
        loseTheHistoryChunks(); // the lapse, a day after the last event, reads them

        h.processWatermark(new Watermark(until));

        assertThat(side(TOPICS.deadLetter()))
                .extracting(n -> n.get("detail").asText())
                .isNotEmpty()
                .allSatisfy(d -> assertThat(d).startsWith("a lapse failed"));
        assertThat(h.getSideOutput(Descriptors.SNAPSHOT))
                .extracting(
                        r -> Json.MAPPER.readTree(r.getValue().value).get("segment_id").asText())
                .containsExactly("seq");
    }

    /**
     * The streaming operator, one user per sweep slice, its users' profiles in {@code f}'s hands.
     */
    private FaultyProfiles faultyProfiles() throws Exception {
        return faultyProfiles(TestRecords.streaming(0));
    }

    /** As {@link #faultyProfiles()}, with {@code settings}. */
    private FaultyProfiles faultyProfiles(SegmentationSettings settings) throws Exception {
        SegmentationOperator op =
                InstantiationUtil.clone(
                        new SegmentationOperator(new SegmentationFunction(settings), 0, 0));
        h = new KeyedBroadcastOperatorTestHarness<>(op, Inbound::getKey, Types.STRING, 128, 1, 0);
        h.setProcessingTime(T0 + 30 * DAY);
        h.initializeEmptyState();
        FaultyProfiles f = new FaultyProfiles(op.getKeyedStateBackend());
        op.getRuntimeContext().setKeyedStateStore(f);
        h.open();
        return f;
    }

    @Test
    void a_state_backend_failure_fails_the_task_and_is_never_held_against_the_record()
            throws Exception {
        FaultyProfiles f = faultyProfiles();
        h.processBroadcastElement(
                segment("ws", "buyers", 1, 0, true, false, everPurchased(), 0), 0);
        Inbound in = inbound(envelope("ws", "u1", "r1", event("Purchase", T0)));
        in.offset = 7;
        String position =
                PoisonRecords.position(
                        h.getEnvironment().getJobID().toString(), in.topic, in.partition, 7);
        for (boolean reads : new boolean[] {true, false}) {
            f.failReads = reads;
            f.failWrites = !reads;
            // More often than a poisoned record is allowed to fail the task.
            for (int i = 0; i <= SegmentationSettings.DEFAULT_POISON_ATTEMPTS; i++) {
                assertThatThrownBy(() -> h.processElement(in, T0))
                        .isInstanceOf(StateAccessException.class);
            }
            assertThat(PoisonRecords.failures(position)).isZero();
        }
        assertThat(side(TOPICS.deadLetter())).isEmpty();
        assertThat(side(TOPICS.replies())).isEmpty();
        assertThat(memberships()).isEmpty();

        f.failWrites = false; // the restarted task reads the record again
        h.processElement(in, T0);
        assertThat(memberships())
                .extracting(m -> m.get("segment_id").asText() + " " + m.get("change").asText())
                .containsExactly("buyers entered");
    }

    @Test
    void a_user_whose_stored_profile_cannot_be_decoded_is_dead_lettered_and_the_job_goes_on()
            throws Exception {
        FaultyProfiles f = faultyProfiles();
        h.processBroadcastElement(
                segment("ws", "readers", 1, 0, true, false, threePageviewsIn(7), 0), 0);
        for (String u : List.of("u1", "u2")) {
            h.processElement(
                    inbound(
                            envelope(
                                    "ws",
                                    u,
                                    null,
                                    event("Pageview", T0),
                                    event("Pageview", T0 + 1),
                                    event("Pageview", T0 + 2))),
                    T0);
        }
        assertThat(memberships()).hasSize(2);
        h.getOutput().clear();
        f.corrupt.add("ws/u1");

        // A record of the user, a lapse of theirs and a sweep that visits them: none fails the
        // task (a restart would read the same bytes), each is reported.
        h.processElement(inbound(envelope("ws", "u1", "r1", event("Pageview", T0 + 3))), T0);
        watermark(T0 + 7 * DAY + 2);
        h.processBroadcastElement(
                segment("ws", "buyers", 1, 0, true, false, everPurchased(), 1), 0);
        TestRecords.sweep(h);

        assertThat(side(TOPICS.deadLetter()))
                .extracting(n -> n.get("reason").asText())
                .containsExactly("evaluation_failed", "evaluation_failed", "evaluation_failed");
        assertThat(side(TOPICS.replies()).get(0).at("/error/code").asText())
                .isEqualTo("processing_failed");
        assertThat(memberships())
                .extracting(m -> m.get("user_id").asText() + " " + m.get("change").asText())
                .containsExactly("u2 exited");
        // Applied to every user whose state can be read: no later definition could evaluate u1
        // either, and counting them as the sweep's failure kept every later one from being
        // reported applied on this subtask until u1 was erased or their TTL ended.
        assertThat(side(TOPICS.applied()))
                .extracting(n -> n.get("id").asText() + " " + n.get("status").asText())
                .containsExactlyInAnyOrder(
                        "readers live", "buyers live", "readers applied", "buyers applied");
        assertThat(side(TOPICS.deadLetter()).get(2).get("detail").asText())
                .contains("the stored state could not be read");
        // The user's bytes are left as they were, for whoever repairs them.
        f.corrupt.clear();
        assertThat(profile().historySize()).isEqualTo(3);
    }

    /**
     * A user whose sealed history chunks do not decode cannot be brought up to a segment evaluated
     * over their history; like an unreadable profile it is their data, not the definition's: the
     * sweep dead-letters them, leaves their state as it was and reports the definition applied. A
     * lost chunk, by contrast, is a failure the sweep reports (SweepRestoreTest).
     */
    @Test
    void a_user_whose_history_does_not_decode_does_not_hold_back_a_sweep() throws Exception {
        FaultyProfiles f = faultyProfiles();
        String[] events = nineViewsThenAPurchase();
        h.processElement(inbound(envelope("ws", "u1", null, events)), T0);
        assertThat(profile().historyChunks()).isPositive();
        f.corruptHistory.add("ws/u1");

        aSweepSetsTheUserAside();
        f.corruptHistory.clear();
        assertThat(profile().historySize()).isEqualTo(10); // left for whoever repairs it
    }

    /**
     * The same for an event of the profile's open chunk (the newest events, which core decodes when
     * it reads them, not with the profile): the profile reads, the catch-up that reads the event
     * finds it damaged, and the user is set aside as unreadable, not counted as a failure.
     */
    @Test
    void a_user_whose_newest_event_does_not_decode_does_not_hold_back_a_sweep() throws Exception {
        FaultyProfiles f = faultyProfiles();
        h.processElement(
                inbound(
                        envelope(
                                "ws",
                                "u1",
                                null,
                                event("Pageview", T0),
                                event("Purchase", T0 + 1))),
                T0);
        assertThat(profile().historyChunks()).isZero();
        f.corruptOpenChunk.add("ws/u1");

        aSweepSetsTheUserAside();
        f.corruptOpenChunk.clear();
        assertThat(profile().historySize()).isEqualTo(2); // left for whoever repairs it
    }

    /** A sweep dead-letters the first user whose state does not decode, not one per user. */
    @Test
    void a_sweep_dead_letters_its_first_unreadable_user_only() throws Exception {
        FaultyProfiles f = faultyProfiles();
        for (String u : List.of("u1", "u2", "u3")) {
            h.processElement(inbound(envelope("ws", u, null, event("Pageview", T0))), T0);
        }
        f.corrupt.add("ws/u1");
        f.corrupt.add("ws/u2");
        h.processBroadcastElement(
                segment("ws", "buyers", 1, 0, true, false, everPurchased(), 0), 0);
        TestRecords.sweep(h);
        assertThat(side(TOPICS.deadLetter())).hasSize(1);
        assertThat(side(TOPICS.applied()))
                .extracting(n -> n.get("status").asText())
                .containsExactly("live", "applied");
    }

    /**
     * A profile a later build wrote (a job downgraded onto its state) is not one user's damage:
     * every such user reads so, and setting each aside as corrupt reported definitions applied to
     * all with none evaluated. The task fails instead, naming the cause, and nothing is
     * dead-lettered or held against the record.
     */
    @Test
    void a_profile_a_later_build_wrote_fails_the_task_rather_than_being_set_aside()
            throws Exception {
        FaultyProfiles f = faultyProfiles();
        h.processBroadcastElement(
                segment("ws", "readers", 1, 0, true, false, threePageviewsIn(7), 0), 0);
        h.processElement(inbound(envelope("ws", "u1", null, event("Pageview", T0))), T0);
        f.laterBuild.add("ws/u1");
        assertThatThrownBy(
                        () ->
                                h.processElement(
                                        inbound(envelope("ws", "u1", null, event("Pageview", T0))),
                                        T0))
                .isInstanceOf(StateAccessException.class)
                .hasStackTraceContaining("written by a later build");
        // The sweep of a new definition fails alike: it no longer reports the definition applied.
        h.processBroadcastElement(
                segment("ws", "buyers", 1, 0, true, false, everPurchased(), 1), 0);
        assertThatThrownBy(() -> TestRecords.sweep(h))
                .hasStackTraceContaining("written by a later build");
        assertThat(side(TOPICS.applied()))
                .extracting(n -> n.get("status").asText())
                .doesNotContain("applied");
        assertThat(side(TOPICS.deadLetter())).isEmpty();
    }

    /**
     * An erasure goes through even when the user's stored state cannot be read: its bytes are kept
     * for repair otherwise, but an erasure's point is that they go. The exits it cannot name are
     * reported. It was dead-lettered, and the state (history included) stayed for good.
     */
    @Test
    void a_user_whose_stored_profile_cannot_be_decoded_can_still_be_erased() throws Exception {
        FaultyProfiles f = faultyProfiles();
        h.processBroadcastElement(
                segment("ws", "readers", 1, 0, true, false, threePageviewsIn(7), 0), 0);
        h.processElement(
                inbound(
                        envelope(
                                "ws",
                                "u1",
                                null,
                                event("Pageview", T0),
                                event("Pageview", T0 + 1),
                                event("Pageview", T0 + 2))),
                T0);
        f.corrupt.add("ws/u1");
        h.processElement(
                inbound(
                        "{\"workspace\":\"ws\",\"user_id\":\"u1\",\"request_id\":\"e1\","
                                + "\"op\":\"erase\"}"),
                T0);
        JsonNode reply = side(TOPICS.replies()).get(0);
        assertThat(reply.has("error")).as(reply.toString()).isFalse();
        assertThat(reply.get("known").asBoolean()).isTrue();
        assertThat(side(TOPICS.deadLetter()))
                .singleElement()
                .satisfies(d -> assertThat(d.get("detail").asText()).contains("erased a user"));
        f.corrupt.clear();
        assertThat(profile()).isNull();
    }

    /**
     * The user TTL is a retention promise: a user whose stored state cannot be read still goes when
     * their TTL timer fires, with everything of theirs (profile, history, remembered answers), and
     * the exits it cannot name are reported. Their state stayed for good: the TTL read their latest
     * event from the profile that could not be read, and the timer was spent on a dead letter.
     */
    @Test
    void a_user_whose_stored_profile_cannot_be_decoded_still_goes_when_their_ttl_ends()
            throws Exception {
        FaultyProfiles f =
                faultyProfiles(
                        SegmentationSettings.of(
                                JobConfig.from(
                                        Map.of("cohortflow.job.workspace.ws.user-ttl", "P2D")),
                                0,
                                false));
        h.processBroadcastElement(
                segment("ws", "readers", 1, 0, true, false, threePageviewsIn(7), 0), 0);
        String[] views = new String[30]; // past what the profile holds: sealed history chunks
        for (int i = 0; i < views.length; i++) {
            views[i] = event("Pageview", T0 + i);
        }
        h.processElement(
                inbound(
                        envelope("ws", "u1", "r1", views)
                                .replace(
                                        "\"request_id\"",
                                        "\"idempotency_key\":\"k-1\",\"request_id\"")),
                T0);
        assertThat(memberships()).hasSize(1); // readers entered
        assertThat(profile().historyChunks()).isPositive();
        long expiry = T0 + 29 + 2 * DAY; // before the readers' lapse, a week on
        assertThat(profile().scheduledWakeUp()).isEqualTo(expiry);
        h.getOutput().clear();
        f.corrupt.add("ws/u1");

        watermark(expiry - 1);
        assertThat(side(TOPICS.deadLetter())).isEmpty();
        watermark(expiry);
        assertThat(side(TOPICS.deadLetter()))
                .singleElement()
                .satisfies(
                        d -> {
                            assertThat(d.get("reason").asText()).isEqualTo("evaluation_failed");
                            assertThat(d.get("detail").asText()).contains("expired a user");
                        });
        assertThat(memberships()).as("the exits cannot be named").isEmpty();
        assertThat(h.numEventTimeTimers()).isZero();
        f.corrupt.clear();
        assertThat(profile()).isNull();
        assertThat(keyedStateEntries()).as("history, answers: nothing of u1 left").isZero();
    }

    // ---- helpers -----------------------------------------------------------------------------

    /** Event time moves to {@code t} (the definitions source's watermark is at the end). */
    private void watermark(long t) throws Exception {
        h.processBroadcastWatermark(new Watermark(Long.MAX_VALUE));
        h.processWatermark(new Watermark(t));
    }

    /** u1's stored profile, read past any fake (see {@link FaultyProfiles}). */
    private UserProfile profile() throws Exception {
        var backend = h.getOperator().getKeyedStateBackend();
        backend.setCurrentKey("ws/u1");
        return backend.getPartitionedState(
                        VoidNamespace.INSTANCE,
                        VoidNamespaceSerializer.INSTANCE,
                        Descriptors.PROFILE)
                .value();
    }

    /** Every entry of every keyed state, of every user (heap state in these tests). */
    private int keyedStateEntries() {
        return ((org.apache.flink.runtime.state.heap.HeapKeyedStateBackend<?>)
                        h.getOperator().getKeyedStateBackend())
                .numKeyValueStateEntries();
    }

    private List<JsonNode> memberships() throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (KafkaMessage m : h.extractOutputValues()) {
            out.add(Json.MAPPER.readTree(m.value));
        }
        return out;
    }

    private List<JsonNode> side(String topic) throws Exception {
        return TestRecords.side(h, topic);
    }
}
