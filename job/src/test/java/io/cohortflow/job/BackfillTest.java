package io.cohortflow.job;

import static io.cohortflow.job.TestRecords.DAY;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.config.CommonSettings;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.TopicSpec;
import io.cohortflow.core.definition.DefinitionWriter;
import io.cohortflow.core.eval.RandomDefinitionsAccess;
import io.cohortflow.core.event.Event;
import io.cohortflow.job.backfill.Backfill;
import io.cohortflow.job.backfill.BackfillOptions;
import io.cohortflow.job.backfill.Cutover;
import io.cohortflow.kafka.KafkaTopics;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The backfill against the streaming job, over generated histories (random definitions and events,
 * seeded): the same events give the same memberships in BATCH mode as streaming, and a streaming
 * job bootstrapped from a backfill's savepoint plus the live tail after the cut-over ends where
 * streaming over everything ends.
 */
class BackfillTest extends KafkaJobTest {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final int USERS = 40;
    private static final int DEFINITIONS = 10;

    /** Generated history: each user's events, in a time span ending before {@code until}. */
    private record History(List<Record> records) {}

    private record Record(String user, Event event, long arrival) {}

    @ParameterizedTest
    @ValueSource(longs = {7, 19})
    void backfill_equals_streaming_and_bootstrap_plus_tail_equals_streaming(long seed)
            throws Exception {
        Random r = new Random(seed);
        long until = Instant.now().minus(Duration.ofDays(1)).toEpochMilli();
        long cutover = until - 6 * DAY;
        // The history goes on the events topic with its event times as record timestamps (the
        // cut-over's offsets are looked up by timestamp), up to 21 days old: kept for ever, or the
        // broker's retention (7 days) would delete most of it at its next check, maybe before the
        // job has read it.
        KafkaTopics.ensure(
                kafka.bootstrapServers(),
                List.of(new TopicSpec("bf" + seed + "a.events", 2, Map.of("retention.ms", "-1"))));
        JobConfig all = config("bf" + seed + "a", Map.of());
        History h = generate(r, all, until - 20 * DAY, until);

        // Every event, in arrival order (slightly out of event-time order), on the events topic
        // with its event time as the record timestamp, as a live producer would write it.
        for (Record rec : h.records()) {
            producer.send(
                            new ProducerRecord<>(
                                    all.topics().events(),
                                    null,
                                    rec.event().time(),
                                    "ws/" + rec.user(),
                                    TestRecords.envelope("ws", rec.user(), List.of(rec.event()))))
                    .get();
        }
        // A tick in every partition at the end: the watermark (no out-of-orderness in tests)
        // reaches the instant before `until`, as far as the backfill applies lapses (those at
        // `until` are the next job's, like the events there).
        for (int p = 0; p < 2; p++) {
            long t = until;
            producer.send(
                            new ProducerRecord<>(
                                    all.topics().events(),
                                    p,
                                    t,
                                    "clock/" + p,
                                    envelope("clock", "tick" + p, t)))
                    .get();
        }

        // 1. Backfill over everything: memberships as of `until`.
        Path everything = writeHistory(h, Long.MAX_VALUE, "all");
        Path outAll = dir.resolve("out-all");
        Backfill.run(options(everything, outAll, until, null), all, new Configuration());
        Set<String> expected = rows(outAll.resolve("memberships"));
        assertThat(expected).isNotEmpty();
        List<JsonNode> dead = jsonLines(outAll.resolve("dead-letters"));
        assertThat(dead).hasSize(1);
        assertThat(dead.get(0).get("reason").asText()).isEqualTo("malformed_json");
        assertThat(dead.get(0).get("topic").asText()).endsWith("history-1.jsonl");
        assertThat(dead.get(0).get("offset").asLong()).isEqualTo(2);

        // 1b. The same history as a CSV file and as JSON rows, read through the Table API and
        // mapped by SQL from their own column names: the same memberships.
        for (String format : List.of("csv", "json", "parquet", "avro")) {
            Path table = writeTable(h, format);
            Path outTable = dir.resolve("out-" + format);
            BackfillOptions o = options(everything, outTable, until, null);
            o =
                    new BackfillOptions(
                            List.of(),
                            table.toString(),
                            o.from(),
                            o.until(),
                            o.workspace(),
                            o.output(),
                            false,
                            false,
                            null,
                            null,
                            null,
                            io.cohortflow.job.backfill.BackfillOptions.JSON_LINES);
            Backfill.run(o, all, new Configuration());
            assertThat(rows(outTable.resolve("memberships"))).as(format).isEqualTo(expected);
            assertThat(jsonLines(outTable.resolve("dead-letters"))).as(format).isEmpty();
        }

        // 1c. The memberships written as CSV and as Parquet through the Table API: the same rows.
        for (String format : List.of("csv", "parquet")) {
            BackfillOptions base =
                    options(everything, dir.resolve("out-as-" + format), until, null);
            BackfillOptions o =
                    new BackfillOptions(
                            base.inputs(),
                            null,
                            base.from(),
                            base.until(),
                            base.workspace(),
                            base.output(),
                            false,
                            false,
                            null,
                            null,
                            null,
                            format);
            Backfill.run(o, all, new Configuration());
            assertThat(tableRows(dir.resolve("out-as-" + format).resolve("memberships"), format))
                    .as(format)
                    .isEqualTo(expected);
        }

        // 2. Streaming over everything ends in the same memberships.
        JobClient streaming = start(all);
        try {
            awaitFold(all, Set.of(), expected);
        } finally {
            streaming.cancel().get();
        }

        // 3. Backfill up to the cut-over, with a bootstrap savepoint.
        Path before = writeHistory(h, cutover, "before");
        Path outBefore = dir.resolve("out-before");
        String savepoint = dir.resolve("bootstrap").toUri().toString();
        Backfill.run(options(before, outBefore, cutover, savepoint), all, new Configuration());
        Set<String> atCutover = rows(outBefore.resolve("memberships"));
        assertThat(atCutover).isNotEqualTo(expected); // the tail matters
        Cutover written = Cutover.read(savepoint);
        assertThat(written.cutoverMillis()).isEqualTo(cutover);
        long skipped = written.offsets().values().stream().mapToLong(Long::longValue).sum();
        assertThat(skipped).isPositive().isLessThan(h.records().size());
        // The numbers its profiles are written under, for the job it bootstraps: every segment's.
        assertThat(written.numbering())
                .isNotEmpty()
                .allSatisfy((key, n) -> assertThat(key).matches("(ordinal|store):ws/.+"));
        assertThat(written.numbering().keySet().stream().filter(k -> k.startsWith("ordinal:")))
                .isNotEmpty()
                .hasSizeLessThanOrEqualTo(DEFINITIONS);

        // 4. The streaming job from that savepoint, reading the live tail from the cut-over.
        Map<String, String> tail = new HashMap<>();
        tail.put(CommonSettings.TOPIC_EVENTS.key(), all.topics().events());
        tail.put(CommonSettings.TOPIC_DEFINITIONS.key(), all.topics().definitions());
        tail.put(JobConfig.BOOTSTRAP_MANIFEST.key(), savepoint);
        JobConfig boot = config("bf" + seed + "b", tail);
        Configuration restore = CohortflowJob.flinkConfiguration(boot);
        restore.setString("execution.state-recovery.path", savepoint);
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(restore);
        CohortflowJob.onKafka(boot).build(env);
        JobClient bootstrapped = env.executeAsync("cohortflow-bootstrapped");
        try {
            awaitFold(boot, atCutover, expected);
        } finally {
            bootstrapped.cancel().get();
        }
    }

