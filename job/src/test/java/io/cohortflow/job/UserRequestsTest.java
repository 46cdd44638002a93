package io.cohortflow.job;

import static io.cohortflow.job.TestRecords.DAY;
import static io.cohortflow.job.TestRecords.HOUR;
import static io.cohortflow.job.TestRecords.MINUTE;
import static io.cohortflow.job.TestRecords.T0;
import static io.cohortflow.job.TestRecords.envelope;
import static io.cohortflow.job.TestRecords.event;
import static io.cohortflow.job.TestRecords.everPurchased;
import static io.cohortflow.job.TestRecords.inbound;
import static io.cohortflow.job.TestRecords.pageviewInTheLastMinute;
import static io.cohortflow.job.TestRecords.segment;
import static io.cohortflow.job.TestRecords.threePageviewsIn;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.job.model.AudienceDelta;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Requests about one user's state on the operator: memberships with status and times, explain,
 * erasure, and the state TTL that erases inactive users.
 */
class UserRequestsTest {
    private static final TopicNames TOPICS = TopicNames.DEFAULT;
    private KeyedBroadcastOperatorTestHarness<String, Inbound, DefinitionUpdate, KafkaMessage> h;

    @AfterEach
    void close() throws Exception {
        if (h != null) {
            h.close();
        }
    }

    private void start(SegmentationSettings settings) throws Exception {
        h = TestRecords.operator(settings);
        h.processBroadcastElement(
                segment("ws", "readers", 1, 0, true, false, threePageviewsIn(7), 0), 0);
        h.processBroadcastElement(
                segment("ws", "buyers", 1, 0, true, false, everPurchased(), 1), 0);
    }

    private void start() throws Exception {
        start(TestRecords.streaming(0));
    }

    /** u1: three page views at T0, T0 + 1 h, T0 + 2 h (a reader from the third) and a purchase. */
    private void readerAndBuyer() throws Exception {
        h.processElement(
                inbound(
                        envelope(
                                "ws",
                                "u1",
                                null,
                                event("Purchase", T0),
                                event("Pageview", T0),
                                event("Pageview", T0 + HOUR),
                                event("Pageview", T0 + 2 * HOUR))),
                T0);
    }

    /** Event time moves to {@code t} (the definitions source's watermark is at the end). */
    private void watermark(long t) throws Exception {
        h.processBroadcastWatermark(new Watermark(Long.MAX_VALUE));
        h.processWatermark(new Watermark(t));
    }

    private static String ask(String user, String requestId, String op, String segment) {
        return "{\"workspace\":\"ws\",\"user_id\":\""
                + user
                + "\",\"request_id\":\""
                + requestId
                + "\",\"op\":\""
                + op
                + "\""
                + (segment == null ? "" : ",\"segment\":\"" + segment + "\"")
                + "}";
    }

    private JsonNode reply(String op, String user, String segment) throws Exception {
        String id = "r" + System.nanoTime();
        h.processElement(inbound(ask(user, id, op, segment)), T0);
        for (JsonNode r : side(TOPICS.replies())) {
            if (r.path("request_id").asText().equals(id)) {
                return r;
            }
        }
        throw new AssertionError("no reply to " + id);
    }

    private List<JsonNode> side(String topic) throws Exception {
        return TestRecords.side(h, topic);
    }

    /** States holding something per key: profile, history (a user erased holds none). */
    private long usersWithState() throws Exception {
        var backend = h.getOperator().getKeyedStateBackend();
        long n = 0;
        for (String state :
                List.of(
                        Descriptors.PROFILE.getName(),
                        Descriptors.HISTORY.getName(),
                        Descriptors.HISTORY_CHUNKS.getName())) {
            try (var keys =
                    backend.getKeys(state, org.apache.flink.runtime.state.VoidNamespace.INSTANCE)) {
                n += keys.count();
            }
        }
        return n;
    }

