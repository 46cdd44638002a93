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

    private static int deadLetters(
            KeyedBroadcastOperatorTestHarness<String, Inbound, DefinitionUpdate, KafkaMessage> h) {
        var q = h.getSideOutput(Descriptors.SIDE);
        return q == null
                ? 0
                : (int)
                        q.stream()
                                .filter(r -> r.getValue().topic.equals(TOPICS.deadLetter()))
                                .count();
    }

    /** The applied reports of the harness, as "segment offset". */
    private static List<String> applied(
            KeyedBroadcastOperatorTestHarness<String, Inbound, DefinitionUpdate, KafkaMessage> h)
            throws Exception {
        List<String> out = new ArrayList<>();
        var q = h.getSideOutput(Descriptors.SIDE);
        if (q != null) {
            for (StreamRecord<KafkaMessage> r : q) {
                if (r.getValue().topic.equals(TOPICS.applied())) {
                    JsonNode n = Json.MAPPER.readTree(r.getValue().value);
                    if (n.get("status").asText().equals("applied")) {
                        out.add(n.get("id").asText() + " " + n.get("offset").asLong());
                    }
                }
            }
        }
        return out;
    }

    /**
     * A user the sweep cannot bring up to the definitions is visited before a failure: the sweep
     * resumed after the restore does not visit them again, and still does not report applied.
     */
    @Test
    void a_sweep_that_failed_on_a_user_before_a_restore_is_not_reported_applied_after_it()
            throws Exception {
        var h = harness(0, 1, 0, null);
        String broken = userIn(0, 10);
        List<String> others =
                List.of(userIn(20, 40), userIn(50, 70), userIn(80, 100), userIn(110, 127));
        String[] events = new String[10];
        for (int i = 0; i < events.length; i++) {
            events[i] = event("Purchase", T0 + i);
        }
        h.processElement(inbound(envelope("ws", broken, null, events)), T0);
        for (String u : others) {
            h.processElement(inbound(envelope("ws", u, null, event("Purchase", T0))), T0);
        }
        // The broken user's sealed history chunks are lost: bringing them up to a new definition
        // reads them, and throws.
        var backend = h.getOperator().getKeyedStateBackend();
        backend.setCurrentKey("ws/" + broken);
        backend.getPartitionedState(
                        org.apache.flink.runtime.state.VoidNamespace.INSTANCE,
                        org.apache.flink.runtime.state.VoidNamespaceSerializer.INSTANCE,
                        Descriptors.HISTORY_CHUNKS)
                .clear();
        h.processBroadcastElement(
                segment("ws", "buyers", 1, 0, true, false, everPurchased(), 0), 0);
        // One user per slice, records between them, until the sweep is past the broken user's
        // key group (it entered a user of a later one).
        for (int i = 0; entered(h).isEmpty(); i++) {
            h.processElement(inbound(envelope("other", "x" + i, null, event("Pageview", T0))), T0);
            h.setProcessingTime(h.getProcessingTime() + DefinitionsSweep.BUSY_PAUSE_MILLIS);
        }
        assertThat(deadLetters(h)).isEqualTo(1);
        int before = entered(h).size();
        OperatorSubtaskState snap = h.snapshot(1, 1);
        h.close();

        var r = harness(0, 1, 0, snap);
        TestRecords.sweep(r);
        assertThat(before + entered(r).size()).isEqualTo(others.size());
        assertThat(deadLetters(r)).as("the broken user is not visited again").isZero();
        assertThat(appliedStatuses(r)).doesNotContain("applied");
        r.close();
    }

    /**
     * Rescaled 2 -> 3 after old subtask 0 reported the second record applied and old subtask 1 only
     * the first: each new subtask holds users of both, sweeps, and reports the second, the first no
     * more.
     */
    @Test
    void after_a_rescale_each_subtask_reports_what_not_every_old_subtask_had_reported()
            throws Exception {
        OperatorSubtaskState[] snaps = new OperatorSubtaskState[2];
        for (int s = 0; s < 2; s++) {
            var h = harness(0, 2, s, null);
            h.processBroadcastElement(
                    segment("ws", "buyers", 1, 0, true, false, everPurchased(), 0), 0);
            TestRecords.sweep(h);
            h.processBroadcastElement(
                    segment("ws", "other", 1, 0, true, false, everPurchased(), 1), 0);
            if (s == 0) {
                TestRecords.sweep(h);
                assertThat(applied(h)).containsExactly("buyers 0", "other 1");
            } else {
                assertThat(applied(h)).containsExactly("buyers 0"); // its sweep to 1 not run yet
            }
            snaps[s] = h.snapshot(1, 1);
            h.close();
        }
        OperatorSubtaskState all = AbstractStreamOperatorTestHarness.repackageState(snaps);
        for (int s = 0; s < 3; s++) {
            var n =
                    harness(
                            0,
                            3,
                            s,
                            AbstractStreamOperatorTestHarness.repartitionOperatorState(
                                    all, 128, 2, 3, s));
            TestRecords.sweep(n);
            assertThat(applied(n)).as("subtask %d of 3", s).containsExactly("other 1");
            n.close();
        }
    }

    @Test
    void a_cursor_saved_before_failures_were_counted_sweeps_again_and_keeps_its_report()
            throws Exception {
        var h = harness(0, 1, 0, null);
        h.processElement(inbound(envelope("ws", "u1", null, event("Purchase", T0))), T0);
        h.processBroadcastElement(
                segment("ws", "buyers", 1, 0, true, false, everPurchased(), 0), 0);
        h.processBroadcastElement(segment("ws", "other", 1, 0, true, false, everPurchased(), 1), 0);
        // As a job from before the union cursor left it: reported through 0, a sweep to 1 under
        // way, past key group 5.
        h.getOperator()
                .getOperatorStateBackend()
                .getListState(Descriptors.SWEEP_BEFORE_FAILURES)
                .update(List.of(1L, 0L, 5L, 0L, 1L, 0L));
        OperatorSubtaskState snap = h.snapshot(1, 1);
        h.close();

        var r = harness(0, 1, 0, snap);
        assertThat(
                        r.getOperator()
                                .getOperatorStateBackend()
                                .getListState(Descriptors.SWEEP_BEFORE_FAILURES)
                                .get())
                .isEmpty();
        TestRecords.sweep(r);
        assertThat(entered(r)).containsExactly("u1", "u1"); // the sweep started over
        assertThat(applied(r)).containsExactly("other 1");
        r.close();
    }
}