    @org.junit.jupiter.api.Test
    void publish_writes_the_memberships_and_dead_letters_to_their_topics_too() throws Exception {
        JobConfig c = config("bfpub", Map.of());
        segment(c, "ws", "buyers", 1, 0, true, false, TestRecords.everPurchased());
        long t = Instant.now().minus(Duration.ofDays(3)).toEpochMilli();
        Path input = Files.createDirectories(dir.resolve("pub"));
        Files.writeString(
                input.resolve("h.jsonl"),
                TestRecords.envelope("ws", "ann", null, TestRecords.event("Purchase", t))
                        + "\n"
                        + TestRecords.envelope("ws", "bob", null, TestRecords.event("Click", t))
                        + "\n"
                        + TestRecords.envelope(
                                "other", "cy", null, TestRecords.event("Purchase", t))
                        + "\n"
                        + "{\"workspace\":\"ws\"}\n"
                        // Erased after buying: the erasure comes after her events whatever their
                        // times, as it did on the topic.
                        + TestRecords.envelope("ws", "dee", null, TestRecords.event("Purchase", t))
                        + "\n{\"workspace\":\"ws\",\"user_id\":\"dee\",\"events\":[],"
                        + "\"op\":\"erase\",\"request_id\":\"r-erase\"}\n");
        BackfillOptions o =
                new BackfillOptions(
                        List.of(input.toString()),
                        null,
                        Long.MIN_VALUE,
                        Instant.now().toEpochMilli(),
                        "ws",
                        dir.resolve("pub-out").toString(),
                        true,
                        true,
                        null,
                        null,
                        null,
                        io.cohortflow.job.backfill.BackfillOptions.JSON_LINES);
        Backfill.run(o, c, new Configuration());

        List<JsonNode> members = read(c.topics().memberships(), IsolationLevel.READ_COMMITTED);
        assertThat(members).hasSize(1); // ann; cy is another workspace's
        assertThat(members.get(0).get("user_id").asText()).isEqualTo("ann");
        assertThat(members.get(0).get("change").asText()).isEqualTo("entered");
        List<JsonNode> dead = read(c.topics().deadLetter(), IsolationLevel.READ_COMMITTED);
        assertThat(dead).hasSize(1);
        assertThat(dead.get(0).get("reason").asText()).isEqualTo("invalid_envelope");
        assertThat(dead.get(0).get("offset").asLong()).isEqualTo(4);
        // --transitions: what the streaming job would have emitted over the history
        assertThat(jsonLines(dir.resolve("pub-out").resolve("transitions")))
                .extracting(j -> j.get("user_id").asText() + " " + j.get("change").asText())
                .containsExactlyInAnyOrder("ann entered", "dee entered", "dee exited");
    }

