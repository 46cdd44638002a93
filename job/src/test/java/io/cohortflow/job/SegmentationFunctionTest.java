package io.cohortflow.job;

import static io.cohortflow.job.TestRecords.DAY;
import static io.cohortflow.job.TestRecords.HOUR;
import static io.cohortflow.job.TestRecords.T0;
import static io.cohortflow.job.TestRecords.envelope;
import static io.cohortflow.job.TestRecords.event;
import static io.cohortflow.job.TestRecords.everPurchased;
import static io.cohortflow.job.TestRecords.inbound;
import static io.cohortflow.job.TestRecords.segment;
import static io.cohortflow.job.TestRecords.threePageviewsIn;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.EventEnvelope;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.core.eval.SegmentCatalog;
import io.cohortflow.core.eval.SegmentOrdinals;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import io.cohortflow.job.model.UserState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The operator on a test harness: broadcast elements first, then events; outputs and timers. */
class SegmentationFunctionTest {
    private static final TopicNames TOPICS = TopicNames.DEFAULT;
    private KeyedBroadcastOperatorTestHarness<String, Inbound, DefinitionUpdate, KafkaMessage> h;
    private SegmentationOperator op;

    private KeyedBroadcastOperatorTestHarness<String, Inbound, DefinitionUpdate, KafkaMessage>
            harness(long definitionsEnd) throws Exception {
        return harness(definitionsEnd, SegmentationOperator.SLICE_NANOS, null);
    }

    /** The streaming operator (see {@link TestRecords#operator}), replacing the open one. */
    private KeyedBroadcastOperatorTestHarness<String, Inbound, DefinitionUpdate, KafkaMessage>
            harness(
                    long definitionsEnd,
                    long sliceNanos,
                    org.apache.flink.runtime.checkpoint.@Nullable OperatorSubtaskState snapshot)
                    throws Exception {
        if (h != null) {
            h.close();
        }
        h = TestRecords.operator(definitionsEnd, sliceNanos, 1, 0, snapshot);
        op = (SegmentationOperator) h.getOperator();
        return h;
    }

    private void sweep() throws Exception {
        TestRecords.sweep(h);
    }

    @AfterEach
    void close() throws Exception {
        if (h != null) {
            h.close();
        }
    }

    /** User u1 of {@code workspace} viewing three pages at T0, T0 + 1 ms and T0 + 2 ms. */
    private static String threePageviews(String workspace) {
        return envelope(
                workspace,
                "u1",
                null,
                event("Pageview", T0),
                event("Pageview", T0 + 1),
                event("Pageview", T0 + 2));
    }

    private void send(String json, long ts) throws Exception {
        h.processElement(inbound(json), ts);
    }

