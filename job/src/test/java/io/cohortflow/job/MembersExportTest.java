package io.cohortflow.job;

import static io.cohortflow.job.TestRecords.event;
import static io.cohortflow.job.TestRecords.everPurchased;
import static io.cohortflow.job.TestRecords.threePageviewsIn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.MembersExport;
import io.cohortflow.job.export.MembersExporter;
import io.cohortflow.job.kafka.KafkaConnectors;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.kafka.common.IsolationLevel;
import org.awaitility.Awaitility;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The members export equals the membership state: after random traffic (entries, and exits as
 * windows lapse), the members it writes from the running job's checkpoint and from its final
 * savepoint are those the committed memberships topic holds, entry times included.
 */
class MembersExportTest extends KafkaJobTest {

    @Test
    void an_export_holds_exactly_the_members_of_the_memberships_topic() throws Exception {
        JobConfig c = config("export", Map.of());
        long t0 = Instant.now().minus(Duration.ofDays(30)).toEpochMilli();
        segment(c, "ws", "buyers", 1, 0, true, false, everPurchased());
        segment(c, "ws", "readers", 1, 0, true, false, threePageviewsIn(2));
        segment(c, "other", "buyers", 1, 0, true, false, everPurchased());
        // The mini cluster's REST endpoint on a known port: the export asks it for a savepoint.
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Configuration restPort = new Configuration();
        restPort.setString("rest.bind-address", "127.0.0.1");
        restPort.setString("rest.address", "127.0.0.1");
        restPort.setString("rest.bind-port", Integer.toString(port));
        String rest = "http://127.0.0.1:" + port;
        JobClient job =
                start(
                        c,
                        new SegmentationFunction(
                                SegmentationSettings.of(
                                        c, KafkaConnectors.definitionsEndOffset(c), true)),
                        restPort);
        Random random = new Random(7);
        for (int i = 0; i < 200; i++) {
            long at = t0 + i * Duration.ofHours(2).toMillis();
            List<String> events = new ArrayList<>();
            int views = random.nextInt(4);
            for (int v = 0; v < views; v++) {
                events.add(event("Pageview", at + v));
            }
            if (random.nextInt(3) == 0) {
                events.add(event("Purchase", at + 10));
            }
            events.add(event("Ping", at + 20));
            events(c, i % 10 == 0 ? "other" : "ws", "u" + i, events.toArray(String[]::new));
        }
        Path exports = dir.resolve("exports");
        TreeSet<String> members;
        try {
            members = awaitStableMembers(c);
            assertThat(members).anyMatch(m -> m.startsWith("ws/readers/"));
            assertThat(members).anyMatch(m -> m.startsWith("other/buyers/"));
            // From a savepoint of the running job, taken for the export (its checkpoints may be
            // deleted while read); the job goes on meanwhile.
            Awaitility.await()
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(500))
                    .alias("an export of a savepoint taken after the traffic")
                    .until(
                            () ->
                                    exported(
                                            exports,
                                            export(
                                                    rest,
                                                    dir.resolve("checkpoints"),
                                                    exports,
                                                    MembersExport.JSON_LINES,
                                                    null,
                                                    null)),
                            members::equals);
            // Without the endpoint the newest snapshot is a checkpoint of the state changelog,
            // which the State Processor API cannot read: said so, not RocksDB's restore errors.
            assertThatThrownBy(
                            () ->
                                    export(
                                            null,
                                            dir.resolve("checkpoints"),
                                            exports,
                                            MembersExport.JSON_LINES,
                                            null,
                                            null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("is a checkpoint holding the job's state changelog")
                    .hasMessageContaining("name a savepoint with --state");
        } finally {
            job.stopWithSavepoint(
                            false,
                            dir.resolve("savepoints").toUri().toString(),
                            SavepointFormatType.CANONICAL)
                    .get();
        }
        // From the final savepoint, as CSV: one workspace's one segment. Through an endpoint that
        // no longer answers (a launcher killed leaves its flink-rest-url behind): the export reads
        // the newest snapshot instead, and says why in a line, in the system's words.
        int gone;
        try (java.net.ServerSocket socket =
                new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            gone = socket.getLocalPort();
        }
        List<String> progress = new java.util.concurrent.CopyOnWriteArrayList<>();
        MembersExport csv =
                export(
                        "http://127.0.0.1:" + gone,
                        dir.resolve("savepoints"),
                        exports,
                        MembersExport.CSV,
                        "ws",
                        List.of("buyers"),
                        progress::add);
        assertThat(progress)
                .first()
                .isEqualTo(
                        "no savepoint through http://127.0.0.1:"
                                + gone
                                + " (connection refused); reading the newest checkpoint or"
                                + " savepoint instead");
        TreeSet<String> buyers = new TreeSet<>();
        members.stream().filter(m -> m.startsWith("ws/buyers/")).forEach(buyers::add);
        assertThat(exported(exports, csv)).isEqualTo(buyers);
        assertThat(csv.members()).isEqualTo(buyers.size());
        assertThat(csv.users()).isEqualTo(180); // the workspace's users, members or not
        assertThat(csv.snapshot()).contains("savepoints");
        try (Stream<Path> files = Files.walk(exports.resolve(csv.id()).resolve("members"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertThat(f.getFileName().toString()).startsWith("part").endsWith(".csv");
                assertThat(Files.readAllLines(f).get(0)).isEqualTo(MembersExport.CSV_HEADER);
            }
        }
        // As Parquet for a warehouse, partitioned by workspace and segment: every member.
        MembersExport parquet =
                export(null, dir.resolve("savepoints"), exports, MembersExport.PARQUET, null, null);
        assertThat(parquet.pageable()).isFalse();
        org.apache.flink.table.api.TableEnvironment t =
                org.apache.flink.table.api.TableEnvironment.create(
                        org.apache.flink.table.api.EnvironmentSettings.inBatchMode());
        t.executeSql(
                "CREATE TABLE m (user_id STRING, entered_at STRING, version BIGINT, workspace"
                        + " STRING, segment_id STRING) PARTITIONED BY (workspace, segment_id) WITH"
                        + " ('connector' = 'filesystem', 'path' = '"
                        + exports.resolve(parquet.id()).resolve("members").toUri()
                        + "', 'format' = 'parquet')");
        TreeSet<String> fromParquet = new TreeSet<>();
        try (org.apache.flink.util.CloseableIterator<org.apache.flink.types.Row> it =
                t.executeSql("SELECT workspace, segment_id, user_id, entered_at FROM m")
                        .collect()) {
            it.forEachRemaining(
                    r ->
                            fromParquet.add(
                                    r.getField(0)
                                            + "/"
                                            + r.getField(1)
                                            + "/"
                                            + r.getField(2)
                                            + "@"
                                            + r.getField(3)));
        }
        assertThat(fromParquet).isEqualTo(members);

        // Older exports beyond --keep are gone; the manifest is the last thing written.
        assertThat(MembersExport.complete(exports)).hasSizeLessThanOrEqualTo(3);
        assertThat(
                        Json.read(
                                        Files.readAllBytes(
                                                exports.resolve(parquet.id())
                                                        .resolve(MembersExport.MANIFEST)),
                                        MembersExport.class)
                                .members())
                .isEqualTo(members.size());
    }

    private static MembersExport export(
            @Nullable String rest,
            Path state,
            Path exports,
            String format,
            @Nullable String workspace,
            @Nullable List<String> segments)
            throws Exception {
        return export(rest, state, exports, format, workspace, segments, line -> {});
    }

    private static MembersExport export(
            @Nullable String rest,
            Path state,
            Path exports,
            String format,
            @Nullable String workspace,
            @Nullable List<String> segments,
            java.util.function.Consumer<String> progress)
            throws Exception {
        return MembersExporter.run(
                new MembersExporter.Options(
                        List.of(state),
                        exports,
                        format,
                        workspace,
                        segments,
                        3,
                        Duration.ofSeconds(1),
                        rest,
                        "cohortflow-test"),
                new Configuration(),
                progress);
    }

    /** An export's members as {@code workspace/segment/user@entered}. */
    private static TreeSet<String> exported(Path exports, MembersExport m) throws Exception {
        TreeSet<String> out = new TreeSet<>();
        Path root = exports.resolve(m.id()).resolve("members");
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String workspace = decode(f.getParent().getParent().getFileName().toString());
                String segment = decode(f.getParent().getFileName().toString());
                List<String> lines = Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++) {
                    MembersExport.Member member;
                    if (m.format().equals(MembersExport.CSV)) {
                        if (i == 0) {
                            continue; // the header
                        }
                        member = MembersExport.Member.fromCsv(workspace, lines.get(i));
                    } else {
                        member = Json.MAPPER.readValue(lines.get(i), MembersExport.Member.class);
                    }
                    assertThat(member.workspace()).isEqualTo(workspace);
                    assertThat(member.segmentId()).isEqualTo(segment);
                    out.add(
                            workspace
                                    + "/"
                                    + segment
                                    + "/"
                                    + member.userId()
                                    + "@"
                                    + member.enteredAt());
                }
            }
        }
        return out;
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    /**
     * The members by the committed memberships topic (each user's last change per segment), once
     * two reads a second apart agree: {@code workspace/segment/user@entered}.
     */
    private static TreeSet<String> awaitStableMembers(JobConfig c) {
        AtomicReference<TreeSet<String>> last = new AtomicReference<>(new TreeSet<>());
        return Awaitility.await()
                .atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofSeconds(1))
                .alias("the memberships topic settles")
                .until(
                        () -> {
                            Map<String, JsonNode> latest = new TreeMap<>();
                            for (JsonNode r :
                                    read(c.topics().memberships(), IsolationLevel.READ_COMMITTED)) {
                                latest.put(
                                        r.get("workspace").asText()
                                                + "/"
                                                + r.get("segment_id").asText()
                                                + "/"
                                                + r.get("user_id").asText(),
                                        r);
                            }
                            TreeSet<String> now = new TreeSet<>();
                            latest.forEach(
                                    (k, r) -> {
                                        if (r.get("change").asText().equals("entered")) {
                                            now.add(k + "@" + r.get("time").asText());
                                        }
                                    });
                            TreeSet<String> before = last.getAndSet(now);
                            return before.equals(now) && !now.isEmpty() ? now : null;
                        },
                        java.util.Objects::nonNull);
    }
}
