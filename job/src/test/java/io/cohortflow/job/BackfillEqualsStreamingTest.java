package io.cohortflow.job;

import static io.cohortflow.job.TestRecords.DAY;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.core.definition.DefinitionWriter;
import io.cohortflow.core.eval.RandomDefinitionsAccess;
import io.cohortflow.core.event.Event;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The operator's two modes against each other over many generated histories (seeded): streaming
 * (events in arrival order, slightly out of order, the watermark following them) and backfill (each
 * user's events in time order, then the user's timers up to the end, as batch mode runs them) end
 * in the same memberships. The mini-cluster version with Kafka and files is {@link BackfillTest};
 * this one covers many more histories in a second.
 */
class BackfillEqualsStreamingTest {
    private static final TopicNames TOPICS = TopicNames.DEFAULT;
    private static final long HORIZON = 90 * DAY;

    private record Arrival(String user, Event event, long at) {}

    @Test
    void backfill_and_streaming_end_in_the_same_memberships() throws Exception {
        int members = 0;
        for (long seed = 0; seed < 60; seed++) {
            Random r = new Random(seed);
            long start = Instant.parse("2026-10-01T00:00:00Z").toEpochMilli();
            long until = start + 20 * DAY;
            List<DefinitionUpdate> defs = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                String json =
                        DefinitionWriter.write(RandomDefinitionsAccess.definition(r)).toString();
                defs.add(TestRecords.segment("ws", "s" + i, 1, 0, true, false, json, i));
            }
            List<Arrival> arrivals = new ArrayList<>();
            for (int u = 0; u < 6; u++) {
                long t = start + r.nextInt(3 * 86_400) * 1000L;
                for (int i = 0, n = 3 + r.nextInt(20); i < n && t < until; i++) {
                    arrivals.add(
                            new Arrival(
                                    "u" + u,
                                    RandomDefinitionsAccess.event(r, t),
                                    t + r.nextInt(3_600_000)));
                    t += r.nextInt(3) == 0 ? r.nextInt((int) (2 * DAY)) : r.nextInt(3_600_000);
                }
            }
            Set<String> streaming = streaming(defs, arrivals, until);
            Set<String> backfill = backfill(defs, arrivals, until);
            assertThat(backfill).as("seed %d", seed).isEqualTo(streaming);
            assertThat(buffered(defs, arrivals, until))
                    .as("seed %d, events before the definitions", seed)
                    .isEqualTo(backfill);
            members += backfill.size();
        }
        assertThat(members).as("histories where someone is in a segment").isGreaterThan(60);
    }

    /**
     * A lapse at the backfill's end instant, and an event at that very instant: the streaming job
     * applies the event first (the lapse's timer fires once the watermark reaches the instant,
     * after every event at it), so the member stays in. The backfill leaves that lapse to the job
     * it bootstraps, as it leaves it the event: were the backfill to apply it, the bootstrapped job
     * would report the user exited and entered again at that instant, which the streaming job alone
     * never does.
     */
    @Test
    void a_lapse_at_the_end_instant_is_left_with_the_events_there_to_the_bootstrapped_job()
            throws Exception {
        DefinitionUpdate minute =
                TestRecords.segment(
                        "ws",
                        "minute",
                        1,
                        0,
                        true,
                        false,
                        TestRecords.pageviewInTheLastMinute(),
                        0);
        long first = Instant.parse("2026-10-01T00:00:00Z").toEpochMilli();
        Event pageview = new Event("Pageview", first, java.util.Map.of(), null, null);
        // The instant the first page view's membership lapses, found by the streaming job.
        long lapse;
        try (var h = harness(SegmentationSettings.of(JobConfig.defaults(), 0, false))) {
            broadcast(h, minute);
            h.processBroadcastWatermark(new Watermark(Long.MAX_VALUE));
            h.processElement(inbound("u", pageview), first);
            h.processWatermark(new Watermark(first + DAY));
            lapse =
                    changes(h.extractOutputValues()).stream()
                            .filter(c -> c.startsWith("exited"))
                            .map(c -> Instant.parse(c.substring("exited ".length())).toEpochMilli())
                            .findFirst()
                            .orElseThrow();
        }
        Event again = new Event("Pageview", lapse, java.util.Map.of(), null, null);

        // The streaming job alone: entered at the first page view, and no change at the second.
        List<String> streaming;
        try (var h = harness(SegmentationSettings.of(JobConfig.defaults(), 0, false))) {
            broadcast(h, minute);
            h.processBroadcastWatermark(new Watermark(Long.MAX_VALUE));
            h.processElement(inbound("u", pageview), first);
            h.processElement(inbound("u", again), lapse);
            h.processWatermark(new Watermark(lapse));
            streaming = changes(h.extractOutputValues());
        }
        assertThat(streaming).containsExactly("entered " + Instant.ofEpochMilli(first));

        // A backfill up to that instant, then the job it bootstraps takes the second page view.
        org.apache.flink.runtime.checkpoint.OperatorSubtaskState savepoint;
        List<String> backfilled;
        try (var h =
                harness(
                        SegmentationSettings.backfill(
                                JobConfig.defaults(), Long.MIN_VALUE, lapse))) {
            broadcast(h, minute);
            h.processBroadcastWatermark(new Watermark(Long.MAX_VALUE));
            h.processElement(inbound("u", pageview), first);
            h.processWatermark(new Watermark(lapse)); // its timers up to its end
            backfilled = changes(h.extractOutputValues());
            assertThat(h.getSideOutput(Descriptors.SNAPSHOT))
                    .as("a member just before the end")
                    .hasSize(1);
            savepoint = h.snapshot(1, 1);
        }
        assertThat(backfilled).containsExactly("entered " + Instant.ofEpochMilli(first));
        var boot =
                new KeyedBroadcastOperatorTestHarness<>(
                        new SegmentationOperator(
                                new SegmentationFunction(
                                        SegmentationSettings.of(JobConfig.defaults(), 0, false)
                                                .countingFrom(lapse))),
                        Inbound::getKey,
                        Types.STRING,
                        1,
                        1,
                        0);
        try (boot) {
            boot.setProcessingTime(Instant.parse("2026-12-01T00:00:00Z").toEpochMilli());
            boot.initializeState(savepoint);
            boot.open();
            boot.processBroadcastWatermark(new Watermark(Long.MAX_VALUE));
            boot.processElement(inbound("u", again), lapse);
            boot.processWatermark(new Watermark(lapse));
            assertThat(changes(boot.extractOutputValues())).isEmpty();
            boot.processWatermark(new Watermark(lapse + DAY));
            assertThat(changes(boot.extractOutputValues()))
                    .as("the second page view's lapse, as streaming would")
                    .hasSize(1)
                    .allMatch(c -> c.startsWith("exited "));
        }
    }

    /**
     * The job a backfill bootstraps reads the definitions log afresh; the backfill may have read
     * them in another order (a definitions file, records compacted away meanwhile). Its profiles
     * are written under the backfill's numbers of segments and counter stores, so the job takes
     * those (the cut-over's numbering): numbered in its own reading order, the buyer below would
     * read the reader's counter and be answered a reader.
     */
    @Test
    void a_bootstrapped_job_numbers_segments_as_its_backfill_did_whatever_order_it_reads_them()
            throws Exception {
        String reads = TestRecords.threePageviewsIn(30).replace("\"at_least\":3", "\"at_least\":1");
        long t = Instant.parse("2026-10-01T00:00:00Z").toEpochMilli();
        long until = t + DAY;
        // The backfill's file: the reader first.
        SegmentationFunction backfill =
                new SegmentationFunction(
                        SegmentationSettings.backfill(JobConfig.defaults(), Long.MIN_VALUE, until));
        org.apache.flink.runtime.checkpoint.OperatorSubtaskState snapshot;
        try (var h = harness(backfill)) {
            broadcast(h, TestRecords.segment("ws", "reader", 1, 0, true, false, reads, 0));
            broadcast(
                    h,
                    TestRecords.segment(
                            "ws", "buyer", 1, 0, true, false, TestRecords.everPurchased(), 1));
            h.processBroadcastWatermark(new Watermark(Long.MAX_VALUE));
            h.processElement(
                    inbound("u", new Event("Purchase", t, java.util.Map.of(), null, null)), t);
            h.processWatermark(new Watermark(until));
            snapshot = h.snapshot(1, 1);
        }
        // A bootstrap savepoint holds keyed state and timers only, no broadcast state.
        var keyed =
                org.apache.flink.runtime.checkpoint.OperatorSubtaskState.builder()
                        .setManagedKeyedState(snapshot.getManagedKeyedState())
                        .setRawKeyedState(snapshot.getRawKeyedState())
                        .build();

        // The topic: the buyer first.
        var boot =
                new KeyedBroadcastOperatorTestHarness<>(
                        new SegmentationOperator(
                                new SegmentationFunction(
                                        SegmentationSettings.of(JobConfig.defaults(), 0, false)
                                                .countingFrom(until)
                                                .numberedAs(backfill.numbering()))),
                        Inbound::getKey,
                        Types.STRING,
                        1,
                        1,
                        0);
        try (boot) {
            boot.setProcessingTime(Instant.parse("2026-12-01T00:00:00Z").toEpochMilli());
            boot.initializeState(keyed);
            boot.open();
            broadcast(
                    boot,
                    TestRecords.segment(
                            "ws", "buyer", 1, 0, true, false, TestRecords.everPurchased(), 0));
            broadcast(boot, TestRecords.segment("ws", "reader", 1, 0, true, false, reads, 1));
            boot.processBroadcastWatermark(new Watermark(Long.MAX_VALUE));
            boot.processElement(
                    TestRecords.inbound(
                            TestRecords.envelope(
                                    "ws", "u", "request-1", TestRecords.event("Other", until))),
                    until);
            List<String> cohorts = new ArrayList<>();
            for (KafkaMessage m : boot.extractOutputValues()) {
                JsonNode j = Json.MAPPER.readTree(m.value);
                if (j.has("change")) {
                    cohorts.add(j.get("change").asText() + " " + j.get("segment_id").asText());
                } else if (j.has("cohorts")) {
                    j.get("cohorts").forEach(c -> cohorts.add("reply " + c.asText()));
                }
            }
            for (JsonNode reply : TestRecords.side(boot, JobConfig.defaults().topics().replies())) {
                if (reply.has("cohorts")) {
                    reply.get("cohorts").forEach(c -> cohorts.add("reply " + c.asText()));
                }
            }
            assertThat(cohorts).containsExactly("reply buyer");
        }
    }

    /** The membership transitions among the operator's output, as "change time". */
    private static List<String> changes(List<KafkaMessage> out) throws Exception {
        List<String> changes = new ArrayList<>();
        for (KafkaMessage m : out) {
            JsonNode j = Json.MAPPER.readTree(m.value);
            if (j.has("change")) {
                changes.add(j.get("change").asText() + " " + j.get("time").asText());
            }
        }
        return changes;
    }

    /**
     * Streaming where half the events arrive before the definitions are read to their end (the job
     * buffers them; then users catch up at their next event or when the sweep visits them).
     */
    private static Set<String> buffered(List<DefinitionUpdate> defs, List<Arrival> in, long until)
            throws Exception {
        var h = harness(SegmentationSettings.of(JobConfig.defaults(), defs.size(), false));
        try (h) {
            List<Arrival> byArrival = new ArrayList<>(in);
            byArrival.sort(Comparator.comparingLong(Arrival::at));
            long max = Long.MIN_VALUE;
            int half = byArrival.size() / 2;
            for (int i = 0; i < byArrival.size(); i++) {
                if (i == half) {
                    defs.forEach(d -> broadcast(h, d));
                    h.processBroadcastWatermark(new Watermark(Long.MAX_VALUE));
                }
                if (i == half + half / 2) {
                    TestRecords.sweep(h); // half-way through the rest, quiet users catch up
                }
                Arrival a = byArrival.get(i);
                h.processElement(inbound(a.user(), a.event()), a.event().time());
                max = Math.max(max, a.event().time());
                h.processWatermark(new Watermark(max - 1));
            }
            // Through the instant before the end: what is at the end is the next job's (below).
            h.processWatermark(new Watermark(until - 1));
            return members(h.extractOutputValues());
        }
    }

    /** The memberships the transitions leave, as {@code user|segment}. */
    private static Set<String> members(List<KafkaMessage> transitions) throws Exception {
        Set<String> members = new TreeSet<>();
        for (KafkaMessage m : transitions) {
            JsonNode j = Json.MAPPER.readTree(m.value);
            String k = j.get("user_id").asText() + "|" + j.get("segment_id").asText();
            if (j.get("change").asText().equals("entered")) {
                members.add(k);
            } else {
                members.remove(k);
            }
        }
        return members;
    }

    private static Set<String> streaming(List<DefinitionUpdate> defs, List<Arrival> in, long until)
            throws Exception {
        var h = harness(SegmentationSettings.of(JobConfig.defaults(), 0, false));
        try (h) {
            defs.forEach(d -> broadcast(h, d));
            // As the job's definitions source: it never holds the watermark back.
            h.processBroadcastWatermark(new Watermark(Long.MAX_VALUE));
            List<Arrival> byArrival = new ArrayList<>(in);
            byArrival.sort(Comparator.comparingLong(Arrival::at));
            long max = Long.MIN_VALUE;
            for (Arrival a : byArrival) {
                h.processElement(inbound(a.user(), a.event()), a.event().time());
                max = Math.max(max, a.event().time());
                h.processWatermark(new Watermark(max - 1)); // no out-of-orderness allowed
            }
            // Through the instant before the end: what is at the end is the next job's (below).
            h.processWatermark(new Watermark(until - 1));
            return members(h.extractOutputValues());
        }
    }

    private static Set<String> backfill(List<DefinitionUpdate> defs, List<Arrival> in, long until)
            throws Exception {
        var h = harness(SegmentationSettings.backfill(JobConfig.defaults(), Long.MIN_VALUE, until));
        try (h) {
            defs.forEach(d -> broadcast(h, d));
            // As the job's definitions source: it never holds the watermark back.
            h.processBroadcastWatermark(new Watermark(Long.MAX_VALUE));
            List<Arrival> byUserAndTime = new ArrayList<>(in);
            byUserAndTime.sort(
                    Comparator.comparing(Arrival::user).thenComparingLong(a -> a.event().time()));
            for (Arrival a : byUserAndTime) {
                h.processElement(inbound(a.user(), a.event()), a.event().time());
            }
            h.processWatermark(new Watermark(until)); // every user's timers up to the end
            Set<String> members = new TreeSet<>();
            var snapshot = h.getSideOutput(Descriptors.SNAPSHOT);
            for (StreamRecord<KafkaMessage> m :
                    snapshot == null ? List.<StreamRecord<KafkaMessage>>of() : snapshot) {
                JsonNode j = Json.MAPPER.readTree(m.getValue().value);
                members.add(j.get("user_id").asText() + "|" + j.get("segment_id").asText());
            }
            return members;
        }
    }

    private static KeyedBroadcastOperatorTestHarness<
                    String, Inbound, DefinitionUpdate, KafkaMessage>
            harness(SegmentationSettings settings) throws Exception {
        return harness(new SegmentationFunction(settings));
    }

    private static KeyedBroadcastOperatorTestHarness<
                    String, Inbound, DefinitionUpdate, KafkaMessage>
            harness(SegmentationFunction function) throws Exception {
        var h =
                new KeyedBroadcastOperatorTestHarness<>(
                        new SegmentationOperator(function), Inbound::getKey, Types.STRING, 1, 1, 0);
        h.setProcessingTime(Instant.parse("2026-12-01T00:00:00Z").toEpochMilli());
        h.open();
        return h;
    }

    private static void broadcast(
            KeyedBroadcastOperatorTestHarness<String, Inbound, DefinitionUpdate, KafkaMessage> h,
            DefinitionUpdate d) {
        try {
            h.processBroadcastElement(d, 0);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Inbound inbound(String user, Event e) {
        return TestRecords.inbound(TestRecords.envelope("ws", user, List.of(e)));
    }
}