    private List<JsonNode> memberships() throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (KafkaMessage m : h.extractOutputValues()) {
            assertThat(m.topic).isEqualTo(TOPICS.memberships());
            out.add(Json.MAPPER.readTree(m.value));
        }
        return out;
    }

    private List<JsonNode> side(String topic) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        var q = h.getSideOutput(Descriptors.SIDE);
        if (q == null) {
            return out;
        }
        for (StreamRecord<KafkaMessage> r : q) {
            if (r.getValue().topic.equals(topic)) {
                out.add(Json.MAPPER.readTree(r.getValue().value));
            }
        }
        return out;
    }

    @Test
    void events_after_a_definition_enter_the_user_and_a_timer_exits_it_when_the_window_lapses()
            throws Exception {
        harness(0);
        h.processBroadcastElement(
                segment("ws", "readers", 1, 0, true, false, threePageviewsIn(7), 0), 0);
        send(
                envelope("ws", "u1", null, event("Pageview", T0), event("Pageview", T0 + HOUR)),
                T0 + HOUR);
        assertThat(memberships()).isEmpty();
        send(envelope("ws", "u1", "r1", event("Pageview", T0 + 2 * HOUR)), T0 + 2 * HOUR);
        List<JsonNode> m = memberships();
        assertThat(m).hasSize(1);
        assertThat(m.get(0).get("change").asText()).isEqualTo("entered");
        assertThat(m.get(0).get("segment_id").asText()).isEqualTo("readers");
        assertThat(m.get(0).get("user_id").asText()).isEqualTo("u1");
        assertThat(m.get(0).get("version").asLong()).isEqualTo(1);
        JsonNode reply = side(TOPICS.replies()).get(0);
        assertThat(reply.get("request_id").asText()).isEqualTo("r1");
        assertThat(reply.get("cohorts")).hasSize(1);
        assertThat(reply.at("/activations/gam/0").asText()).isEqualTo("readers");
        assertThat(reply.at("/activations/dv360").isMissingNode()).isTrue();
        assertThat(h.numEventTimeTimers()).isEqualTo(1);

        h.processBroadcastWatermark(
                new Watermark(Long.MAX_VALUE)); // as the job's definitions source
        h.processWatermark(new Watermark(T0 + 7 * DAY - 1));
        assertThat(memberships()).hasSize(1);
        h.processWatermark(new Watermark(T0 + 7 * DAY));
        List<JsonNode> after = memberships();
        assertThat(after).hasSize(2);
        assertThat(after.get(1).get("change").asText()).isEqualTo("exited");
        assertThat(after.get(1).get("time").asText()).isEqualTo("2024-01-22T00:00:00Z");
        // the next entry of the counter expires later: one timer, to clean it up on time
        assertThat(h.numEventTimeTimers()).isEqualTo(1);
    }

    @Test
    void a_backfill_applies_lapses_up_to_its_end_at_their_instants_and_snapshots_each_user()
            throws Exception {
        long until = T0 + 9 * DAY;
        h =
                ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
                        new SegmentationFunction(
                                SegmentationSettings.backfill(
                                        JobConfig.defaults(), Long.MIN_VALUE, until)),
                        Inbound::getKey,
                        Types.STRING,
                        Descriptors.DEFINITIONS,
                        Descriptors.PROGRESS);
        h.setProcessingTime(T0 + 30 * DAY);
        h.processBroadcastElement(
                segment("ws", "readers", 1, 0, true, false, threePageviewsIn(7), 0), 0);
        h.processBroadcastElement(
                segment("ws", "buyers", 1, 0, true, false, everPurchased(), 1), 0);
        send(
                envelope(
                        "ws",
                        "u1",
                        null,
                        event("Pageview", T0),
                        event("Pageview", T0 + HOUR),
                        event("Pageview", T0 + 2 * HOUR),
                        event("Purchase", T0 + DAY),
                        event("Pageview", T0 + 3 * DAY),
                        event("Purchase", until)), // at the end: not part of this history
                T0);

        // As batch mode does once the user's events are done: every timer up to the end fires.
        h.processBroadcastWatermark(new Watermark(Long.MAX_VALUE));
        h.processWatermark(new Watermark(until));

        List<JsonNode> m = memberships();
        assertThat(m)
                .extracting(
                        j ->
                                j.get("segment_id").asText()
                                        + " "
                                        + j.get("change").asText()
                                        + " "
                                        + j.get("time").asText())
                .containsExactly(
                        "readers entered 2024-01-15T02:00:00Z",
                        "buyers entered 2024-01-16T00:00:00Z",
                        // four pageviews in the window until T0+7d, three until T0+7d+1h: the
                        // second lapse happens while timers fire, at its own instant
                        "readers exited 2024-01-22T01:00:00Z");
        List<JsonNode> snapshot = new ArrayList<>();
        for (StreamRecord<KafkaMessage> r : h.getSideOutput(Descriptors.SNAPSHOT)) {
            snapshot.add(Json.MAPPER.readTree(r.getValue().value));
        }
        assertThat(snapshot).hasSize(1);
        assertThat(snapshot.get(0).get("segment_id").asText()).isEqualTo("buyers");
        assertThat(snapshot.get(0).get("time").asText()).isEqualTo("2024-01-16T00:00:00Z");
        var states = new ArrayList<>(h.getSideOutput(Descriptors.STATE));
        assertThat(states).hasSize(1);
        UserState state = states.get(0).getValue();
        assertThat(state.key).isEqualTo("ws/u1");
        // The event at the end is left to the stream; five events are held in the profile.
        assertThat(state.profile().historySize()).isEqualTo(5);
        assertThat(state.profile().historyInProfile()).isEqualTo(5);
        assertThat(state.events()).isEmpty();
        assertThat(state.sealedChunks()).isEmpty();
        // The user's clock stays at its last lapse, the readers' exit (the end does not move it;
        // entries that expire without changing anything wake nobody), and the next lapse, after
        // the end, is left to the streaming job as a timer of the savepoint: the purchase leaving
        // the 90-day horizon.
        // Segments are numbered in the order the definitions log put them in the catalog.
        SegmentCatalog numbering =
                SegmentCatalog.empty(SegmentOrdinals.restore(Map.of("readers", 0, "buyers", 1)));
        assertThat(state.profile().memberships(numbering).get("buyers").lastQualifiedAt())
                .isEqualTo(T0 + 7 * DAY + HOUR);
        assertThat(state.profile().nextExpiry()).isEqualTo(T0 + 91 * DAY);
    }

    @Test
    void a_job_bootstrapped_by_a_backfill_skips_the_events_before_the_cut_over() throws Exception {
        long cutover = T0 + DAY;
        h =
                ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
                        new SegmentationFunction(TestRecords.streaming(0).countingFrom(cutover)),
                        Inbound::getKey,
                        Types.STRING,
                        Descriptors.DEFINITIONS,
                        Descriptors.PROGRESS);
        h.setProcessingTime(T0 + 30 * DAY);
        h.processBroadcastElement(
                segment("ws", "readers", 1, 0, true, false, threePageviewsIn(7), 0), 0);
        send(
                envelope(
                        "ws",
                        "u1",
                        null,
                        event("Pageview", T0),
                        event("Pageview", cutover - 1),
                        event("Pageview", cutover),
                        event("Pageview", cutover + 1)),
                cutover);
        assertThat(memberships()).isEmpty(); // two counted, not three
        send(envelope("ws", "u1", null, event("Pageview", cutover + 2)), cutover);
        assertThat(memberships()).hasSize(1);
        assertThat(side(TOPICS.deadLetter())).isEmpty(); // skipped, not bad
    }

    @Test
    void a_definition_published_after_the_events_reaches_quiet_users_through_the_sweep()
            throws Exception {
        harness(0);
        send(threePageviews("ws"), T0);
        send(threePageviews("other"), T0);
        assertThat(memberships()).isEmpty();
        h.processBroadcastElement(
                segment("ws", "readers", 1, 0, true, false, threePageviewsIn(7), 0), 0);
        // Applying the definition touched no user: it is live, and the sweep is to come.
        assertThat(memberships()).isEmpty();
        assertThat(side(TOPICS.applied()))
                .extracting(n -> n.get("status").asText())
                .containsExactly("live");
        sweep();
        List<JsonNode> m = memberships();
        assertThat(m).hasSize(1); // the other workspace's user is untouched
        assertThat(m.get(0).get("change").asText()).isEqualTo("entered");
        assertThat(h.numEventTimeTimers()).isEqualTo(1); // registered by the sweep itself
        assertThat(side(TOPICS.events())).isEmpty(); // no wake-up through the events topic
        List<JsonNode> applied = side(TOPICS.applied());
        assertThat(applied)
                .extracting(n -> n.get("status").asText())
                .containsExactly("live", "applied");
        assertThat(applied.get(1).get("version").asLong()).isEqualTo(1);
        assertThat(applied.get(1).get("offset").asLong()).isZero();
    }

    @Test
    void a_sweep_that_finds_a_lapse_behind_the_watermark_applies_it_at_once() throws Exception {
        harness(0);
        send(threePageviews("ws"), T0 + 2);
        // Other users' events moved the watermark past u1's window; then the events go idle.
        h.processBroadcastWatermark(new Watermark(Long.MAX_VALUE));
        h.processWatermark(new Watermark(T0 + 30 * DAY));
        h.processBroadcastElement(
                segment("ws", "readers", 1, 0, true, false, threePageviewsIn(7), 0), 0);
        // A timer registered now, before the watermark, would fire only when the watermark next
        // moves, which idle events never make it do: the lapse is due, so it is applied at its
        // instant.
        sweep();
        List<JsonNode> m = memberships();
        assertThat(m)
                .extracting(n -> n.get("change").asText())
                .containsExactly("entered", "exited");
        assertThat(m.get(1).get("time").asText())
                .isEqualTo(java.time.Instant.ofEpochMilli(T0 + 7 * DAY).toString());
    }

    @Test
    void a_deleted_or_unpublished_definition_exits_its_members() throws Exception {
        harness(0);
        h.processBroadcastElement(
                segment("ws", "buyers", 1, 0, true, false, everPurchased(), 0), 0);
        send(envelope("ws", "u1", null, event("Purchase", T0)), T0);
        h.processBroadcastElement(
                segment("ws", "buyers", 2, 1, false, false, everPurchased(), 1), 0);
        sweep();
        List<JsonNode> m = memberships();
        assertThat(m)
                .extracting(n -> n.get("change").asText())
                .containsExactly("entered", "exited");
        assertThat(m.get(1).get("version").asLong()).isEqualTo(1);
    }

    @Test
    void a_write_that_replaces_a_stale_version_is_ignored_by_every_reader() throws Exception {
        harness(0);
        h.processBroadcastElement(
                segment("ws", "buyers", 1, 0, true, false, everPurchased(), 0), 0);
        h.processBroadcastElement(
                segment("ws", "buyers", 2, 1, true, false, threePageviewsIn(1), 1), 0);
        // a concurrent writer also replaced version 1: it lost
        h.processBroadcastElement(
                segment("ws", "buyers", 2, 1, false, true, everPurchased(), 2), 0);
        send(threePageviews("ws"), T0);
        assertThat(memberships()).hasSize(1);
    }

    @Test
    void a_compacted_log_is_read_from_the_oldest_version_it_kept() throws Exception {
        harness(0);
        // Versions 1-45 and a lost write were compacted away; a tombstone is still there.
        h.processBroadcastElement(new DefinitionUpdate("ws/buyers@3/x", null, 0), 0);
        h.processBroadcastElement(
                segment("ws", "buyers", 46, 45, true, false, everPurchased(), 1), 0);
        h.processBroadcastElement(
                segment("ws", "buyers", 47, 46, true, false, threePageviewsIn(1), 2), 0);
        send(threePageviews("ws"), T0);
        List<JsonNode> m = memberships();
        assertThat(m).hasSize(1);
        assertThat(m.get(0).get("version").asLong()).isEqualTo(47);
    }

    @Test
    void a_job_restored_after_versions_were_compacted_away_applies_the_next_kept_one()
            throws Exception {
        harness(0);
        h.processBroadcastElement(
                segment("ws", "buyers", 1, 0, true, false, threePageviewsIn(1), 0), 0);
        restore(h.snapshot(1, 1));
        // While the job was stopped the segment was edited 60 times and the log's cleaner took
        // versions 2-10: the first record the restored job reads replaces a version it never saw.
        h.processBroadcastElement(
                segment("ws", "buyers", 11, 10, true, false, everPurchased(), 1), 0);
        h.processBroadcastElement(
                segment("ws", "buyers", 12, 11, true, false, everPurchased(), 2), 0);
        send(envelope("ws", "u1", null, event("Purchase", T0)), T0);
        List<JsonNode> m = memberships();
        assertThat(m).hasSize(1);
        assertThat(m.get(0).get("version").asLong()).isEqualTo(12);
    }

    @Test
    void a_lapse_that_moves_earlier_replaces_the_users_timer() throws Exception {
        harness(0);
        h.processBroadcastElement(
                segment("ws", "readers", 1, 0, true, false, threePageviewsIn(7), 0), 0);
        h.processBroadcastElement(
                segment("ws", "daily", 1, 0, true, false, threePageviewsIn(1), 1), 0);
        send(envelope("ws", "u1", null, event("Pageview", T0), event("Pageview", T0 + 1)), T0);
        send(envelope("ws", "u1", null, event("Pageview", T0 + 2)), T0);
        // Both entered; the one-day window lapses first: one timer, at its instant.
        assertThat(memberships()).hasSize(2);
        assertThat(h.numEventTimeTimers()).isEqualTo(1);
        h.processBroadcastWatermark(new Watermark(Long.MAX_VALUE));
        h.processWatermark(new Watermark(T0 + DAY));
        assertThat(memberships())
                .extracting(n -> n.get("segment_id").asText() + " " + n.get("change").asText())
                .containsExactly("readers entered", "daily entered", "daily exited");
        assertThat(h.numEventTimeTimers()).isEqualTo(1); // the seven-day lapse's
    }

    @Test
    void a_new_version_that_changes_only_metadata_changes_nothing_in_the_job() throws Exception {
        harness(0);
        h.processBroadcastElement(
                segment("ws", "buyers", 1, 0, true, false, everPurchased(), 0), 0);
        send(envelope("ws", "u1", null, event("Purchase", T0)), T0);
        sweep();
        int before = side(TOPICS.applied()).size();
        // Version 2: the same definition (a new name or tags, which the job does not read).
        h.processBroadcastElement(
                segment("ws", "buyers", 2, 1, true, false, everPurchased(), 1), 0);
        assertThat(op.sweeping()).isFalse(); // no user to visit
        List<JsonNode> applied = side(TOPICS.applied());
        assertThat(applied).hasSize(before + 1);
        assertThat(applied.get(before).get("status").asText()).isEqualTo("applied");
        assertThat(applied.get(before).get("version").asLong()).isEqualTo(2);
        assertThat(memberships()).hasSize(1); // the entry of version 1, nothing since
        send(envelope("ws", "u1", "r1", event("Click", T0 + 1)), T0 + 1);
        assertThat(side(TOPICS.replies()).get(0).get("cohorts"))
                .extracting(JsonNode::asText)
                .containsExactly("buyers");
    }

    @Test
    void a_restore_stamps_a_metadata_only_version_where_its_definition_last_changed()
            throws Exception {
        harness(0);
        h.processBroadcastElement(
                segment("ws", "buyers", 1, 0, true, false, everPurchased(), 0), 0);
        h.processBroadcastElement(
                segment("ws", "readers", 1, 0, true, false, threePageviewsIn(7), 1), 0);
        // Two versions that change only metadata: the first record still stamps buyers.
        h.processBroadcastElement(
                segment("ws", "buyers", 2, 1, true, false, everPurchased(), 2), 0);
        h.processBroadcastElement(
                segment("ws", "buyers", 3, 2, true, false, everPurchased(), 3), 0);
        send(envelope("ws", "u1", null, event("Purchase", T0)), T0);
        SegmentCatalog live = op.catalog("ws");
        assertThat(live.changedAt("buyers")).isEqualTo(1);

        restore(h.snapshot(1, 1));
        send(envelope("ws", "u1", "r1", event("Signup", T0 + 1)), T0 + 1);
        SegmentCatalog restored = op.catalog("ws");
        // Stamped at its record's offset, buyers would be evaluated again from every user's
        // history at their next event, though no answer changed.
        assertThat(restored.changedAt("buyers")).isEqualTo(1);
        assertThat(restored.changedAt("readers")).isEqualTo(2);
        assertThat(restored.epoch()).isEqualTo(live.epoch());
        assertThat(restored.segment("buyers").orElseThrow().version()).isEqualTo(3);

        // An edit of the definition stamps it at its own record, before and after a restore.
        h.processBroadcastElement(
                segment("ws", "buyers", 4, 3, true, false, threePageviewsIn(7), 4), 0);
        assertThat(op.catalog("ws").changedAt("buyers")).isEqualTo(5);
        restore(h.snapshot(2, 2));
        send(envelope("ws", "u1", "r2", event("Signup", T0 + 2)), T0 + 2);
        assertThat(op.catalog("ws").changedAt("buyers")).isEqualTo(5);
    }

    @Test
    void bad_input_goes_to_the_dead_letter_topic_with_its_reason() throws Exception {
        harness(0);
        send("{not json", 0);
        send("{\"workspace\":\"ws\",\"events\":[]}", 0);
        send(envelope("ws", "u1", "r9", "{\"name\":\"Pageview\",\"properties\":{}}"), 0);
        send(envelope("ws", "u1", null, event("Pageview", T0 + 31 * DAY)), 0);
        List<JsonNode> dl = side(TOPICS.deadLetter());
        assertThat(dl)
                .extracting(n -> n.get("reason").asText())
                .containsExactly(
                        "malformed_json", "invalid_envelope", "invalid_event", "future_event");
        assertThat(dl.get(0).get("value").asText()).isEqualTo("{not json");
        assertThat(dl.get(2).get("detail").asText()).contains("events[0].time: required");
        JsonNode reply = side(TOPICS.replies()).get(0);
        assertThat(reply.at("/error/code").asText()).isEqualTo("invalid_request");
    }

    @Test
    void events_before_the_definitions_are_read_are_kept_and_evaluated_once_they_are()
            throws Exception {
        harness(2); // the definitions topic had two records when the job was built
        h.processBroadcastElement(
                segment("ws", "buyers", 1, 0, true, false, everPurchased(), 0), 0);
        send(envelope("ws", "u1", null, event("Purchase", T0)), T0);
        // A request's events are not applied meanwhile: its 503 says "retry", and a retry would
        // apply them a second time (with an idempotency key or without).
        send(envelope("ws", "u2", "r1", event("Purchase", T0)), T0);
        assertThat(memberships()).isEmpty();
        assertThat(side(TOPICS.replies()).get(0).at("/error/code").asText())
                .isEqualTo("definitions_loading");
        assertThat(side(TOPICS.replies()).get(0).at("/error/message").asText())
                .contains("nothing was applied");
        h.processBroadcastElement(
                segment("ws", "readers", 1, 0, true, false, threePageviewsIn(7), 1), 0);
        sweep();
        assertThat(memberships())
                .extracting(n -> n.get("user_id").asText() + " " + n.get("segment_id").asText())
                .containsExactly("u1 buyers");
        // The first sweep covers every definition read so far.
        assertThat(side(TOPICS.applied()))
                .filteredOn(n -> n.get("status").asText().equals("applied"))
                .extracting(n -> n.get("id").asText())
                .containsExactlyInAnyOrder("buyers", "readers");
    }

    @Test
    void users_seen_before_a_hundred_definitions_were_read_catch_up_over_all_of_them()
            throws Exception {
        // Past 64 changed segments a user's catch-up looks from the user's side (core's
        // CatchUpCandidates): the users' events were stored before any definition was read.
        harness(100);
        send(envelope("ws", "u1", null, event("Purchase", T0), event("Other7", T0 + 1)), T0 + 1);
        send(envelope("ws", "u2", null, event("Pageview", T0 + 2)), T0 + 2);
        for (int i = 0; i < 99; i++) {
            String ever = everPurchased().replace("metrics/Purchase", "metrics/Other" + i);
            h.processBroadcastElement(segment("ws", "other" + i, 1, 0, true, false, ever, i), 0);
        }
        h.processBroadcastElement(
                segment("ws", "buyers", 1, 0, true, false, everPurchased(), 99), 0);
        sweep();
        assertThat(memberships())
                .extracting(
                        n ->
                                n.get("user_id").asText()
                                        + " "
                                        + n.get("change").asText()
                                        + " "
                                        + n.get("segment_id").asText())
                .containsExactlyInAnyOrder("u1 entered buyers", "u1 entered other7");
        // And the users go on against all of them.
        send(envelope("ws", "u2", null, event("Other42", T0 + 3)), T0 + 3);
        assertThat(memberships())
                .extracting(n -> n.get("user_id").asText() + " " + n.get("segment_id").asText())
                .containsExactlyInAnyOrder("u1 buyers", "u1 other7", "u2 other42");
    }

    private static String withKey(String envelope, String key) {
        return envelope.replace(
                "\"request_id\"", "\"idempotency_key\":\"" + key + "\",\"request_id\"");
    }

    @Test
    void a_retry_with_the_same_idempotency_key_gets_the_first_answer_and_applies_nothing()
            throws Exception {
        harness(0);
        h.processBroadcastElement(
                segment("ws", "readers", 1, 0, true, false, threePageviewsIn(7), 0), 0);
        String first =
                withKey(
                        envelope(
                                "ws", "u1", "r1", event("Pageview", T0), event("Pageview", T0 + 1)),
                        "k-1");
        send(first, T0);
        // The job fails and restarts from its checkpoint; the client retries meanwhile.
        restore(h.snapshot(1, 1));
        send(first.replace("\"r1\"", "\"r2\""), T0 + 2);
        assertThat(memberships()).as("two page views, not four").isEmpty();
        List<JsonNode> replies = side(TOPICS.replies());
        assertThat(replies).hasSize(1); // the restored harness holds the second only
        assertThat(replies.get(0).get("request_id").asText()).isEqualTo("r2");
        assertThat(replies.get(0).get("cohorts")).isEmpty();

        send(withKey(envelope("ws", "u1", "r3", event("Pageview", T0 + 3)), "k-2"), T0 + 3);
        assertThat(memberships()).extracting(m -> m.get("change").asText()).contains("entered");
        JsonNode third = side(TOPICS.replies()).get(1);
        assertThat(third.get("cohorts")).extracting(JsonNode::asText).containsExactly("readers");
        // The first key still answers as it did, whatever happened since.
        send(first.replace("\"r1\"", "\"r4\""), T0 + 4);
        assertThat(side(TOPICS.replies()).get(2).get("cohorts")).isEmpty();
    }

    @Test
    void a_keyed_request_answered_while_loading_applies_nothing_so_its_retry_counts_once()
            throws Exception {
        harness(1); // one definitions record still to read
        String first =
                withKey(
                        envelope(
                                "ws", "u1", "r1", event("Pageview", T0), event("Pageview", T0 + 1)),
                        "k-1");
        send(first, T0);
        assertThat(side(TOPICS.replies()).get(0).at("/error/code").asText())
                .isEqualTo("definitions_loading");
        h.processBroadcastElement(
                segment("ws", "readers", 1, 0, true, false, threePageviewsIn(7), 0), 0);
        sweep();
        send(first.replace("\"r1\"", "\"r2\""), T0 + 2);
        send(withKey(envelope("ws", "u1", "r3", event("Pageview", T0 + 3)), "k-2"), T0 + 3);

        // Two page views then one: three, so the third enters; applied twice, the retry alone
        // would have made four and entered the user a request earlier.
        assertThat(side(TOPICS.replies()).get(1).get("cohorts")).isEmpty();
        assertThat(side(TOPICS.replies()).get(2).get("cohorts"))
                .extracting(JsonNode::asText)
                .containsExactly("readers");
    }

    @Test
    void a_definitions_record_whose_workspace_holds_a_slash_is_dead_lettered() throws Exception {
        // Not the service's (it keys by org id), but any writer of the topic: the job replays the
        // topic from its start after every restart, so this must not fail the task.
        harness(0);
        h.processBroadcastElement(
                segment("a/b", "buyers", 1, 0, true, false, everPurchased(), 0), 0);
        h.processBroadcastElement(
                segment("ws", "buyers", 1, 0, true, false, everPurchased(), 1), 0);
        send(envelope("ws", "u1", null, event("Purchase", T0)), T0);

        assertThat(side(TOPICS.deadLetter()))
                .extracting(n -> n.get("reason").asText())
                .containsExactly("invalid_definition");
        assertThat(memberships()).hasSize(1);
    }

    @Test
    void a_refused_definitions_record_is_dead_lettered_by_the_first_subtask_alone()
            throws Exception {
        // Each subtask reads the whole log: at parallelism 2 the topic held every refusal twice.
        for (int subtask = 0; subtask < 2; subtask++) {
            h = TestRecords.operator(0, SegmentationOperator.SLICE_NANOS, 2, subtask, null);
            h.processBroadcastElement(
                    segment("a/b", "buyers", 1, 0, true, false, everPurchased(), 0), 0);
            h.processBroadcastElement(
                    new DefinitionUpdate(
                            "ws/broken",
                            "{not json".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                            1),
                    0);
            assertThat(side(TOPICS.deadLetter()))
                    .as("subtask %d of 2", subtask)
                    .hasSize(subtask == 0 ? 2 : 0);
            h.close();
            h = null;
        }
    }

    @Test
    void ids_too_long_for_what_the_job_writes_make_an_invalid_envelope_without_a_reply()
            throws Exception {
        harness(0);
        String longId = "x".repeat(EventEnvelope.MAX_ID + 1);
        send(envelope("ws", longId, "r1", event("Pageview", T0)), T0);
        send(envelope("ws", "u1", longId, event("Pageview", T0)), T0);
        send(envelope("ws", "line\\nbreak", "r3", event("Pageview", T0)), T0);

        assertThat(side(TOPICS.deadLetter()))
                .extracting(n -> n.get("reason").asText())
                .containsExactly("invalid_envelope", "invalid_envelope", "invalid_envelope");
        // No reply: the second would carry the long id, and an envelope whose user cannot be
        // named gets none, as without a user id at all.
        assertThat(side(TOPICS.replies())).isEmpty();
    }

    @Test
    void an_idempotency_key_without_a_request_or_too_long_is_an_invalid_envelope() {
        assertThat(inbound(withKey(envelope("ws", "u1", "r1"), "k")).valid()).isTrue();
        assertThat(inbound(withKey(envelope("ws", "u1", "r1"), "k".repeat(129))).valid()).isFalse();
        assertThat(
                        inbound(
                                        "{\"workspace\":\"ws\",\"user_id\":\"u1\",\"idempotency_key\":\"k\",\"events\":[]}")
                                .valid())
                .isFalse();
    }

    @Test
    void a_reply_names_the_replica_that_waits_for_it_when_the_envelope_does() throws Exception {
        harness(0);
        h.processBroadcastElement(
                segment("ws", "readers", 1, 0, true, false, threePageviewsIn(7), 0), 0);
        String direct = envelope("ws", "u1", "r1", event("Pageview", T0));
        send(direct.replace("\"request_id\"", "\"reply_to\":\"10.0.0.7:7070\",\"request_id\""), T0);
        // An address the job cannot use loses nothing: the reply takes the topic.
        send(
                envelope("ws", "u2", "r2", event("Pageview", T0))
                        .replace("\"request_id\"", "\"reply_to\":\"no port\",\"request_id\""),
                T0);
        send(envelope("ws", "u3", "r3", event("Pageview", T0)), T0);
        assertThat(h.getSideOutput(Descriptors.SIDE))
                .filteredOn(r -> r.getValue().topic.equals(TOPICS.replies()))
                .extracting(r -> r.getValue().key + " " + r.getValue().replyTo)
                .containsExactly("r1 10.0.0.7:7070", "r2 null", "r3 null");
    }

    @Test
    void each_subtask_writes_a_heartbeat_to_the_replies_topic_every_second() throws Exception {
        h = TestRecords.operator(0, SegmentationOperator.SLICE_NANOS, 2, 1, null, 1_000);
        long start = h.getProcessingTime();
        h.setProcessingTime(start + 999);
        assertThat(side(TOPICS.replies())).isEmpty();
        h.setProcessingTime(start + 1_000);
        h.setProcessingTime(start + 2_500);
        List<JsonNode> beats = side(TOPICS.replies());
        assertThat(beats).hasSize(2);
        assertThat(beats.get(0).get("heartbeat").asInt()).isEqualTo(1);
        assertThat(beats.get(1).get("at").asText())
                .isEqualTo(java.time.Instant.ofEpochMilli(start + 2_000).toString());
        // The job's limits on event times, which the service checks requests against.
        JobConfig defaults = JobConfig.defaults();
        assertThat(beats.get(0).get("max_future_skew_ms").asLong())
                .isEqualTo(defaults.maxFutureSkew().toMillis());
        assertThat(beats.get(0).get("horizon_ms").asLong())
                .isEqualTo(defaults.horizon().toMillis());
        assertThat(h.getSideOutput(Descriptors.SIDE))
                .extracting(r -> r.getValue().key)
                .containsOnly("heartbeat#1");
    }

    @Test
    void state_survives_a_snapshot_and_restore() throws Exception {
        harness(0);
        h.processBroadcastElement(
                segment("ws", "readers", 1, 0, true, false, threePageviewsIn(7), 0), 0);
        send(envelope("ws", "u1", null, event("Pageview", T0), event("Pageview", T0 + 1)), T0);
        restore(h.snapshot(1, 1));
        send(envelope("ws", "u1", null, event("Pageview", T0 + 2)), T0);
        assertThat(memberships()).hasSize(1);
    }

    /** The user's sealed history chunks in state, by id (the open chunk is in the profile). */
    private Map<Long, List<io.cohortflow.core.event.Event>> storedChunks(String key)
            throws Exception {
        var backend = h.getOperator().getKeyedStateBackend();
        backend.setCurrentKey(key);
        var map =
                backend.getPartitionedState(
                        org.apache.flink.runtime.state.VoidNamespace.INSTANCE,
                        org.apache.flink.runtime.state.VoidNamespaceSerializer.INSTANCE,
                        Descriptors.HISTORY_CHUNKS);
        Map<Long, List<io.cohortflow.core.event.Event>> out = new java.util.TreeMap<>();
        for (var e : map.entries()) {
            out.put(e.getKey(), e.getValue());
        }
        return out;
    }

    @Test
    void a_users_few_events_stay_in_their_profile_and_older_ones_go_to_chunks_of_up_to_32()
            throws Exception {
        harness(0);
        h.processBroadcastElement(
                segment("ws", "readers", 1, 0, true, false, threePageviewsIn(7), 0), 0);
        send(threePageviews("ws"), T0);
        String[] many = new String[44];
        for (int i = 0; i < many.length; i++) {
            many[i] = event(i % 2 == 0 ? "Pageview" : "Click", T0 + i * 60_000L);
        }
        send(envelope("ws", "u2", null, many), T0);
        // Sealed every 8th event: four times into the first chunk, then into a second.
        assertThat(storedChunks("ws/u1")).isEmpty();
        assertThat(storedChunks("ws/u2").values()).extracting(List::size).containsExactly(32, 8);
        assertThat(memberships())
                .extracting(m -> m.get("user_id").asText())
                .containsExactlyInAnyOrder("u1", "u2");

        // Both layouts survive a restore.
        restore(h.snapshot(1, 1));
        assertThat(storedChunks("ws/u1")).isEmpty();
        assertThat(storedChunks("ws/u2").values()).extracting(List::size).containsExactly(32, 8);
        assertThat(profile("ws/u1").historyInProfile()).isEqualTo(3);
        assertThat(profile("ws/u2").historyInProfile()).isEqualTo(4);
        assertThat(profile("ws/u2").historyChunks()).isEqualTo(2);
        assertThat(profile("ws/u2").historySize()).isEqualTo(44);
    }

    @Test
    void a_history_stored_one_entry_per_event_before_chunks_is_read_and_stays_there()
            throws Exception {
        harness(0);
        h.processBroadcastElement(
                segment("ws", "readers", 1, 0, true, false, threePageviewsIn(7), 0), 0);
        // A user as a job before chunks left them: two page views in the per-event map, and a
        // profile without chunks (ProfileCodec version 8) that counts them.
        var old = new io.cohortflow.core.eval.UserProfile();
        var events =
                io.cohortflow.job.model.EventsCodec.decode(
                        inbound(
                                        envelope(
                                                "ws",
                                                "u1",
                                                null,
                                                event("Pageview", T0),
                                                event("Pageview", T0 + 1)))
                                .events);
        new io.cohortflow.core.eval.SegmentEngine(io.cohortflow.core.eval.EngineConfig.DEFAULT)
                .onEvents(
                        old,
                        new io.cohortflow.core.eval.ListHistory(),
                        io.cohortflow.core.eval.SegmentCatalog.empty(),
                        events);
        var backend = h.getOperator().getKeyedStateBackend();
        backend.setCurrentKey("ws/u1");
        backend.getPartitionedState(
                        org.apache.flink.runtime.state.VoidNamespace.INSTANCE,
                        org.apache.flink.runtime.state.VoidNamespaceSerializer.INSTANCE,
                        Descriptors.PROFILE)
                .update(
                        io.cohortflow.core.eval.ProfileCodec.fromBytes(
                                io.cohortflow.core.eval.ProfileCodec.toBytes(old)));
        var perEvent =
                backend.getPartitionedState(
                        org.apache.flink.runtime.state.VoidNamespace.INSTANCE,
                        org.apache.flink.runtime.state.VoidNamespaceSerializer.INSTANCE,
                        Descriptors.HISTORY);
        perEvent.put(T0 << 16, events.get(0));
        perEvent.put((T0 + 1) << 16 | 1, events.get(1));
        assertThat(profile("ws/u1").historyChunked()).isFalse();

        // The third page view enters the user: the first two were read from the map.
        send(envelope("ws", "u1", null, event("Pageview", T0 + 2)), T0);
        assertThat(memberships())
                .extracting(m -> m.get("segment_id").asText() + " " + m.get("change").asText())
                .containsExactly("readers entered");
        assertThat(profile("ws/u1").historyChunked()).isFalse();
        backend.setCurrentKey("ws/u1");
        int stored = 0;
        for (var ignored : perEvent.keys()) {
            stored++;
        }
        assertThat(stored).isEqualTo(3);
        assertThat(storedChunks("ws/u1")).isEmpty();
    }

    private io.cohortflow.core.eval.UserProfile profile(String key) throws Exception {
        var backend = h.getOperator().getKeyedStateBackend();
        backend.setCurrentKey(key);
        return backend.getPartitionedState(
                        org.apache.flink.runtime.state.VoidNamespace.INSTANCE,
                        org.apache.flink.runtime.state.VoidNamespaceSerializer.INSTANCE,
                        Descriptors.PROFILE)
                .value();
    }

    @Test
    void a_restore_numbers_segments_as_the_profiles_were_stored_not_by_latest_record()
            throws Exception {
        harness(0);
        h.processBroadcastElement(
                segment("ws", "buyers", 1, 0, true, false, everPurchased(), 0), 0);
        h.processBroadcastElement(
                segment("ws", "readers", 1, 0, true, false, threePageviewsIn(7), 1), 0);
        send(envelope("ws", "u1", null, event("Purchase", T0)), T0);
        assertThat(memberships()).hasSize(1);
        // An edit: buyers' latest record now comes after readers' in the log.
        h.processBroadcastElement(
                segment("ws", "buyers", 2, 1, true, false, everPurchased(), 2), 0);
        restore(h.snapshot(1, 1));

        send(envelope("ws", "u1", "r1", event("Signup", T0 + 1)), T0 + 1);
        assertThat(side(TOPICS.replies()).get(0).get("cohorts"))
                .extracting(JsonNode::asText)
                .containsExactly("buyers");
    }

    @Test
    void a_restore_numbers_counter_stores_as_the_profiles_were_stored_not_by_latest_record()
            throws Exception {
        String spenders =
                "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\",\"context\":\"visitors\","
                        + "\"pred\":{\"func\":\"ge\",\"val\":{\"func\":\"attr\",\"name\":\"metrics/revenue\"},\"num\":100}}}";
        String deep =
                "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\",\"context\":\"visitors\","
                        + "\"pred\":{\"func\":\"gt\",\"val\":{\"func\":\"attr\",\"name\":\"variables/depth\"},\"num\":50}}}";
        harness(0);
        h.processBroadcastElement(segment("ws", "spenders", 1, 0, true, false, spenders, 0), 0);
        h.processBroadcastElement(segment("ws", "deep", 1, 0, true, false, deep, 1), 0);
        send(
                envelope(
                        "ws",
                        "u1",
                        null,
                        withProperty(event("Pageview", T0), "depth", 80),
                        withProperty(event("Purchase", T0 + 1), "revenue", 30)),
                T0 + 1);
        // An edit that keeps the revenue store: spenders' latest record now comes after deep's,
        // so a restore replaying the latest records numbers deep's store (depth) first. The
        // user's next event brings the profile up to the edit, so the restore has nothing to
        // catch up and reads the counters as stored.
        h.processBroadcastElement(
                segment("ws", "spenders", 2, 1, true, false, spenders.replace("100", "99"), 2), 0);
        send(envelope("ws", "u1", null, event("Signup", T0 + 2)), T0 + 2);
        restore(h.snapshot(1, 1));

        // Under swapped numbers the revenue would add to the depth (80 + 25 crosses 99): the
        // stored numbers keep 30 + 25 and the depth 80 apart.
        send(
                envelope("ws", "u1", "r1", withProperty(event("Purchase", T0 + 3), "revenue", 25)),
                T0 + 3);
        assertThat(side(TOPICS.replies()).get(0).get("cohorts"))
                .extracting(JsonNode::asText)
                .containsExactly("deep");
    }

    /** {@code event} (as {@link TestRecords#event} writes it) with one numeric property. */
    private static String withProperty(String event, String name, int value) {
        return event.replace(
                "\"properties\":{}", "\"properties\":{\"" + name + "\":" + value + "}");
    }

    @Test
    void a_restore_keeps_a_segment_that_references_one_edited_after_it() throws Exception {
        harness(0);
        h.processBroadcastElement(
                segment("ws", "buyers", 1, 0, true, false, everPurchased(), 0), 0);
        String refBuyers =
                "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\",\"context\":\"visitors\","
                        + "\"pred\":{\"func\":\"segment-ref\",\"id\":\"buyers\"}}}";
        h.processBroadcastElement(segment("ws", "refbuyers", 1, 0, true, false, refBuyers, 1), 0);
        // An edit of the referenced segment: its latest record now comes after the referrer's.
        h.processBroadcastElement(
                segment("ws", "buyers", 2, 1, true, false, everPurchased(), 2), 0);
        restore(h.snapshot(1, 1));

        send(envelope("ws", "u1", "r1", event("Purchase", T0)), T0);
        assertThat(side(TOPICS.replies()).get(0).get("cohorts"))
                .extracting(JsonNode::asText)
                .containsExactly("buyers", "refbuyers");
    }

    /** Replaces the harness with a new operator restored from {@code snapshot}. */
    private void restore(org.apache.flink.runtime.checkpoint.OperatorSubtaskState snapshot)
            throws Exception {
        harness(0, SegmentationOperator.SLICE_NANOS, snapshot);
    }

    /**
     * One slice of the sweep while events flow (a record of another workspace's user, which no
     * definition concerns): the next slice waits for the pause, so each call runs one.
     */
    private void sliceBetweenRecords(int i) throws Exception {
        send(envelope("other", "x" + i, null, event("Pageview", T0)), T0);
        h.setProcessingTime(h.getProcessingTime() + DefinitionsSweep.BUSY_PAUSE_MILLIS);
    }

    @Test
    void events_a_restored_job_takes_before_its_definitions_are_read_count_once_they_are()
            throws Exception {
        harness(0);
        h.processBroadcastElement(
                segment("ws", "readers", 1, 0, true, false, threePageviewsIn(7), 0), 0);
        send(envelope("ws", "u1", null, event("Pageview", T0), event("Pageview", T0 + 1)), T0);
        // Restored where the definitions topic holds one more record than was read.
        harness(2, SegmentationOperator.SLICE_NANOS, h.snapshot(1, 1));
        send(envelope("ws", "u1", null, event("Pageview", T0 + 2)), T0);
        assertThat(memberships()).isEmpty(); // stored, not evaluated: definitions are loading
        h.processBroadcastElement(
                segment("ws", "buyers", 1, 0, true, false, everPurchased(), 1), 0);
        sweep();
        assertThat(memberships())
                .extracting(n -> n.get("segment_id").asText())
                .containsExactly("readers");
    }

    @Test
    void a_sweep_interrupted_by_a_failure_resumes_after_the_restore_and_enters_each_user_once()
            throws Exception {
        harness(0, 0, null); // one user per slice
        int users = 60;
        for (int u = 0; u < users; u++) {
            send(envelope("ws", "u" + u, null, event("Purchase", T0)), T0);
        }
        h.processBroadcastElement(
                segment("ws", "buyers", 1, 0, true, false, everPurchased(), 0), 0);
        for (int i = 0; i < users / 2; i++) {
            sliceBetweenRecords(i);
        }
        List<JsonNode> before = memberships();
        assertThat(before).hasSizeBetween(1, users - 1);
        assertThat(side(TOPICS.applied()))
                .extracting(n -> n.get("status").asText())
                .containsExactly("live");

        // The task fails; the last checkpoint was taken just now.
        harness(0, 0, h.snapshot(1, 1));
        sweep();
        List<JsonNode> after = memberships();
        java.util.Set<String> entered = new java.util.HashSet<>();
        for (JsonNode n : before) {
            assertThat(entered.add(n.get("user_id").asText())).isTrue();
        }
        for (JsonNode n : after) {
            assertThat(entered.add(n.get("user_id").asText())).as("entered twice").isTrue();
        }
        assertThat(entered).hasSize(users);
        // The restored sweep skipped the key groups visited before the failure (the keys are the
        // users and the other workspace's users whose records the slices ran between).
        assertThat(op.usersVisited()).isLessThan(users + users / 2);
        assertThat(side(TOPICS.applied()))
                .extracting(n -> n.get("status").asText())
                .containsExactly("applied");
    }

    @Test
    void a_change_during_a_sweep_is_covered_by_a_second_sweep() throws Exception {
        harness(0, 0, null);
        for (int u = 0; u < 10; u++) {
            send(envelope("ws", "u" + u, null, event("Purchase", T0)), T0);
        }
        h.processBroadcastElement(
                segment("ws", "buyers", 1, 0, true, false, everPurchased(), 0), 0);
        sliceBetweenRecords(0);
        h.processBroadcastElement(
                segment("ws", "buyers", 2, 1, false, false, everPurchased(), 1), 0);
        sweep();
        // Every user entered (if reached before the unpublish) and exited, or never entered.
        java.util.Map<String, List<String>> byUser = new java.util.TreeMap<>();
        for (JsonNode n : memberships()) {
            byUser.computeIfAbsent(n.get("user_id").asText(), k -> new ArrayList<>())
                    .add(n.get("change").asText());
        }
        byUser.values().forEach(c -> assertThat(c).containsExactly("entered", "exited"));
        send(envelope("ws", "u0", "r1", event("Purchase", T0 + 1)), T0 + 1);
        assertThat(side(TOPICS.replies()).get(0).get("cohorts")).isEmpty();
        List<JsonNode> applied = side(TOPICS.applied());
        assertThat(applied)
                .filteredOn(n -> n.get("status").asText().equals("applied"))
                .isEmpty(); // unpublished: nothing left to apply
    }

    @Test
    void a_record_the_engine_cannot_evaluate_is_dead_lettered_and_the_next_one_is_served()
            throws Exception {
        harness(0);
        h.processBroadcastElement(
                segment("ws", "buyers", 1, 0, true, false, everPurchased(), 0), 0);
        Inbound broken = inbound(envelope("ws", "u1", "r1", event("Purchase", T0)));
        broken.events = new byte[] {1, 2, 3}; // not the events codec: decoding throws
        h.processElement(broken, T0);
        JsonNode dead = side(TOPICS.deadLetter()).get(0);
        assertThat(dead.get("reason").asText()).isEqualTo("evaluation_failed");
        JsonNode reply = side(TOPICS.replies()).get(0);
        assertThat(reply.at("/error/code").asText()).isEqualTo("processing_failed");
        assertThat(reply.at("/error/message").asText()).doesNotContain("Exception");

        send(envelope("ws", "u1", "r2", event("Purchase", T0 + HOUR)), T0 + HOUR);
        assertThat(memberships()).hasSize(1);
        assertThat(side(TOPICS.replies()).get(1).get("cohorts")).hasSize(1);
    }

    @Test
    void a_record_that_failed_the_task_the_allowed_times_is_skipped_to_the_dead_letter_topic()
            throws Exception {
        harness(0);
        h.processBroadcastElement(
                segment("ws", "buyers", 1, 0, true, false, everPurchased(), 0), 0);
        Inbound in = inbound(envelope("ws", "u1", "r1", event("Purchase", T0)));
        in.offset = 41;
        String position =
                PoisonRecords.position(
                        h.getEnvironment().getJobID().toString(), in.topic, in.partition, 41);
        for (int i = 0; i < SegmentationSettings.DEFAULT_POISON_ATTEMPTS; i++) {
            PoisonRecords.failed(position); // as the task failures before this attempt did
        }
        h.processElement(in, T0);
        assertThat(memberships()).isEmpty();
        JsonNode dead = side(TOPICS.deadLetter()).get(0);
        assertThat(dead.get("reason").asText()).isEqualTo("poison_record");
        assertThat(dead.get("offset").asLong()).isEqualTo(41);
        assertThat(dead.get("value").asText()).as("the record skipped").contains("\"u1\"");
        assertThat(side(TOPICS.replies()).get(0).at("/error/code").asText())
                .isEqualTo("processing_failed");
        assertThat(PoisonRecords.failures(position)).isZero();
    }

    @Test
    void a_definition_the_job_cannot_compile_is_reported_rejected_and_holds_no_members()
            throws Exception {
        harness(0);
        String refToNothing =
                "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":"
                        + "{\"func\":\"container\",\"context\":\"visitors\",\"pred\":"
                        + "{\"func\":\"segment-ref\",\"id\":\"missing\"}}}";
        h.processBroadcastElement(segment("ws", "broken", 1, 0, true, false, refToNothing, 0), 0);
        JsonNode applied = side(TOPICS.applied()).get(0);
        assertThat(applied.get("status").asText()).isEqualTo("rejected");
        // Said for people (the propagation report shows it), not as the problems' records.
        assertThat(applied.get("reason").asText())
                .endsWith("(unknown_segment)")
                .doesNotContain("Problem[", "severity=");
        assertThat(side(TOPICS.deadLetter()).get(0).get("reason").asText())
                .isEqualTo("invalid_definition");

        h.processBroadcastElement(segment("ws", "ok", 1, 0, true, false, everPurchased(), 1), 0);
        assertThat(side(TOPICS.applied()).get(1).get("status").asText()).isEqualTo("live");
        send(envelope("ws", "u1", "r1", event("Purchase", T0)), T0);
        assertThat(side(TOPICS.replies()).get(0).get("cohorts"))
                .extracting(JsonNode::asText)
                .containsExactly("ok");
    }
}
