package io.cohortflow.job.bench;

import io.cohortflow.core.bench.Workload;
import io.cohortflow.core.event.Event;
import io.cohortflow.core.event.EventLimits;
import io.cohortflow.job.JobConfig;
import io.cohortflow.job.TestRecords;
import io.cohortflow.job.backfill.Backfill;
import io.cohortflow.job.backfill.BackfillOptions;
import io.cohortflow.job.model.Inbound;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.sink.legacy.DiscardingSink;
import org.apache.flink.util.Collector;

/**
 * Backfill throughput over generated history: {@code events} (default 10 000 000) events of {@code
 * users} (1 000 000) users over 30 days, one event per line in gzipped JSON lines files, the core
 * workload's {@code definitions} (10). Prints, in one run, the floor (the same files read, parsed,
 * sorted by user and handed to a no-op keyed function in BATCH mode) and the backfill with a
 * bootstrap savepoint. The files are kept in {@code dir} (default target/backfill-bench) for
 * reruns. With {@code -Dtable=true} the same events are also written as CSV (their own columns:
 * visitor, action, ts, props as JSON text, session) and backfilled through the Table API ({@code
 * --input-table}), beside the JSON lines backfill in the same run. Command: docs/benchmarks.md.
 */
public final class BackfillBench {
    private static final long EVENTS = Long.getLong("events", 10_000_000);
    private static final int USERS = Integer.getInteger("users", 1_000_000);
    private static final int DEFINITIONS = Integer.getInteger("definitions", 10);
    private static final int FILES = 8;

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(System.getProperty("dir", "target/backfill-bench"));
        long until = Instant.now().minus(Duration.ofDays(1)).toEpochMilli();
        Path input = dir.resolve("history-" + EVENTS + "-" + USERS);
        if (!Files.exists(input.resolve("_done"))) {
            generate(input, until - Duration.ofDays(30).toMillis(), until);
        }
        Path defs = dir.resolve("segments-" + DEFINITIONS + ".jsonl");
        try (Writer w = Files.newBufferedWriter(defs)) {
            for (int i = 0; i < DEFINITIONS; i++) {
                w.write(
                        TestRecords.segmentJson(
                                        "ws", "s" + i, 1, 0, true, false, Workload.definition(i))
                                + "\n");
            }
        }
        JobConfig c = JobConfig.from(Map.of(JobConfig.PARALLELISM.key(), "2"));
        Configuration flink = new Configuration();
        flink.setString("taskmanager.memory.managed.size", "1g");

        double floor = floor(input, c, flink);
        System.out.printf("floor (read, parse, sort, no-op per event): %.0f events/s%n", floor);

