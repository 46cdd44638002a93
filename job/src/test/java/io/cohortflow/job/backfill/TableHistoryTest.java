package io.cohortflow.job.backfill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohortflow.core.event.Event;
import io.cohortflow.core.event.EventLimits;
import io.cohortflow.job.model.EventsCodec;
import io.cohortflow.job.model.Inbound;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The documented example of docs/backfill.md: a CSV export with its own columns, mapped by SQL. */
class TableHistoryTest {
    @TempDir Path dir;

    private List<Inbound> read(String sql, String workspace) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setRuntimeMode(RuntimeExecutionMode.BATCH);
        env.setParallelism(1);
        List<Inbound> out = new ArrayList<>();
        try (CloseableIterator<Inbound> it =
                TableHistory.read(env, sql, workspace, EventLimits.DEFAULT).executeAndCollect()) {
            it.forEachRemaining(out::add);
        }
        out.sort(Comparator.comparingLong(in -> in.offset));
        return out;
    }

    /**
     * properties, session_id and view_id are optional: no column, NULL, or (a CSV cell) "" is none.
     * Without a properties column every row was dead-lettered ("properties: required").
     */
    @Test
    void optional_columns_may_be_missing_null_or_empty() throws Exception {
        Path csv = dir.resolve("visits.csv");
        java.nio.file.Files.writeString(
                csv, "v1,1764547200000,\nv2,1764547260000,2008c38f-dece-4570-976d-87593ed001c3\n");
        String sql =
                "CREATE TABLE visits (visitor STRING, ts BIGINT, session STRING)\n"
                        + "  WITH ('connector' = 'filesystem', 'path' = '"
                        + csv.toUri()
                        + "', 'format' = 'csv');\n"
                        + "SELECT visitor AS user_id, 'Pageview' AS name, ts AS `time`,"
                        + " session AS session_id FROM visits;\n";
        List<Inbound> in = read(sql, "demo");
        assertThat(in).hasSize(2).allSatisfy(i -> assertThat(i.valid()).as(i.detail).isTrue());
        Event first = EventsCodec.decode(in.get(0).events).get(0);
        assertThat(first.properties()).isEmpty();
        assertThat(first.sessionId()).isNull();
    }

    /** A text time without an offset (ISO or SQL) is UTC, as a TIMESTAMP column is. */
    @Test
    void zoneless_text_times_are_utc() throws Exception {
        Path csv = dir.resolve("times.csv");
        java.nio.file.Files.writeString(
                csv, "v1,2025-12-01T00:00:00\nv2,2025-12-01 00:01:00.5\nv3,yesterday\n");
        String sql =
                "CREATE TABLE times (visitor STRING, ts STRING)\n"
                        + "  WITH ('connector' = 'filesystem', 'path' = '"
                        + csv.toUri()
                        + "', 'format' = 'csv');\n"
                        + "SELECT visitor AS user_id, 'Pageview' AS name, ts AS `time` FROM times;\n";
        List<Inbound> in = read(sql, "demo");
        assertThat(in).hasSize(3);
        assertThat(EventsCodec.decode(in.get(0).events).get(0).time())
                .isEqualTo(java.time.Instant.parse("2025-12-01T00:00:00Z").toEpochMilli());
        assertThat(EventsCodec.decode(in.get(1).events).get(0).time())
                .isEqualTo(java.time.Instant.parse("2025-12-01T00:01:00.500Z").toEpochMilli());
        assertThat(in.get(2).valid()).as("not a time").isFalse();
    }

    /** The mapping's SQL reads zone-less text as UTC too, whatever the machine's zone. */
    @Test
    void the_mappings_sql_runs_in_utc_whatever_the_machines_zone() throws Exception {
        Path csv = dir.resolve("local.csv");
        java.nio.file.Files.writeString(csv, "v1,2026-12-01 10:00:00\n");
        String sql =
                "CREATE TABLE local_times (visitor STRING, ts STRING)\n"
                        + "  WITH ('connector' = 'filesystem', 'path' = '"
                        + csv.toUri()
                        + "', 'format' = 'csv');\n"
                        + "SELECT visitor AS user_id, 'Pageview' AS name,"
                        + " CAST(ts AS TIMESTAMP_LTZ(3)) AS `time` FROM local_times;\n";
        java.util.TimeZone machine = java.util.TimeZone.getDefault();
        java.util.TimeZone.setDefault(java.util.TimeZone.getTimeZone("America/New_York"));
        List<Inbound> in;
        try {
            in = read(sql, "demo");
        } finally {
            java.util.TimeZone.setDefault(machine);
        }
        assertThat(in).hasSize(1);
        assertThat(in.get(0).valid()).as(in.get(0).detail).isTrue();
        assertThat(EventsCodec.decode(in.get(0).events).get(0).time())
                .isEqualTo(java.time.Instant.parse("2026-12-01T10:00:00Z").toEpochMilli());
    }

    /**
     * A STRING column of epoch milliseconds (a CSV read as text) is epoch milliseconds, judged by
     * the event parser's rule as a JSON line's number is: every such row was a dead letter.
     */
    @Test
    void text_of_digits_is_epoch_milliseconds_under_the_event_time_rules() throws Exception {
        Path csv = dir.resolve("millis.csv");
        java.nio.file.Files.writeString(
                csv,
                "v1,1764583217000\n"
                        + "v2,0\n"
                        + "v3,32503680000000\n"
                        + "v4,99999999999999999999\n"
                        + "v5,-1000\n");
        String sql =
                "CREATE TABLE millis (visitor STRING, ts STRING)\n"
                        + "  WITH ('connector' = 'filesystem', 'path' = '"
                        + csv.toUri()
                        + "', 'format' = 'csv');\n"
                        + "SELECT visitor AS user_id, 'Pageview' AS name, ts AS `time` FROM millis;\n";
        List<Inbound> in = read(sql, "demo");
        assertThat(in).hasSize(5);
        assertThat(in.get(0).valid()).as(in.get(0).detail).isTrue();
        assertThat(EventsCodec.decode(in.get(0).events).get(0).time()).isEqualTo(1764583217000L);
        assertThat(EventsCodec.decode(in.get(1).events).get(0).time()).as("1970").isZero();
        // The parser's range: after 2999, and past a long (not wrapped round into a time).
        assertThat(in.get(2).valid()).isFalse();
        assertThat(in.get(2).detail).contains("after 2999-12-31T23:59:59.999Z");
        assertThat(in.get(3).valid()).isFalse();
        assertThat(in.get(3).detail).contains("time:");
        // Not digits alone: text, and not ISO-8601 (before 1970 is refused anyway).
        assertThat(in.get(4).valid()).isFalse();
        assertThat(in.get(4).detail).contains("time:");
    }

    /**
     * Numeric time columns are epoch milliseconds under the same rule: a whole DOUBLE is one, a
     * fraction or NaN is a bad time, and a DECIMAL past a long is refused rather than wrapped round
     * into an ordinary-looking time.
     */
    @Test
    void numeric_times_are_judged_as_a_json_lines_number_is() throws Exception {
        Path csv = dir.resolve("numbers.csv");
        java.nio.file.Files.writeString(
                csv,
                "v1,1764583217000,1764583217000\n"
                        + "v2,1764583217000.5,1.5\n"
                        + "v3,NaN,18446744073709551617\n");
        String sql =
                "CREATE TABLE numbers (visitor STRING, d STRING, m STRING)\n"
                        + "  WITH ('connector' = 'filesystem', 'path' = '"
                        + csv.toUri()
                        + "', 'format' = 'csv');\n"
                        + "SELECT visitor AS user_id, 'Pageview' AS name,"
                        + " CAST(d AS DOUBLE) AS `time` FROM numbers\n"
                        + "UNION ALL SELECT visitor AS user_id, 'Pageview' AS name,"
                        + " CAST(m AS DECIMAL(38, 1)) AS `time` FROM numbers;\n";
        List<Inbound> in = read(sql, "demo");
        assertThat(in).hasSize(6);
        List<String> valid = new java.util.ArrayList<>();
        for (Inbound i : in) {
            if (i.valid()) {
                valid.add(i.userId + "@" + EventsCodec.decode(i.events).get(0).time());
            } else {
                assertThat(i.detail).as(i.userId).contains("time:");
            }
        }
        assertThat(valid).containsExactlyInAnyOrder("v1@1764583217000", "v1@1764583217000");
    }

    @Test
    void a_parquet_export_with_its_own_columns_becomes_events_and_a_bad_row_a_dead_letter()
            throws Exception {
        // The warehouse's export, written here as Parquet by the Table API.
        Path views = dir.resolve("views");
        org.apache.flink.table.api.TableEnvironment t =
                org.apache.flink.table.api.TableEnvironment.create(
                        org.apache.flink.table.api.EnvironmentSettings.inBatchMode());
        t.executeSql(
                "CREATE TABLE export (visitor STRING, page STRING, section STRING, ts BIGINT)"
                        + " WITH ('connector' = 'filesystem', 'path' = '"
                        + views.toUri()
                        + "', 'format' = 'parquet')");
        t.executeSql(
                        "INSERT INTO export VALUES ('v1', '/home', 'sport', 1764547200000),"
                                + " ('v2', '/news', 'news', 1764547260000),"
                                + " (CAST(NULL AS STRING), '/nobody', 'news', 1764547320000)")
                .await();
        // The documented mapping (docs/backfill.md), word for word but the path.
        String sql =
                "CREATE TABLE page_views (visitor STRING, page STRING, section STRING, ts BIGINT)\n"
                        + "  WITH ('connector' = 'filesystem', 'path' = '"
                        + views.toUri()
                        + "', 'format' = 'parquet');\n"
                        + "SELECT visitor AS user_id, 'demo' AS workspace, 'Pageview' AS name,"
                        + " ts AS `time`,\n"
                        + "       JSON_OBJECT('page' VALUE page, 'section' VALUE section) AS"
                        + " properties\n"
                        + "  FROM page_views;\n";
        List<Inbound> in = new ArrayList<>(read(sql, null));
        in.sort(Comparator.comparing(i -> i.valid() ? i.key : "~"));
        assertThat(in).hasSize(3);
        assertThat(in.get(0).valid()).isTrue();
        assertThat(in.get(0).key).isEqualTo("demo/v1");
        Event e = EventsCodec.decode(in.get(0).events).get(0);
        assertThat(e.name()).isEqualTo("Pageview");
        assertThat(e.time()).isEqualTo(1764547200000L);
        assertThat(e.properties()).containsEntry("page", "/home").containsEntry("section", "sport");
        assertThat(in.get(1).valid()).isTrue();
        assertThat(in.get(2).valid()).as("a row without a user").isFalse();
        assertThat(in.get(2).topic).isEqualTo("table#0");
    }

    @Test
    void a_kafka_topic_of_json_rows_with_their_own_names_is_read_to_its_end() throws Exception {
        try (io.cohortflow.kafka.EmbeddedKafka kafka = io.cohortflow.kafka.EmbeddedKafka.start()) {
            io.cohortflow.kafka.KafkaTopics.ensure(
                    kafka.bootstrapServers(),
                    List.of(
                            new io.cohortflow.core.contract.TopicSpec(
                                    "clicks", 2, java.util.Map.of())));
            java.util.Properties p = new java.util.Properties();
            p.put("bootstrap.servers", kafka.bootstrapServers());
            try (org.apache.kafka.clients.producer.KafkaProducer<String, String> producer =
                    new org.apache.kafka.clients.producer.KafkaProducer<>(
                            p,
                            new org.apache.kafka.common.serialization.StringSerializer(),
                            new org.apache.kafka.common.serialization.StringSerializer())) {
                for (int i = 0; i < 20; i++) {
                    producer.send(
                                    new org.apache.kafka.clients.producer.ProducerRecord<>(
                                            "clicks",
                                            "c" + i,
                                            "{\"who\":\"u"
                                                    + (i % 5)
                                                    + "\",\"what\":\"Click\",\"at\":\"2026-12-01T10:00:"
                                                    + (10 + i)
                                                    + "Z\",\"attrs\":{\"button\":\"b"
                                                    + i
                                                    + "\"}}"))
                            .get();
                }
            }
            String sql =
                    "CREATE TABLE clicks (who STRING, what STRING, `at` STRING,"
                            + " attrs MAP<STRING, STRING>) WITH ('connector' = 'kafka', 'topic' ="
                            + " 'clicks', 'properties.bootstrap.servers' = '"
                            + kafka.bootstrapServers()
                            + "', 'scan.startup.mode' = 'earliest-offset',"
                            + " 'scan.bounded.mode' = 'latest-offset', 'format' = 'json');\n"
                            + "SELECT who AS user_id, what AS name, `at` AS `time`, attrs AS properties"
                            + " FROM clicks";
            List<Inbound> in = read(sql, "demo");
            assertThat(in).hasSize(20).allMatch(Inbound::valid);
            assertThat(in).extracting(i -> i.workspace).containsOnly("demo");
            Event e =
                    in.stream()
                            .map(i -> EventsCodec.decode(i.events).get(0))
                            .filter(x -> x.properties().get("button").equals("b7"))
                            .findFirst()
                            .orElseThrow();
            assertThat(e.name()).isEqualTo("Click");
            assertThat(e.time())
                    .isEqualTo(java.time.Instant.parse("2026-12-01T10:00:17Z").toEpochMilli());
        }
    }

    @Test
    void a_mapping_without_a_required_column_is_refused_naming_it() {
        Path csv = dir.resolve("x.csv");
        String sql =
                "CREATE TABLE x (a STRING, ts BIGINT) WITH ('connector' = 'filesystem', 'path' = '"
                        + csv.toUri()
                        + "', 'format' = 'csv');\n"
                        + "SELECT a AS user_id, ts AS `time` FROM x";
        assertThatThrownBy(() -> read(sql, "demo"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[name]");
        assertThatThrownBy(() -> read("SELECT nope FROM nowhere", "demo"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the mapping query failed");
        assertThat(
                        TableHistory.statements(
                                "CREATE TABLE t (s STRING) WITH ('a' = ';');\nSELECT 1;"))
                .hasSize(2);
        // Comments open no quote and end no statement; a comment alone is no statement.
        assertThat(
                        TableHistory.statements(
                                "-- the visitor's export; one row a hit\n"
                                        + "CREATE TABLE t (s STRING) /* it's; csv */ WITH ('a' = '--');\n"
                                        + "SELECT 1 -- the end's near\n;\n-- done"))
                .containsExactly("CREATE TABLE t (s STRING)   WITH ('a' = '--')", "SELECT 1");
    }
}
