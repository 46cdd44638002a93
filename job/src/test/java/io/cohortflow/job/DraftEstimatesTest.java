package io.cohortflow.job;

import static io.cohortflow.job.TestRecords.T0;
import static io.cohortflow.job.TestRecords.envelope;
import static io.cohortflow.job.TestRecords.event;
import static io.cohortflow.job.TestRecords.everPurchased;
import static io.cohortflow.job.TestRecords.inbound;
import static io.cohortflow.job.TestRecords.segment;
import static io.cohortflow.job.TestRecords.threePageviewsIn;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.contract.EstimatePart;
import io.cohortflow.core.contract.EstimateRequest;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.core.estimate.AudienceEstimate;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Draft estimates on the operator's harness: sampled, evaluated, answered, nothing changed. */
class DraftEstimatesTest {
    private static final TopicNames TOPICS = TopicNames.DEFAULT;
    private static final int USERS = 300;

    private KeyedBroadcastOperatorTestHarness<String, Inbound, DefinitionUpdate, KafkaMessage> h;
    private long offset;

    @BeforeEach
    void open() throws Exception {
        h = TestRecords.operator(0, SegmentationOperator.SLICE_NANOS, 1, 0, null);
        h.processBroadcastElement(
                segment("ws", "buyer", 1, 0, true, false, everPurchased(), offset++), 0);
        // User i views 1, 2 or 3 pages (a third of them three); every fourth also buys.
        for (int i = 0; i < USERS; i++) {
            List<String> events = new ArrayList<>();
            for (int v = 0; v <= i % 3; v++) {
                events.add(event("Pageview", T0 + v));
            }
            if (i % 4 == 0) {
                events.add(event("Purchase", T0 + 10));
            }
            h.processElement(
                    inbound(envelope("ws", "u" + i, null, events.toArray(String[]::new))), T0);
        }
        for (int i = 0; i < 50; i++) {
            h.processElement(
                    inbound(
                            envelope(
                                    "other",
                                    "u" + i,
                                    null,
                                    event("Pageview", T0),
                                    event("Pageview", T0 + 1),
                                    event("Pageview", T0 + 2))),
                    T0);
        }
        h.getOutput().clear();
        h.getSideOutput(Descriptors.SIDE).clear();
    }

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    private void request(String id, String definition, int sample, long deadline) throws Exception {
        EstimateRequest r =
                new EstimateRequest(
                        id, "ws", Json.MAPPER.readTree(definition), sample, 7, deadline);
        h.processBroadcastElement(DefinitionUpdate.estimate(id, Json.bytes(r), offset++), 0);
    }

    private void request(String id, String definition, int sample) throws Exception {
        request(id, definition, sample, h.getProcessingTime() + 60_000);
    }

    /** Runs the estimates' slices and returns the parts answered, in order. */
    private List<EstimatePart> parts() throws Exception {
        for (int i = 0; i < 1_000; i++) {
            h.setProcessingTime(h.getProcessingTime() + DraftEstimates.PAUSE_MILLIS);
        }
        List<EstimatePart> out = new ArrayList<>();
        for (StreamRecord<KafkaMessage> r : h.getSideOutput(Descriptors.SIDE)) {
            KafkaMessage m = r.getValue();
            if (m.topic.equals(TOPICS.replies()) && m.key.startsWith(EstimatePart.KEY_PREFIX)) {
                EstimatePart p = Json.read(m.value, EstimatePart.class);
                assertThat(m.key).isEqualTo(EstimatePart.key(p.requestId()));
                out.add(p);
            }
        }
        return out;
    }