        Path out = dir.resolve("out");
        deleteRecursively(out);
        BackfillOptions o =
                new BackfillOptions(
                        List.of(input.toUri().toString()),
                        null,
                        Long.MIN_VALUE,
                        until,
                        null,
                        out.toString(),
                        false,
                        false,
                        out.resolve("savepoint").toUri().toString(),
                        defs.toString(),
                        null,
                        io.cohortflow.job.backfill.BackfillOptions.JSON_LINES);
        JobExecutionResult r = runOffline(o, c, flink);
        double rate = EVENTS * 1000.0 / r.getNetRuntime();
        long members = countLines(out.resolve("memberships"));
        System.out.printf(
                "backfill, %d definitions, %d events, %d users, with bootstrap savepoint: %.1f s = %.0f events/s (%.2f of the floor); %d memberships as of the end%n",
                DEFINITIONS,
                EVENTS,
                USERS,
                r.getNetRuntime() / 1000.0,
                rate,
                rate / floor,
                members);
        if (Boolean.getBoolean("table")) {
            Path csv = dir.resolve("history-" + EVENTS + "-" + USERS + "-csv");
            if (!Files.exists(csv.resolve("_done"))) {
                generateCsv(input, csv);
            }
            String columns =
                    "(visitor STRING, action STRING, ts BIGINT, props STRING, session STRING)";
            String mapping =
                    "SELECT visitor AS user_id, 'ws' AS workspace, action AS name, ts AS `time`,"
                            + " props AS properties, NULLIF(session, '') AS session_id FROM history";
            Path parquet = dir.resolve("history-" + EVENTS + "-" + USERS + "-parquet");
            if (!Files.exists(parquet.resolve("_done"))) {
                org.apache.flink.table.api.TableEnvironment t =
                        org.apache.flink.table.api.TableEnvironment.create(
                                org.apache.flink.table.api.EnvironmentSettings.inBatchMode());
                t.executeSql(table("history", columns, csv.resolve("data"), "csv"));
                t.executeSql(table("pq", columns, parquet.resolve("data"), "parquet"));
                t.executeSql("INSERT INTO pq SELECT * FROM history").await();
                Files.writeString(parquet.resolve("_done"), "");
            }
            for (String format : List.of("csv", "parquet")) {
                Path data = (format.equals("csv") ? csv : parquet).resolve("data");
                Path sql = dir.resolve("history-" + format + ".sql");
                Files.writeString(sql, table("history", columns, data, format) + ";\n" + mapping);
                Path tableOut = dir.resolve("out-" + format);
                deleteRecursively(tableOut);
                BackfillOptions t =
                        new BackfillOptions(
                                List.of(),
                                sql.toString(),
                                Long.MIN_VALUE,
                                until,
                                null,
                                tableOut.toString(),
                                false,
                                false,
                                tableOut.resolve("savepoint").toUri().toString(),
                                defs.toString(),
                                null,
                                io.cohortflow.job.backfill.BackfillOptions.JSON_LINES);
                JobExecutionResult tr = runOffline(t, c, flink);
                double tableRate = EVENTS * 1000.0 / tr.getNetRuntime();
                System.out.printf(
                        "backfill through the Table API over %s, the same events, with bootstrap savepoint: %.1f s = %.0f events/s (%.2f of the JSON lines backfill); %d memberships as of the end%n",
                        format,
                        tr.getNetRuntime() / 1000.0,
                        tableRate,
                        tableRate / rate,
                        countLines(tableOut.resolve("memberships")));
            }
        }
    }

    private static String table(String name, String columns, Path data, String format) {
        return "CREATE TABLE "
                + name
                + " "
                + columns
                + " WITH ('connector' = 'filesystem', 'path' = '"
                + data.toUri()
                + "', 'format' = '"
                + format
                + "')";
    }

    /** The JSON lines history as plain CSV files with columns of their own. */
    private static void generateCsv(Path jsonLines, Path csv) throws IOException {
        Path data = Files.createDirectories(csv.resolve("data"));
        List<Path> parts;
        try (Stream<Path> s = Files.list(jsonLines)) {
            parts = s.filter(p -> p.toString().endsWith(".jsonl.gz")).sorted().toList();
        }
        for (Path part : parts) {
            try (java.io.BufferedReader in =
                            new java.io.BufferedReader(
                                    new java.io.InputStreamReader(
                                            new java.util.zip.GZIPInputStream(
                                                    Files.newInputStream(part), 1 << 16),
                                            StandardCharsets.UTF_8));
                    Writer out =
                            Files.newBufferedWriter(
                                    data.resolve(
                                            part.getFileName()
                                                    .toString()
                                                    .replace(".jsonl.gz", ".csv")))) {
                String line;
                while ((line = in.readLine()) != null) {
                    com.fasterxml.jackson.databind.JsonNode env =
                            io.cohortflow.core.contract.Json.MAPPER.readTree(line);
                    for (com.fasterxml.jackson.databind.JsonNode e : env.get("events")) {
                        String props = e.path("properties").toString();
                        long ts = Instant.parse(e.get("time").asText()).toEpochMilli();
                        out.write(
                                env.get("user_id").asText()
                                        + ","
                                        + e.get("name").asText()
                                        + ","
                                        + ts
                                        + ",\""
                                        + props.replace("\"", "\"\"")
                                        + "\","
                                        + e.path("session_id").asText("")
                                        + "\n");
                    }
                }
            }
        }
        Files.writeString(csv.resolve("_done"), "");
    }

    /**
     * The backfill's graph and configuration, without {@code Backfill.run}'s cut-over file (its
     * Kafka offsets need a broker, which a benchmark has not).
     */
    private static JobExecutionResult runOffline(BackfillOptions o, JobConfig c, Configuration f)
            throws Exception {
        Configuration conf = Backfill.flinkConfiguration(c, o.savepoint() != null);
        conf.addAll(f);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        Backfill.of(o, c).build(env);
        return env.execute("backfill-bench");
    }

    private static double floor(Path input, JobConfig c, Configuration f) throws Exception {
        Configuration conf = Backfill.flinkConfiguration(c, false);
        conf.addAll(f);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.fromSource(
                        Backfill.historyFiles(
                                List.of(input.toUri().toString()), EventLimits.DEFAULT),
                        WatermarkStrategy.<Inbound>noWatermarks()
                                .withTimestampAssigner((in, ts) -> in.eventTime),
                        "History")
                .keyBy(Inbound::getKey)
                .process(new NoOp())
                .addSink(new DiscardingSink<>());
        JobExecutionResult r = env.execute("backfill-floor");
        return EVENTS * 1000.0 / r.getNetRuntime();
    }

    static final class NoOp extends KeyedProcessFunction<String, Inbound, Long> {
        @Override
        public void processElement(Inbound in, Context ctx, Collector<Long> out) {}
    }

    /** One event per line, users interleaved in time order, spread over gzipped files. */
    private static void generate(Path dir, long from, long until) throws IOException {
        Files.createDirectories(dir);
        long step = (until - from) / EVENTS;
        List<Writer> writers = new ArrayList<>();
        for (int f = 0; f < FILES; f++) {
            writers.add(
                    new BufferedWriter(
                            new OutputStreamWriter(
                                    new GZIPOutputStream(
                                            Files.newOutputStream(
                                                    dir.resolve("part-" + f + ".jsonl.gz")),
                                            1 << 16) {
                                        {
                                            def.setLevel(Deflater.BEST_SPEED);
                                        }
                                    },
                                    StandardCharsets.UTF_8),
                            1 << 16));
        }
        long started = System.nanoTime();
        for (long i = 0; i < EVENTS; i++) {
            Random r = new Random(i * 31 + 7);
            int user = (int) (i % USERS);
            Event e = Workload.event(r, from + i * step, (int) (i / USERS) % 5);
            writers.get((int) (i % FILES))
                    .write(TestRecords.envelope("ws", "u" + user, List.of(e)));
            writers.get((int) (i % FILES)).write('\n');
        }
        for (Writer w : writers) {
            w.close();
        }
        Files.writeString(dir.resolve("_done"), "");
        System.out.printf(
                "generated %d events in %.0f s%n", EVENTS, (System.nanoTime() - started) / 1e9);
    }

    private static long countLines(Path dir) throws IOException {
        long n = 0;
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                try (Stream<String> lines = Files.lines(p)) {
                    n += lines.count();
                }
            }
        }
        return n;
    }

    private static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> files = Files.walk(p)) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}