    // ---- generation -------------------------------------------------------------------------

    private History generate(Random r, JobConfig c, long start, long until) {
        for (int i = 0; i < DEFINITIONS; i++) {
            segment(
                    c,
                    "ws",
                    "s" + i,
                    1,
                    0,
                    true,
                    false,
                    DefinitionWriter.write(RandomDefinitionsAccess.definition(r)).toString());
        }
        List<Record> records = new ArrayList<>();
        for (int u = 0; u < USERS; u++) {
            long t = start + r.nextInt((int) (5 * DAY / 1000)) * 1000L;
            int n = 5 + r.nextInt(30);
            for (int i = 0; i < n && t < until; i++) {
                records.add(
                        new Record(
                                "u" + u,
                                RandomDefinitionsAccess.event(r, t),
                                t + r.nextInt(3_600_000)));
                t += r.nextInt(3) == 0 ? r.nextInt((int) (2 * DAY)) : r.nextInt(3_600_000);
            }
        }
        records.sort(Comparator.comparingLong(Record::arrival));
        return new History(records);
    }

    /**
     * The events before {@code end} as two files, one of them gzipped, one event per line but some
     * lines with two; plus one malformed line (line 2 of the first file).
     */
    /**
     * The history as a table of the given format with columns of its own (visitor, action, ts in
     * epoch milliseconds, the properties as JSON text, session), and the SQL file that defines it
     * and maps it to events.
     */
    private Path writeTable(History h, String format) throws Exception {
        if (format.equals("parquet") || format.equals("avro")) {
            return writeConverted(writeTable(h, "csv"), format);
        }
        Path d = Files.createDirectories(dir.resolve("table-" + format));
        try (Writer w = Files.newBufferedWriter(d.resolve("history." + format))) {
            for (Record x : h.records()) {
                Event e = x.event();
                String session =
                        e.sessionId() == null
                                ? ""
                                : UUID.nameUUIDFromBytes(
                                                e.sessionId().getBytes(StandardCharsets.UTF_8))
                                        .toString();
                String props = Json.MAPPER.writeValueAsString(e.properties());
                if (format.equals("csv")) {
                    w.write(
                            x.user()
                                    + ","
                                    + e.name()
                                    + ","
                                    + e.time()
                                    + ",\""
                                    + props.replace("\"", "\"\"")
                                    + "\","
                                    + session
                                    + "\n");
                } else {
                    Map<String, Object> row = new java.util.LinkedHashMap<>();
                    row.put("visitor", x.user());
                    row.put("action", e.name());
                    row.put("ts", e.time());
                    row.put("props", props);
                    row.put("session", session);
                    w.write(Json.MAPPER.writeValueAsString(row) + "\n");
                }
            }
        }
        Path sql = dir.resolve("history-" + format + ".sql");
        Files.writeString(
                sql,
                "CREATE TABLE history (visitor STRING, action STRING, ts BIGINT, props STRING,"
                        + " session STRING) WITH ('connector' = 'filesystem', 'path' = '"
                        + d.resolve("history." + format).toUri()
                        + "', 'format' = '"
                        + format
                        + "');\n"
                        + "SELECT visitor AS user_id, action AS name, ts AS `time`,"
                        + " props AS properties, NULLIF(session, '') AS session_id"
                        + " FROM history;\n");
        return sql;
    }

