package io.cohortflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.event.Event;
import io.cohortflow.job.backfill.Backfill;
import io.cohortflow.job.backfill.BackfillOptions;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Events of one user at one instant, in separate records (a warehouse export of one-second
 * precision): the streaming job evaluates them in arrival order, and so must the backfill, in its
 * documented order (docs/backfill.md, "Ties": by file, then line). Batch mode sorts each user's
 * records by time with a sort that is not stable, so without a tie rule of its own the backfill
 * evaluated some users' "A, B" as "B, A".
 */
class BackfillTiesTest {
    private static final int USERS = 400;

    /** "A, then B": holds for a user whose A came first, whatever their times. */
    private static final String A_THEN_B =
            "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\","
                    + "\"context\":\"visitors\",\"pred\":{\"func\":\"sequence\",\"stream\":["
                    + "{\"func\":\"container\",\"context\":\"hits\",\"pred\":{\"func\":\"event-exists\","
                    + "\"evt\":{\"func\":\"event\",\"name\":\"metrics/A\"}}},"
                    + "{\"func\":\"container\",\"context\":\"hits\",\"pred\":{\"func\":\"event-exists\","
                    + "\"evt\":{\"func\":\"event\",\"name\":\"metrics/B\"}}}]}}}";

    @TempDir Path dir;

    /** One line of a history file: a user's envelope of one event. */
    private record Line(String user, Event event) {}

    @Test
    void a_users_records_at_one_instant_are_evaluated_in_file_then_line_order_as_streamed()
            throws Exception {
        Random r = new Random(42);
        long until = Instant.now().minus(Duration.ofDays(1)).toEpochMilli();
        long start = until - Duration.ofDays(2).toMillis();
        // Two files, as an export of the topic in two parts: every user's first record in the
        // first, the second in the first too (even users) or in the second (odd users, whose two
        // records the batch job reads in different subtasks). Second precision: each user's two
        // events share their instant; which of A and B comes first is drawn.
        List<Line> first = new ArrayList<>();
        List<Line> second = new ArrayList<>();
        Set<String> aFirst = new TreeSet<>();
        for (int u = 0; u < USERS; u++) {
            String user = "u" + u;
            long t = (start + r.nextInt(86_400) * 1000L) / 1000 * 1000;
            boolean ab = r.nextBoolean();
            if (ab) {
                aFirst.add(user + "|ties");
            }
            Line one = new Line(user, event(ab ? "A" : "B", t));
            Line two = new Line(user, event(ab ? "B" : "A", t));
            first.add(r.nextInt(first.size() + 1), one); // users interleaved
            if (u % 2 == 0) {
                first.add(first.size() - r.nextInt(first.size() - first.indexOf(one)), two);
            } else {
                second.add(r.nextInt(second.size() + 1), two);
            }
        }
        Path input = Files.createDirectories(dir.resolve("history"));
        write(input.resolve("part-0.jsonl"), first);
        write(input.resolve("part-1.jsonl"), second);
        Path defs = dir.resolve("segments.jsonl");
        Files.writeString(
                defs, TestRecords.segmentJson("ws", "ties", 1, 0, true, false, A_THEN_B) + "\n");

        // The streaming job over the same records, in the same order (the files' concatenation).
        List<Line> all = new ArrayList<>(first);
        all.addAll(second);
        Set<String> streaming = streaming(all, until);
        assertThat(streaming).as("streaming: the users whose A came first").isEqualTo(aFirst);

        Path out = dir.resolve("out");
        Backfill.run(
                new BackfillOptions(
                        List.of(input.toUri().toString()),
                        null,
                        Long.MIN_VALUE,
                        until,
                        null,
                        out.toString(),
                        false,
                        false,
                        null,
                        defs.toString(),
                        null,
                        BackfillOptions.JSON_LINES),
                JobConfig.from(Map.of(JobConfig.PARALLELISM.key(), "2")),
                new Configuration());
        assertThat(memberships(out.resolve("memberships"))).isEqualTo(streaming);
    }