    private List<JsonNode> memberships() throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (KafkaMessage m : h.extractOutputValues()) {
            out.add(Json.MAPPER.readTree(m.value));
        }
        return out;
    }

    @Test
    void a_lookup_lists_each_membership_with_its_status_times_and_version() throws Exception {
        start();
        readerAndBuyer();
        JsonNode r = reply("memberships", "u1", null);
        assertThat(r.get("known").asBoolean()).isTrue();
        assertThat(r.get("memberships")).hasSize(2);
        JsonNode buyers = r.at("/memberships/0");
        assertThat(buyers.get("segment_id").asText()).isEqualTo("buyers");
        assertThat(buyers.get("status").asText()).isEqualTo("existing");
        assertThat(buyers.get("entered_at").asText()).isEqualTo("2024-01-15T00:00:00Z");
        assertThat(buyers.get("last_qualified_at").asText()).isEqualTo("2024-01-15T02:00:00Z");
        assertThat(buyers.has("exited_at")).isFalse();
        assertThat(buyers.get("segment_version").asLong()).isEqualTo(1);
        // Entered at the user's latest instant: realized.
        assertThat(r.at("/memberships/1/status").asText()).isEqualTo("realized");

        // The reader's window lapses a week after the first page view: exited, and when.
        watermark(T0 + 7 * DAY);
        JsonNode later = reply("memberships", "u1", null);
        JsonNode readers = later.at("/memberships/1");
        assertThat(readers.get("status").asText()).isEqualTo("exited");
        assertThat(readers.get("exited_at").asText()).isEqualTo("2024-01-22T00:00:00Z");
        assertThat(readers.get("last_qualified_at").asText()).isEqualTo("2024-01-22T00:00:00Z");
    }

    @Test
    void a_lookup_of_a_user_the_job_never_saw_is_unknown_and_stores_nothing() throws Exception {
        start();
        JsonNode r = reply("memberships", "nobody", null);
        assertThat(r.get("known").asBoolean()).isFalse();
        assertThat(r.get("memberships")).isEmpty();
        assertThat(reply("memberships", "nobody", null).get("known").asBoolean()).isFalse();
    }

    @Test
    void explain_shows_the_tree_behind_the_membership_and_an_unknown_segment_is_an_error()
            throws Exception {
        start();
        readerAndBuyer();
        JsonNode e = reply("explain", "u1", "readers").get("explanation");
        assertThat(e.get("holds").asBoolean()).isTrue();
        assertThat(e.get("func").asText()).isEqualTo("container");
        assertThat(e.get("units").asInt()).isEqualTo(4);
        assertThat(e.get("matching_units").asInt()).isEqualTo(3);
        assertThat(e.get("at_least").asInt()).isEqualTo(3);
        assertThat(e.at("/window/count").asInt()).isEqualTo(7);
        assertThat(e.at("/children/0/definition/func").asText()).isEqualTo("event-exists");

        JsonNode error = reply("explain", "u1", "nope");
        assertThat(error.at("/error/code").asText()).isEqualTo("unknown_segment");
    }

    /**
     * The explanation of a segment that inlines a large one many times grows past what a record
     * takes (a valid definition: 5 000 strings in one streq-in, referenced 190 times, made 12 MB):
     * the reply says so instead, and the segment named in a request is bounded like every id.
     * Written as they were, either record failed the job's sink on every replay.
     */
    @Test
    void an_answer_past_what_a_record_takes_is_an_error_reply_and_stays_a_record()
            throws Exception {
        StringBuilder values = new StringBuilder();
        for (int i = 0; i < 5_000; i++) {
            values.append(i == 0 ? "" : ",").append("\"value-").append(i).append('"');
        }
        String large =
                "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\","
                        + "\"context\":\"hits\",\"pred\":{\"func\":\"streq-in\",\"val\":{\"func\":"
                        + "\"attr\",\"name\":\"variables/x\"},\"list\":["
                        + values
                        + "]}}}";
        StringBuilder refs = new StringBuilder();
        for (int i = 0; i < 190; i++) {
            refs.append(i == 0 ? "" : ",").append("{\"func\":\"segment-ref\",\"id\":\"large\"}");
        }
        String referrer =
                "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\","
                        + "\"context\":\"visitors\",\"pred\":{\"func\":\"or\",\"preds\":["
                        + refs
                        + "]}}}";
        start();
        h.processBroadcastElement(segment("ws", "large", 1, 0, true, false, large, 2), 0);
        h.processBroadcastElement(segment("ws", "referrer", 1, 0, true, false, referrer, 3), 0);
        readerAndBuyer();

        String id = "r-large";
        h.processElement(inbound(ask("u1", id, "explain", "referrer")), T0);
        KafkaMessage answer =
                h.getSideOutput(Descriptors.SIDE).stream()
                        .map(r -> r.getValue())
                        .filter(m -> id.equals(m.key))
                        .findFirst()
                        .orElseThrow();
        assertThat(answer.size()).isLessThan(io.cohortflow.core.contract.RecordLimits.MAX_BYTES);
        assertThat(Json.MAPPER.readTree(answer.value).at("/error/code").asText())
                .isEqualTo(io.cohortflow.core.contract.ReplyRecord.TOO_LARGE);

        // A segment name of 100 000 emoji (a 1.2 MB error reply quoting it): a dead letter.
        h.processElement(
                inbound(ask("u1", "r-emoji", "explain", "\uD83D\uDE00".repeat(100_000))), T0);
        assertThat(side(TOPICS.deadLetter()))
                .anySatisfy(
                        d -> assertThat(d.get("detail").asText()).startsWith("segment: at most"));
        for (var r : h.getSideOutput(Descriptors.SIDE)) {
            assertThat(r.getValue().size())
                    .as(r.getValue().topic)
                    .isLessThan(io.cohortflow.core.contract.RecordLimits.MAX_BYTES);
        }
    }

    /**
     * A definition the job refuses is reported with why; a large one of 70 000 unknown functions
     * listed every problem (a 10 MB applied record, written again on every replay of the
     * definitions topic).
     */
    @Test
    void a_refused_definitions_report_stays_a_record() throws Exception {
        StringBuilder unknown = new StringBuilder();
        for (int i = 0; i < 70_000; i++) {
            unknown.append(i == 0 ? "" : ",").append("{\"func\":\"x\"}");
        }
        String bad =
                "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\","
                        + "\"context\":\"visitors\",\"pred\":{\"func\":\"and\",\"preds\":["
                        + unknown
                        + "]}}}";
        start();
        h.processBroadcastElement(segment("ws", "bad", 1, 0, true, false, bad, 2), 0);
        List<JsonNode> applied = side(TOPICS.applied());
        assertThat(applied)
                .anySatisfy(
                        a -> {
                            assertThat(a.get("id").asText()).isEqualTo("bad");
                            assertThat(a.get("status").asText()).isEqualTo("rejected");
                        });
        for (var r : h.getSideOutput(Descriptors.SIDE)) {
            assertThat(r.getValue().size())
                    .as(r.getValue().topic)
                    .isLessThan(io.cohortflow.core.contract.RecordLimits.MAX_BYTES);
        }
    }

    @Test
    void erasure_removes_the_history_chunks_past_what_the_profile_holds() throws Exception {
        start();
        String[] many = new String[30];
        for (int i = 0; i < many.length; i++) {
            many[i] = event("Pageview", T0 + i * HOUR);
        }
        h.processElement(inbound(envelope("ws", "u1", null, many)), T0);
        assertThat(usersWithState()).isEqualTo(2); // a profile and sealed chunks
        assertThat(reply("erase", "u1", null).get("known").asBoolean()).isTrue();
        assertThat(usersWithState()).isZero();
    }

    @Test
    void erasure_exits_every_membership_removes_the_state_and_its_timer() throws Exception {
        start();
        readerAndBuyer();
        memberships(); // the entries
        h.getOutput().clear();
        assertThat(h.numEventTimeTimers()).isEqualTo(1); // the reader's lapse

        JsonNode r = reply("erase", "u1", null);
        assertThat(r.get("known").asBoolean()).isTrue();
        assertThat(r.get("memberships"))
                .extracting(m -> m.get("status").asText())
                .containsOnly("exited");
        List<JsonNode> exits = memberships();
        assertThat(exits).extracting(m -> m.get("change").asText()).containsOnly("exited");
        assertThat(exits)
                .extracting(m -> m.get("segment_id").asText())
                .containsExactlyInAnyOrder("buyers", "readers");
        assertThat(h.numEventTimeTimers()).isZero();
        assertThat(usersWithState()).isZero();

        JsonNode after = reply("memberships", "u1", null);
        assertThat(after.get("known").asBoolean()).isFalse();
        assertThat(after.get("memberships")).isEmpty();
        // Erasing again is harmless and says there was nothing.
        assertThat(reply("erase", "u1", null).get("known").asBoolean()).isFalse();
        // New events after the erasure start a new user from nothing.
        h.processElement(inbound(envelope("ws", "u1", null, event("Pageview", T0 + 3 * HOUR))), T0);
        JsonNode fresh = reply("memberships", "u1", null);
        assertThat(fresh.get("known").asBoolean()).isTrue();
        assertThat(fresh.get("memberships")).isEmpty();
    }

    @Test
    void a_user_with_no_event_for_the_workspaces_ttl_is_removed_and_exits() throws Exception {
        JobConfig c =
                JobConfig.from(
                        Map.of(
                                "cohortflow.state.user-ttl", "P30D",
                                "cohortflow.job.workspace.ws.user-ttl", "P2D"));
        assertThat(c.userTtl("other")).hasDays(30);
        start(SegmentationSettings.of(c, 0, false));
        readerAndBuyer();
        h.getOutput().clear();
        watermark(T0 + 2 * HOUR + 2 * DAY - 1);
        assertThat(reply("memberships", "u1", null).get("known").asBoolean()).isTrue();
        watermark(T0 + 2 * HOUR + 2 * DAY);
        List<JsonNode> exits = memberships();
        assertThat(exits).extracting(m -> m.get("change").asText()).containsOnly("exited");
        assertThat(exits).hasSize(2);
        assertThat(exits.get(0).get("time").asText()).isEqualTo("2024-01-17T02:00:00Z");
        assertThat(reply("memberships", "u1", null).get("known").asBoolean()).isFalse();
        assertThat(usersWithState()).isZero();
    }

    /**
     * A restored job still reading its definitions (the clock moves event time on an idle stream
     * meanwhile: RestoredEventTime) expires a user whose TTL ends then, at once: expiring evaluates
     * nothing, and the memberships are named by the numbering restored with the state, so the exits
     * and their counts are a ready job's. Once, also across a checkpoint taken before the
     * definitions are read. The expiry waited for the definitions' end (and the sweep after it),
     * keeping the user past their TTL.
     */
    @ParameterizedTest(name = "restored again in between: {0}")
    @ValueSource(booleans = {false, true})
    void a_ttl_expiry_due_while_a_restored_job_reads_its_definitions_removes_the_user_at_once(
            boolean restoredInBetween) throws Exception {
        JobConfig twoDays = JobConfig.from(Map.of("cohortflow.job.workspace.ws.user-ttl", "P2D"));
        start(SegmentationSettings.of(twoDays, 0, false));
        readerAndBuyer();
        exitsCounted(); // the entries
        var snapshot = h.snapshot(++checkpoint, checkpoint);
        h.close();
        // Restored where the definitions topic holds one more record than was read: the user's
        // expiry comes due while nothing can be evaluated.
        SegmentationSettings loading = SegmentationSettings.of(twoDays, 3, false);
        h = TestRecords.operator(loading, snapshot);
        long expiry = T0 + 2 * HOUR + 2 * DAY; // before the readers' lapse, a week on
        watermark(expiry - 1);
        assertThat(memberships()).isEmpty();
        watermark(expiry);
        List<JsonNode> exits = memberships();
        assertThat(exits)
                .extracting(m -> m.get("segment_id").asText() + " " + m.get("change").asText())
                .containsExactlyInAnyOrder("readers exited", "buyers exited");
        assertThat(exits)
                .extracting(m -> m.get("time").asText())
                .containsOnly("2024-01-17T02:00:00Z");
        assertThat(exitsCounted()).containsOnly(Map.entry("buyers", 1L), Map.entry("readers", 1L));
        assertThat(usersWithState()).isZero();
        assertThat(h.numEventTimeTimers()).isZero();
        if (restoredInBetween) {
            snapshot = h.snapshot(++checkpoint, checkpoint);
            h.close();
            h = TestRecords.operator(loading, snapshot);
        }

        // The definitions are read to their end and a sweep follows: nothing more of the user.
        h.getOutput().clear();
        h.processBroadcastElement(
                segment("ws2", "other", 1, 0, true, false, everPurchased(), 2), 0);
        TestRecords.sweep(h);
        watermark(T0 + 30 * DAY);
        assertThat(memberships()).as("nothing more of u1").isEmpty();
        assertThat(exitsCounted()).isEmpty();
        assertThat(reply("memberships", "u1", null).get("known").asBoolean()).isFalse();
        assertThat(usersWithState()).isZero();
    }

    /**
     * A lapse due while a restored job reads its definitions waits for them (it needs its segment's
     * definition), but the user's expiry, later still within the reading, does not wait behind it:
     * it takes the user at its instant, the membership whose lapse was waiting with the others. The
     * deferred lapse left the user without a timer, so the expiry waited for the definitions' end.
     */
    @Test
    void a_ttl_expiry_after_a_lapse_deferred_while_a_restored_job_reads_its_definitions_is_on_time()
            throws Exception {
        JobConfig twoDays = JobConfig.from(Map.of("cohortflow.job.workspace.ws.user-ttl", "P2D"));
        start(SegmentationSettings.of(twoDays, 0, false));
        h.processBroadcastElement(
                segment("ws", "minute", 1, 0, true, false, pageviewInTheLastMinute(), 2), 0);
        readerAndBuyer();
        assertThat(reply("memberships", "u1", null).get("memberships")).hasSize(3);
        var snapshot = h.snapshot(1, 1);
        h.close();
        h = TestRecords.operator(SegmentationSettings.of(twoDays, 4, false), snapshot);
        long lapse = T0 + 2 * HOUR + MINUTE; // the minute segment's
        long expiry = T0 + 2 * HOUR + 2 * DAY;
        watermark(lapse);
        assertThat(memberships()).as("the lapse waits for the definitions").isEmpty();
        assertThat(usersWithState()).isPositive();

        watermark(expiry);
        assertThat(memberships())
                .extracting(
                        m ->
                                m.get("segment_id").asText()
                                        + " "
                                        + m.get("change").asText()
                                        + " "
                                        + m.get("time").asText())
                .containsExactlyInAnyOrder(
                        "readers exited 2024-01-17T02:00:00Z",
                        "buyers exited 2024-01-17T02:00:00Z",
                        "minute exited 2024-01-17T02:00:00Z");
        assertThat(usersWithState()).isZero();
        assertThat(h.numEventTimeTimers()).isZero();

        h.getOutput().clear();
        h.processBroadcastElement(
                segment("ws2", "other", 1, 0, true, false, everPurchased(), 3), 0);
        TestRecords.sweep(h);
        watermark(T0 + 30 * DAY);
        assertThat(memberships()).as("nothing more of u1").isEmpty();
        assertThat(reply("memberships", "u1", null).get("known").asBoolean()).isFalse();
    }

    /** The exits counted per segment since the last call, handed on as before a barrier. */
    private Map<String, Long> exitsCounted() throws Exception {
        h.prepareSnapshotPreBarrier(++checkpoint);
        Map<String, Long> out = new TreeMap<>();
        var q = h.getSideOutput(Descriptors.AUDIENCE);
        if (q != null) {
            for (StreamRecord<AudienceDelta> r : q) {
                for (long n : r.getValue().hourExited) {
                    out.merge(r.getValue().segmentId, n, Long::sum);
                }
            }
            q.clear();
        }
        return out;
    }

    private long checkpoint;

    /** Every entry of every keyed state, of every user (heap state in these tests). */
    private int keyedStateEntries() {
        return ((org.apache.flink.runtime.state.heap.HeapKeyedStateBackend<?>)
                        h.getOperator().getKeyedStateBackend())
                .numKeyValueStateEntries();
    }

    /**
     * A job restored from a checkpoint taken before an erasure reads the erasure again, maybe while
     * it still reads its definitions: the erasure takes effect all the same (the memberships are
     * named by the numbering restored with the state), also across a checkpoint taken before the
     * definitions are read to their end.
     */
    @ParameterizedTest(name = "restored again in between: {0}")
    @ValueSource(booleans = {false, true})
    void an_erasure_read_while_a_restored_job_reads_its_definitions_takes_effect(
            boolean restoredInBetween) throws Exception {
        start();
        readerAndBuyer();
        exitsCounted(); // the entries
        var snapshot = h.snapshot(++checkpoint, checkpoint);
        h.close();
        // Restored where the definitions topic holds one more record than was read.
        h = TestRecords.operator(TestRecords.streaming(3), snapshot);
        h.processElement(inbound(envelope("ws", "u2", null, event("Pageview", T0))), T0);
        assertThat(reply("memberships", "u2", null).at("/error/code").asText())
                .isEqualTo("definitions_loading");

        JsonNode r = reply("erase", "u1", null);
        assertThat(r.get("known").asBoolean()).isTrue();
        assertThat(r.get("memberships"))
                .extracting(m -> m.get("segment_id").asText() + " " + m.get("status").asText())
                .containsExactlyInAnyOrder("readers exited", "buyers exited");
        List<JsonNode> exits = memberships();
        assertThat(exits)
                .extracting(m -> m.get("segment_id").asText() + " " + m.get("change").asText())
                .containsExactlyInAnyOrder("readers exited", "buyers exited");
        assertThat(exitsCounted()).containsOnly(Map.entry("buyers", 1L), Map.entry("readers", 1L));
        assertThat(h.numEventTimeTimers()).isZero();
        if (restoredInBetween) {
            snapshot = h.snapshot(++checkpoint, checkpoint);
            h.close();
            h = TestRecords.operator(TestRecords.streaming(3), snapshot);
        }

        h.processBroadcastElement(
                segment("ws2", "other", 1, 0, true, false, everPurchased(), 2), 0);
        TestRecords.sweep(h);
        watermark(T0 + 7 * DAY);
        h.getOutput().clear();
        assertThat(usersWithState()).as("u2 only").isEqualTo(1);
        JsonNode after = reply("memberships", "u1", null);
        assertThat(after.get("known").asBoolean()).isFalse();
        assertThat(after.get("memberships")).isEmpty();
        assertThat(reply("memberships", "u2", null).get("known").asBoolean()).isTrue();
        assertThat(memberships()).as("nothing more of u1").isEmpty();
        assertThat(exitsCounted()).isEmpty();
        // Of u1 nothing: u2's profile is the one entry left.
        assertThat(keyedStateEntries()).isEqualTo(1);
    }

    /** Events after an erasure read while the definitions load are a new user's, and kept. */
    @Test
    void events_after_an_erasure_read_while_the_definitions_load_start_a_new_user()
            throws Exception {
        start();
        readerAndBuyer();
        var snapshot = h.snapshot(1, 1);
        h.close();
        h = TestRecords.operator(TestRecords.streaming(3), snapshot);
        assertThat(reply("erase", "u1", null).get("known").asBoolean()).isTrue();
        h.processElement(inbound(envelope("ws", "u1", null, event("Purchase", T0 + 3 * HOUR))), T0);
        h.getOutput().clear();

        h.processBroadcastElement(
                segment("ws2", "other", 1, 0, true, false, everPurchased(), 2), 0);
        TestRecords.sweep(h);
        JsonNode r = reply("memberships", "u1", null);
        assertThat(r.get("known").asBoolean()).isTrue();
        assertThat(r.get("memberships"))
                .extracting(m -> m.get("segment_id").asText() + " " + m.get("entered_at").asText())
                .containsExactly("buyers 2024-01-15T03:00:00Z");
    }

    @Test
    void a_request_about_a_user_is_checked_like_any_envelope() {
        assertThat(inbound(ask("u1", "r", "drop", null)).detail).contains("op: one of");
        assertThat(inbound("{\"workspace\":\"ws\",\"user_id\":\"u1\",\"op\":\"erase\"}").detail)
                .contains("needs a request_id");
        assertThat(inbound(ask("u1", "r", "explain", null)).detail).contains("needs a segment");
        assertThat(
                        inbound(
                                        "{\"workspace\":\"ws\",\"user_id\":\"u1\",\"request_id\":\"r\","
                                                + "\"op\":\"memberships\",\"events\":["
                                                + event("Pageview", T0)
                                                + "]}")
                                .detail)
                .contains("carries no events");
        assertThat(inbound(ask("u1", "r", "memberships", null)).valid()).isTrue();
    }
}