    /**
     * The CSV table's rows as files of {@code format}, written by the Table API; their SQL file.
     */
    private Path writeConverted(Path csvSql, String format) throws Exception {
        Path d = dir.resolve("table-" + format);
        String csvTable = Files.readString(csvSql).split(";")[0];
        org.apache.flink.table.api.TableEnvironment t =
                org.apache.flink.table.api.TableEnvironment.create(
                        org.apache.flink.table.api.EnvironmentSettings.inBatchMode());
        t.executeSql(csvTable);
        String columns = "(visitor STRING, action STRING, ts BIGINT, props STRING, session STRING)";
        t.executeSql(
                "CREATE TABLE pq "
                        + columns
                        + " WITH ('connector' = 'filesystem', 'path' = '"
                        + d.toUri()
                        + "', 'format' = '"
                        + format
                        + "')");
        t.executeSql("INSERT INTO pq SELECT * FROM history").await();
        Path sql = dir.resolve("history-" + format + ".sql");
        Files.writeString(
                sql,
                Files.readString(csvSql)
                        .replace(
                                dir.resolve("table-csv").resolve("history.csv").toUri().toString(),
                                d.toUri().toString())
                        .replace("'format' = 'csv'", "'format' = '" + format + "'"));
        return sql;
    }

    private Path writeHistory(History h, long end, String name) throws IOException {
        Path d = Files.createDirectories(dir.resolve(name));
        List<Record> kept = h.records().stream().filter(x -> x.event().time() < end).toList();
        try (Writer plain = Files.newBufferedWriter(d.resolve("history-1.jsonl"));
                OutputStream gz =
                        new GZIPOutputStream(
                                Files.newOutputStream(d.resolve("history-2.jsonl.gz")))) {
            plain.write("\n{\"workspace\": \"ws\", oops\n"); // a blank line 1, a bad line 2
            int i = 0;
            while (i < kept.size()) {
                Record x = kept.get(i);
                List<Event> events = new ArrayList<>(List.of(x.event()));
                if (i + 1 < kept.size() && kept.get(i + 1).user().equals(x.user()) && i % 2 == 0) {
                    events.add(kept.get(++i).event());
                }
                String line = TestRecords.envelope("ws", x.user(), events) + "\n";
                if (x.user().hashCode() % 2 == 0) {
                    plain.write(line);
                } else {
                    gz.write(line.getBytes(StandardCharsets.UTF_8));
                }
                i++;
            }
        }
        return d;
    }