    /**
     * A user's last instant is held until their records end, so its records are evaluated as the
     * user's timers fire, where batch mode ignores the timers they register: a lapse they bring
     * before the user's pending lapse timer (a purchase's minute, before a page view's day) is
     * applied at its own instant all the same, as the streaming job's timer would apply it.
     */
    @Test
    void a_lapse_the_last_instant_brings_forward_is_applied_at_its_own_instant() throws Exception {
        long t = TestRecords.T0;
        long until = t + 2 * TestRecords.DAY;
        DefinitionUpdate day =
                TestRecords.segment(
                        "ws",
                        "viewed",
                        1,
                        0,
                        true,
                        false,
                        TestRecords.threePageviewsIn(1).replace("\"at_least\":3", "\"at_least\":1"),
                        0);
        DefinitionUpdate minute =
                TestRecords.segment(
                        "ws",
                        "bought",
                        1,
                        0,
                        true,
                        false,
                        TestRecords.pageviewInTheLastMinute().replace("Pageview", "Purchase"),
                        1);
        List<Line> lines =
                List.of(
                        new Line("u", event("Pageview", t)),
                        new Line("u", event("Purchase", t + TestRecords.HOUR)),
                        new Line("u", event("Other", t + TestRecords.HOUR)));
        List<String> streaming;
        try (var h = TestRecords.operator(TestRecords.streaming(0))) {
            feed(h, List.of(day, minute), lines);
            h.processWatermark(new Watermark(until - 1));
            streaming = changes(h.extractOutputValues());
        }
        assertThat(streaming)
                .containsExactly(
                        "entered viewed " + Instant.ofEpochMilli(t),
                        "entered bought " + Instant.ofEpochMilli(t + TestRecords.HOUR),
                        "exited bought "
                                + Instant.ofEpochMilli(t + TestRecords.HOUR + TestRecords.MINUTE),
                        "exited viewed " + Instant.ofEpochMilli(t + TestRecords.DAY));
        try (var h =
                TestRecords.operator(
                        SegmentationSettings.backfill(
                                JobConfig.defaults(), Long.MIN_VALUE, until))) {
            feed(h, List.of(day, minute), lines);
            h.processWatermark(new Watermark(until)); // the user's timers, as batch mode fires them
            assertThat(changes(h.extractOutputValues())).isEqualTo(streaming);
            try (var held =
                    h.getOperator()
                            .getKeyedStateBackend()
                            .getKeys(
                                    Descriptors.BACKFILL_TIES.getName(),
                                    org.apache.flink.runtime.state.VoidNamespace.INSTANCE)) {
                assertThat(held).as("records held after the end").isEmpty();
            }
        }
    }

    private static void feed(
            KeyedBroadcastOperatorTestHarness<String, Inbound, DefinitionUpdate, KafkaMessage> h,
            List<DefinitionUpdate> defs,
            List<Line> lines)
            throws Exception {
        for (DefinitionUpdate d : defs) {
            h.processBroadcastElement(d, 0);
        }
        h.processBroadcastWatermark(new Watermark(Long.MAX_VALUE));
        for (Line l : lines) {
            h.processElement(
                    TestRecords.inbound(TestRecords.envelope("ws", l.user(), List.of(l.event()))),
                    l.event().time());
        }
    }

    /** The membership transitions among the operator's output, as "change segment time". */
    private static List<String> changes(List<KafkaMessage> out) throws IOException {
        List<String> changes = new ArrayList<>();
        for (KafkaMessage m : out) {
            JsonNode j = Json.MAPPER.readTree(m.value);
            if (j.has("change")) {
                changes.add(
                        j.get("change").asText()
                                + " "
                                + j.get("segment_id").asText()
                                + " "
                                + j.get("time").asText());
            }
        }
        return changes;
    }

    private static Event event(String name, long time) {
        return new Event(name, time, Map.of(), null, null);
    }

    private static void write(Path file, List<Line> lines) throws IOException {
        StringBuilder b = new StringBuilder();
        for (Line l : lines) {
            b.append(TestRecords.envelope("ws", l.user(), List.of(l.event()))).append('\n');
        }
        Files.writeString(file, b);
    }

    private static Set<String> streaming(List<Line> lines, long until) throws Exception {
        try (var h = TestRecords.operator(TestRecords.streaming(0))) {
            h.setProcessingTime(until);
            feed(
                    h,
                    List.of(TestRecords.segment("ws", "ties", 1, 0, true, false, A_THEN_B, 0)),
                    lines);
            h.processWatermark(new Watermark(until - 1));
            Set<String> members = new TreeSet<>();
            for (KafkaMessage m : h.extractOutputValues()) {
                JsonNode j = Json.MAPPER.readTree(m.value);
                if (!j.has("change")) {
                    continue;
                }
                String k = j.get("user_id").asText() + "|" + j.get("segment_id").asText();
                if (j.get("change").asText().equals("entered")) {
                    members.add(k);
                } else {
                    members.remove(k);
                }
            }
            return members;
        }
    }

    private static Set<String> memberships(Path dir) throws IOException {
        Set<String> out = new TreeSet<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".jsonl")).toList()) {
                for (String line : Files.readAllLines(f)) {
                    JsonNode m = Json.MAPPER.readTree(line);
                    out.add(m.get("user_id").asText() + "|" + m.get("segment_id").asText());
                }
            }
        }
        return out;
    }
}
