package io.cohortflow.job;

import static io.cohortflow.job.TestRecords.T0;
import static io.cohortflow.job.TestRecords.envelope;
import static io.cohortflow.job.TestRecords.event;
import static io.cohortflow.job.TestRecords.everPurchased;
import static io.cohortflow.job.TestRecords.inbound;
import static io.cohortflow.job.TestRecords.segment;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** The sweep across restores: not ready yet, and rescaled. */
class SweepRestoreTest {
    private static final TopicNames TOPICS = TopicNames.DEFAULT;

    /** The streaming operator, one user per slice (see {@link TestRecords#operator}). */
    private static KeyedBroadcastOperatorTestHarness<
                    String, Inbound, DefinitionUpdate, KafkaMessage>
            harness(
                    long definitionsEnd,
                    int parallelism,
                    int subtask,
                    OperatorSubtaskState snapshot)
                    throws Exception {
        return TestRecords.operator(definitionsEnd, 0, parallelism, subtask, snapshot);
    }

    private static List<String> entered(
            KeyedBroadcastOperatorTestHarness<String, Inbound, DefinitionUpdate, KafkaMessage> h)
            throws Exception {
        List<String> out = new ArrayList<>();
        for (KafkaMessage m : h.extractOutputValues()) {
            out.add(Json.MAPPER.readTree(m.value).get("user_id").asText());
        }
        return out;
    }

    private static List<String> appliedStatuses(
            KeyedBroadcastOperatorTestHarness<String, Inbound, DefinitionUpdate, KafkaMessage> h)
            throws Exception {
        List<String> out = new ArrayList<>();
        var q = h.getSideOutput(Descriptors.SIDE);
        if (q != null) {
            for (StreamRecord<KafkaMessage> r : q) {
                if (r.getValue().topic.equals(TOPICS.applied())) {
                    JsonNode n = Json.MAPPER.readTree(r.getValue().value);
                    out.add(n.get("status").asText());
                }
            }
        }
        return out;
    }

    private static int group(String user) throws Exception {
        return KeyGroupRangeAssignment.assignToKeyGroup(
                inbound(envelope("ws", user, null, event("Purchase", T0))).getKey(), 128);
    }

    private static String userIn(int from, int to) throws Exception {
        for (int i = 0; ; i++) {
            int g = group("u" + i);
            if (g >= from && g <= to) {
                return "u" + i;
            }
        }
    }

    /** Restored mid-sweep into a job that has not read its definitions yet: the sweep waits. */
    @Test
    void a_sweep_restored_before_the_definitions_are_read_waits_for_them() throws Exception {
        var h = harness(0, 1, 0, null);
        for (int u = 0; u < 20; u++) {
            h.processElement(inbound(envelope("ws", "u" + u, null, event("Purchase", T0))), T0);
        }
        h.processBroadcastElement(
                segment("ws", "buyers", 1, 0, true, false, everPurchased(), 0), 0);
        h.setProcessingTime(h.getProcessingTime() + 1); // one slice: one user
        assertThat(entered(h)).hasSize(1);
        OperatorSubtaskState snap = h.snapshot(1, 1);
        h.close();

        // Resubmitted from that savepoint; the definitions topic has grown to 2 records meanwhile.
        var r = harness(2, 1, 0, snap);
        for (int i = 0; i < 50; i++) {
            r.setProcessingTime(r.getProcessingTime() + 100);
        }
        assertThat(entered(r)).isEmpty(); // nobody can be evaluated yet ...
        assertThat(appliedStatuses(r)).doesNotContain("applied"); // ... nor said to be
        r.processBroadcastElement(segment("ws", "other", 1, 0, true, false, everPurchased(), 1), 0);
        TestRecords.sweep(r);
        // The other 19 users in both segments, the one visited before the failure in "other".
        assertThat(entered(r)).hasSize(19 * 2 + 1);
        assertThat(appliedStatuses(r)).contains("applied");
        r.close();
    }

    /**
     * Rescaled 5 -> 6: new subtask 1 takes old subtask 1's sweep state (a finished sweep) and old
     * subtask 0's key groups 22..25, whose users old subtask 0 had not reached yet: it sweeps
     * again.
     */
    @Test
    void a_rescale_sweeps_the_key_groups_handed_over() throws Exception {
        String a = userIn(0, 21); // old 0, new 0
        String b = userIn(22, 25); // old 0, new 1
        String c = userIn(26, 42); // old 1, new 1
        OperatorSubtaskState[] snaps = new OperatorSubtaskState[5];

        var h0 = harness(0, 5, 0, null);
        h0.processElement(inbound(envelope("ws", a, null, event("Purchase", T0))), T0);
        h0.processElement(inbound(envelope("ws", b, null, event("Purchase", T0))), T0);
        h0.processBroadcastElement(
                segment("ws", "buyers", 1, 0, true, false, everPurchased(), 0), 0);
        h0.setProcessingTime(h0.getProcessingTime() + 1); // one slice: a only
        assertThat(entered(h0)).containsExactly(a);
        snaps[0] = h0.snapshot(1, 1);
        h0.close();

        for (int s = 1; s < 5; s++) {
            var hs = harness(0, 5, s, null);
            if (s == 1) {
                hs.processElement(inbound(envelope("ws", c, null, event("Purchase", T0))), T0);
            }
            hs.processBroadcastElement(
                    segment("ws", "buyers", 1, 0, true, false, everPurchased(), 0), 0);
            TestRecords.sweep(hs);
            snaps[s] = hs.snapshot(1, 1);
            hs.close();
        }
        OperatorSubtaskState all = AbstractStreamOperatorTestHarness.repackageState(snaps);

        var n1 =
                harness(
                        0,
                        6,
                        1,
                        AbstractStreamOperatorTestHarness.repartitionOperatorState(
                                all, 128, 5, 6, 1));
        TestRecords.sweep(n1);
        for (int i = 0; i < 50; i++) {
            n1.setProcessingTime(n1.getProcessingTime() + 100);
        }
        // b purchased before "buyers" existed and is held by new subtask 1: its sweep reaches b.
        assertThat(entered(n1)).contains(b);
        n1.close();

        var n0 =
                harness(
                        0,
                        6,
                        0,
                        AbstractStreamOperatorTestHarness.repartitionOperatorState(
                                all, 128, 5, 6, 0));
        TestRecords.sweep(n0);
        assertThat(entered(n0)).doesNotContain(b); // not its key group
        assertThat(appliedStatuses(n0)).contains("applied");
        n0.close();
    }
}