    private static BackfillOptions options(Path input, Path output, long until, String savepoint) {
        return new BackfillOptions(
                List.of(input.toUri().toString()),
                null,
                Long.MIN_VALUE,
                until,
                "ws",
                output.toString(),
                false,
                false,
                savepoint,
                null,
                null,
                io.cohortflow.job.backfill.BackfillOptions.JSON_LINES);
    }

    private static String envelope(String workspace, String user, long time) {
        return TestRecords.envelope(workspace, user, null, TestRecords.event("Tick", time));
    }

    // ---- reading results --------------------------------------------------------------------

    private static List<JsonNode> jsonLines(Path dir) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        if (!Files.exists(dir)) {
            return out;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".jsonl")).toList()) {
                for (String line : Files.readAllLines(f)) {
                    out.add(Json.MAPPER.readTree(line));
                }
            }
        }
        return out;
    }

    /** Memberships written as a table of {@code format}, read back: {@code user|segment}. */
    private static Set<String> tableRows(Path dir, String format) throws Exception {
        org.apache.flink.table.api.TableEnvironment t =
                org.apache.flink.table.api.TableEnvironment.create(
                        org.apache.flink.table.api.EnvironmentSettings.inBatchMode());
        t.executeSql(
                "CREATE TABLE m (workspace STRING, user_id STRING, segment_id STRING, change STRING,"
                        + " `time` STRING, version BIGINT) WITH ('connector' = 'filesystem',"
                        + " 'path' = '"
                        + dir.toUri()
                        + "', 'format' = '"
                        + format
                        + "')");
        Set<String> out = new TreeSet<>();
        try (org.apache.flink.util.CloseableIterator<org.apache.flink.types.Row> it =
                t.executeSql("SELECT user_id, segment_id, change FROM m").collect()) {
            while (it.hasNext()) {
                org.apache.flink.types.Row r = it.next();
                assertThat(r.getField(2)).isEqualTo("entered");
                out.add(r.getField(0) + "|" + r.getField(1));
            }
        }
        return out;
    }

    /** A backfill's memberships as {@code user|segment}. */
    private static Set<String> rows(Path dir) throws IOException {
        Set<String> out = new TreeSet<>();
        for (JsonNode m : jsonLines(dir)) {
            assertThat(m.get("change").asText()).isEqualTo("entered");
            out.add(m.get("user_id").asText() + "|" + m.get("segment_id").asText());
        }
        return out;
    }

    /**
     * Waits until {@code start} with the job's committed transitions applied is {@code expected}.
     */
    private static void awaitFold(JobConfig c, Set<String> start, Set<String> expected) {
        try {
            Awaitility.await()
                    .atMost(WAIT)
                    .pollInterval(Duration.ofMillis(500))
                    .until(
                            () ->
                                    fold(
                                            start,
                                            read(
                                                    c.topics().memberships(),
                                                    IsolationLevel.READ_COMMITTED)),
                            expected::equals);
        } catch (ConditionTimeoutException e) {
            // The timeout names the last fold; the dead letters may tell why it fell short.
            throw new AssertionError(
                    "memberships of "
                            + c.topics().memberships()
                            + " never became "
                            + expected
                            + "; dead letters: "
                            + read(c.topics().deadLetter(), IsolationLevel.READ_UNCOMMITTED),
                    e);
        }
    }

    private static Set<String> fold(Set<String> start, List<JsonNode> transitions) {
        Set<String> members = new TreeSet<>(start);
        for (JsonNode m : transitions) {
            String k = m.get("user_id").asText() + "|" + m.get("segment_id").asText();
            if (m.get("change").asText().equals("entered")) {
                members.add(k);
            } else {
                members.remove(k);
            }
        }
        return members;
    }
}
