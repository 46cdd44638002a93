package io.cohortflow.job;

import static io.cohortflow.job.TestRecords.T0;
import static io.cohortflow.job.TestRecords.envelope;
import static io.cohortflow.job.TestRecords.event;
import static io.cohortflow.job.TestRecords.everPurchased;
import static io.cohortflow.job.TestRecords.inbound;
import static io.cohortflow.job.TestRecords.segment;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.core.eval.CompiledSegment;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * One definitions log, read three ways: by the live job record by record, by a job restored from
 * the live job's state, and by a job started without state. All end with the same catalog, and no
 * applied report calls a segment live that is not.
 */
class DefinitionsReplayTest {
    private static final TopicNames TOPICS = TopicNames.DEFAULT;

    private static final String REF_BUYERS =
            "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\","
                    + "\"context\":\"visitors\",\"pred\":{\"func\":\"segment-ref\",\"id\":\"buyers\"}}}";

    /**
     * buyers; refbuyers, referencing it; buyers force-deleted, which takes refbuyers out with it;
     * buyers published again.
     */
    private static final List<DefinitionUpdate> LOG =
            List.of(
                    segment("ws", "buyers", 1, 0, true, false, everPurchased(), 0),
                    segment("ws", "refbuyers", 1, 0, true, false, REF_BUYERS, 1),
                    segment("ws", "buyers", 2, 1, true, true, everPurchased(), 2),
                    segment("ws", "buyers", 3, 2, true, false, everPurchased(), 3));

    private static KeyedBroadcastOperatorTestHarness<
                    String, Inbound, DefinitionUpdate, KafkaMessage>
            job(long definitionsEnd, @Nullable OperatorSubtaskState snapshot) throws Exception {
        return TestRecords.operator(
                definitionsEnd, SegmentationOperator.SLICE_NANOS, 1, 0, snapshot);
    }

    @Test
    void a_referrer_removed_with_what_it_references_stays_removed_however_the_log_is_read()
            throws Exception {
        var live = job(0, null);
        for (DefinitionUpdate u : LOG) {
            live.processBroadcastElement(u, 0);
        }
        // The referrer went with buyers' deletion: reported so, never live.
        List<String> refbuyers = new ArrayList<>();
        for (JsonNode n : side(live, TOPICS.applied())) {
            if (n.get("id").asText().equals("refbuyers")) {
                refbuyers.add(n.get("offset").asLong() + " " + n.get("status").asText());
            }
        }
        assertThat(refbuyers).containsExactly("1 live", "2 rejected");

        var restored = job(0, live.snapshot(1, 1));
        var fresh = job(LOG.size(), null);
        for (DefinitionUpdate u : LOG) {
            fresh.processBroadcastElement(u, 0);
        }
        for (var h : List.of(live, restored, fresh)) {
            assertThat(held(h)).containsExactly("buyers@3");
            h.processElement(inbound(envelope("ws", "u1", "r1", event("Purchase", T0))), T0);
            assertThat(side(h, TOPICS.replies()).get(0).get("cohorts"))
                    .extracting(JsonNode::asText)
                    .containsExactly("buyers");
            h.close();
        }
    }

    /** The segments of ws the job evaluates users against, as id@version. */
    private static List<String> held(
            KeyedBroadcastOperatorTestHarness<String, Inbound, DefinitionUpdate, KafkaMessage> h)
            throws Exception {
        SegmentationFunction f =
                (SegmentationFunction) ((SegmentationOperator) h.getOperator()).getUserFunction();
        // A restored job builds its catalogs from broadcast state when first asked.
        h.processElement(inbound(envelope("other", "nobody", null, event("Pageview", T0))), T0);
        List<String> out = new ArrayList<>();
        for (CompiledSegment s : f.definitions().catalog("ws").segments()) {
            out.add(s.id() + "@" + s.version());
        }
        return out;
    }

    private static List<JsonNode> side(
            KeyedBroadcastOperatorTestHarness<String, Inbound, DefinitionUpdate, KafkaMessage> h,
            String topic)
            throws Exception {
        return TestRecords.side(h, topic);
    }
}
