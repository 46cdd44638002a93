package io.cohortflow.job;

import static io.cohortflow.job.TestRecords.DAY;
import static io.cohortflow.job.TestRecords.T0;
import static io.cohortflow.job.TestRecords.envelope;
import static io.cohortflow.job.TestRecords.event;
import static io.cohortflow.job.TestRecords.inbound;
import static io.cohortflow.job.TestRecords.segment;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.core.eval.UserProfile;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
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

    /**
     * u1 of workspace ws, a member of the sequence segment "seq" from ten events up to {@code T0 +
     * 9}, whose sealed history chunks are then lost: the lapse of the segment, which reads them,
     * throws.
     */
    private void aMemberWhoseLapseFails() throws Exception {
        h.processBroadcastElement(
                segment("ws", "seq", 1, 0, true, false, viewThenPurchaseInADay(), 0), 0);
        String[] events = new String[10];
        for (int i = 0; i < 9; i++) {
            events[i] = event("Pageview", T0 + i);
        }
        events[9] = event("Purchase", T0 + 9);
        h.processElement(inbound(envelope("ws", "u1", null, events)), T0);
        assertThat(memberships())
                .extracting(m -> m.get("segment_id").asText() + " " + m.get("change").asText())
                .containsExactly("seq entered");
        assertThat(profile().historyChunks()).isPositive();
        var backend = h.getOperator().getKeyedStateBackend();
        backend.setCurrentKey("ws/u1");
        backend.getPartitionedState(
                        VoidNamespace.INSTANCE,
                        VoidNamespaceSerializer.INSTANCE,
                        Descriptors.HISTORY_CHUNKS)
                .clear();
        h.getOutput().clear();
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

    // ---- helpers -----------------------------------------------------------------------------

    /** Event time moves to {@code t} (the definitions source's watermark is at the end). */
    private void watermark(long t) throws Exception {
        h.processBroadcastWatermark(new Watermark(Long.MAX_VALUE));
        h.processWatermark(new Watermark(t));
    }

    private UserProfile profile() throws Exception {
        var backend = h.getOperator().getKeyedStateBackend();
        backend.setCurrentKey("ws/u1");
        return backend.getPartitionedState(
                        VoidNamespace.INSTANCE,
                        VoidNamespaceSerializer.INSTANCE,
                        Descriptors.PROFILE)
                .value();
    }

    private List<JsonNode> memberships() throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (KafkaMessage m : h.extractOutputValues()) {
            out.add(Json.MAPPER.readTree(m.value));
        }
        return out;
    }

    private List<JsonNode> side(String topic) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        var q = h.getSideOutput(Descriptors.SIDE);
        if (q != null) {
            for (StreamRecord<KafkaMessage> r : q) {
                if (r.getValue().topic.equals(topic)) {
                    out.add(Json.MAPPER.readTree(r.getValue().value));
                }
            }
        }
        return out;
    }
}