    @Test
    void a_sample_of_everyone_counts_what_publishing_the_draft_would_and_changes_nothing()
            throws Exception {
        int timers = h.numEventTimeTimers();
        request("e1", threePageviewsIn(7), 10_000);
        List<EstimatePart> parts = parts();
        assertThat(parts).hasSize(1);
        EstimatePart p = parts.get(0);
        assertThat(p.error()).isNull();
        assertThat(p.subtasks()).isEqualTo(1);
        assertThat(p.population()).isEqualTo(USERS); // the other workspace's users are not counted
        assertThat(p.sampled()).isEqualTo(USERS);
        assertThat(p.matched()).isEqualTo(USERS / 3);
        // No membership and no timer: evaluated from state, not applied to it.
        assertThat(h.getOutput()).isEmpty();
        assertThat(h.numEventTimeTimers()).isEqualTo(timers);

        // Published, the same definition makes as many members.
        h.processBroadcastElement(
                segment("ws", "readers", 1, 0, true, false, threePageviewsIn(7), offset++), 0);
        TestRecords.sweep(h);
        long entered =
                h.extractOutputValues().stream()
                        .filter(m -> m.valueText().contains("\"readers\""))
                        .count();
        assertThat(entered).isEqualTo(p.matched());
    }

    @Test
    void a_smaller_sample_gives_an_interval_around_the_true_size() throws Exception {
        request("e2", threePageviewsIn(7), 60);
        EstimatePart p = parts().get(0);
        assertThat(p.population()).isEqualTo(USERS);
        assertThat(p.sampled()).isEqualTo(60);
        AudienceEstimate e =
                AudienceEstimate.of(
                        List.of(
                                new AudienceEstimate.Stratum(
                                        p.population(), p.sampled(), p.matched())));
        assertThat(e.exact()).isFalse();
        assertThat(e.low()).isLessThanOrEqualTo(USERS / 3);
        assertThat(e.high()).isGreaterThanOrEqualTo(USERS / 3);
    }

    @Test
    void a_draft_references_the_live_segments_and_an_unknown_reference_is_an_error()
            throws Exception {
        String buyersWhoRead =
                "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":"
                        + "\"container\",\"context\":\"visitors\",\"pred\":{\"func\":\"and\","
                        + "\"preds\":[{\"func\":\"segment-ref\",\"id\":\"buyer\"},"
                        + "{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\",\"name\":"
                        + "\"metrics/Pageview\"}}]}}}";
        request("e3", buyersWhoRead, 10_000);
        request("e4", buyersWhoRead.replace("\"buyer\"", "\"nobody\""), 10_000);
        List<EstimatePart> parts = parts();
        assertThat(parts).extracting(EstimatePart::requestId).containsExactly("e3", "e4");
        assertThat(parts.get(0).matched()).isEqualTo(USERS / 4);
        assertThat(parts.get(1).error().code()).isEqualTo("invalid_request");
        assertThat(parts.get(1).error().message()).contains("nobody");
    }

    @Test
    void a_request_past_its_deadline_is_skipped_and_one_too_many_is_answered_busy()
            throws Exception {
        request("late", threePageviewsIn(7), 10, h.getProcessingTime() - 1);
        for (int i = 0; i <= DraftEstimates.MAX_QUEUED; i++) {
            request("q" + i, threePageviewsIn(7), 10);
        }
        List<EstimatePart> parts = parts();
        assertThat(parts).extracting(EstimatePart::requestId).doesNotContain("late");
        EstimatePart busy = parts.get(0); // answered as it arrived
        assertThat(busy.requestId()).isEqualTo("q" + DraftEstimates.MAX_QUEUED);
        assertThat(busy.error().code()).isEqualTo(EstimatePart.BUSY);
        assertThat(parts.subList(1, parts.size()))
                .extracting(EstimatePart::requestId)
                .containsExactly("q0", "q1", "q2", "q3");
    }

    @Test
    void an_unreadable_request_goes_to_the_dead_letter_topic() throws Exception {
        h.processBroadcastElement(
                DefinitionUpdate.estimate("bad", "{not json".getBytes(), offset++), 0);
        List<KafkaMessage> dead = new ArrayList<>();
        for (StreamRecord<KafkaMessage> r : h.getSideOutput(Descriptors.SIDE)) {
            if (r.getValue().topic.equals(TOPICS.deadLetter())) {
                dead.add(r.getValue());
            }
        }
        assertThat(dead).hasSize(1);
        assertThat(dead.get(0).valueText())
                .contains("invalid_request")
                .contains(TOPICS.estimates());
    }
}
