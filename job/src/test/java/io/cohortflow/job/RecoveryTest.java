package io.cohortflow.job;

import static io.cohortflow.job.TestRecords.event;
import static io.cohortflow.job.TestRecords.everPurchased;
import static io.cohortflow.job.TestRecords.pageviewInTheLastMinute;
import static io.cohortflow.job.TestRecords.threePageviewsIn;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.job.kafka.KafkaConnectors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** Failure and restart: exactly-once memberships across a crash, state across a savepoint. */
class RecoveryTest extends KafkaJobTest {
    private static final Duration WAIT = Duration.ofSeconds(90);

    @Test
    void a_failure_mid_stream_loses_and_duplicates_no_membership_change() throws Exception {
        JobConfig c = config("crash", Map.of());
        crashMidStream(c);
        // The default took: the state's changes were written beside the checkpoints.
        Path changelog = Path.of(java.net.URI.create(c.checkpointDir())).resolve("changelog");
        assertThat(regularFiles(changelog)).isPositive();
    }

    @Test
    void without_the_state_changelog_a_failure_loses_and_duplicates_nothing_either()
            throws Exception {
        JobConfig c = config("no-changelog", Map.of(JobConfig.STATE_CHANGELOG.key(), "false"));
        crashMidStream(c);
        assertThat(Path.of(java.net.URI.create(c.checkpointDir())).resolve("changelog"))
                .doesNotExist();
    }

    private void crashMidStream(JobConfig c) throws Exception {
        long t0 = Instant.now().minus(Duration.ofDays(1)).toEpochMilli();
        segment(c, "ws", "buyers", 1, 0, true, false, everPurchased());
        int users = 120;
        for (int i = 0; i < users; i++) {
            events(c, "ws", "u" + i, event("Purchase", t0 + i));
        }
        Configuration restart = new Configuration();
        restart.setString("restart-strategy.type", "fixed-delay");
        restart.setString("restart-strategy.fixed-delay.attempts", "3");
        restart.setString("restart-strategy.fixed-delay.delay", "200 ms");
        SegmentationSettings settings =
                SegmentationSettings.of(c, KafkaConnectors.definitionsEndOffset(c), true);
        FailingOnce.reset();
        JobClient job = start(c, new FailingOnce(settings, 60), restart);
        try {
            List<JsonNode> m =
                    awaitCommitted(c.topics().memberships(), r -> r.size() >= users, WAIT);
            Thread.sleep(2_000); // a few more checkpoints: any duplicate would surface now
            m =
                    read(
                            c.topics().memberships(),
                            org.apache.kafka.common.IsolationLevel.READ_COMMITTED);
            assertThat(FailingOnce.failed.get()).isTrue();
            assertThat(m).hasSize(users);
            assertNoDuplicates(m);
        } finally {
            job.cancel().get();
        }
    }

    /**
     * Also: RocksDB works where {@code cohortflow.job.state-local-dir} says, and a restore needs
     * nothing from there (the savepoint holds the state).
     */
    @Test
    void a_restart_from_a_savepoint_keeps_user_state() throws Exception {
        Path working = dir.resolve("rocksdb-working");
        JobConfig c =
                config("savepoint", Map.of(JobConfig.STATE_LOCAL_DIR.key(), working.toString()));
        long t0 = Instant.now().minus(Duration.ofDays(1)).toEpochMilli();
        segment(c, "ws", "readers", 1, 0, true, false, threePageviewsIn(7));
        JobClient first = start(c);
        frankViewsTwiceAndGraceEnters(c, t0);
        assertThat(rocksDbFiles(working)).as("RocksDB's files under %s", working).isNotEmpty();
        JobClient second = restart(c, stopWithSavepoint(first, "savepoints"));
        try {
            frankEntersOnHisThirdView(c, t0);
            assertThat(rocksDbFiles(working)).isNotEmpty();
        } finally {
            second.cancel().get();
        }
    }

    /**
     * The upgrade to the changelog default: a job that ran without it stops with a native savepoint
     * (RocksDB's own files, as its retained checkpoints are) and the new job, with it, resumes from
     * there with its users' state.
     */
    @Test
    void a_savepoint_taken_without_the_changelog_restores_into_a_job_with_it() throws Exception {
        JobConfig c = config("upgrade", Map.of());
        long t0 = Instant.now().minus(Duration.ofDays(1)).toEpochMilli();
        segment(c, "ws", "readers", 1, 0, true, false, threePageviewsIn(7));
        Configuration without = new Configuration();
        without.setString("state.changelog.enabled", "false");
        JobClient first =
                start(
                        c,
                        new SegmentationFunction(
                                SegmentationSettings.of(
                                        c, KafkaConnectors.definitionsEndOffset(c), true)),
                        without);
        frankViewsTwiceAndGraceEnters(c, t0);
        String savepoint =
                stopWithSavepoint(first, "native-savepoints", SavepointFormatType.NATIVE);
        Path changelog = Path.of(java.net.URI.create(c.checkpointDir())).resolve("changelog");
        assertThat(changelog).as("the first job ran without the changelog").doesNotExist();
        JobClient second = restart(c, savepoint);
        try {
            frankEntersOnHisThirdView(c, t0);
            Awaitility.await("the restored job logs its state's changes")
                    .atMost(WAIT)
                    .until(() -> Files.isDirectory(changelog) && regularFiles(changelog) > 0);
        } finally {
            second.cancel().get();
        }
    }

    private static long regularFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).count();
        }
    }

    /**
     * Flink restores no watermark: after a restart of a quiet deployment, event time must still
     * pass with the clock, or a window would hold its users until the next event.
     */
    @Test
    void restarted_from_a_savepoint_with_no_traffic_a_window_still_lapses_on_time()
            throws Exception {
        JobConfig c = config("idle-restore", Map.of(JobConfig.IDLENESS.key(), "PT1S"));
        segment(c, "ws", "just-now", 1, 0, true, false, pageviewInTheLastMinute());
        JobClient first = start(c);
        long at = System.currentTimeMillis();
        events(c, "ws", "erin", event("Pageview", at));
        awaitCommitted(c.topics().memberships(), r -> count(r, "change", "entered") == 1, WAIT);
        // Event time is live once every partition has had an event or been idle for the idleness
        // period: until then the operator's watermark is Long.MIN_VALUE, a savepoint records it
        // as not live, and the restored job rightly waits for events (it timed out so once, the
        // savepoint taken within a second of the partitions' assignment).
        Thread.sleep(3 * 1_000);
        String savepoint = stopWithSavepoint(first, "idle-savepoints");
        assertThat(System.currentTimeMillis())
                .as("stopped before the window's end, so the lapse is the restored job's")
                .isLessThan(at + 60_000);
        JobClient second = restart(c, savepoint);
        try {
            List<JsonNode> all =
                    awaitCommitted(
                            c.topics().memberships(), m -> count(m, "change", "exited") == 1, WAIT);
            assertThat(all)
                    .extracting(m -> m.get("change").asText())
                    .containsExactly("entered", "exited");
            assertThat(Instant.parse(all.get(1).get("time").asText()).toEpochMilli())
                    .isEqualTo(at + 60_000);
        } finally {
            second.cancel().get();
        }
    }

    private String stopWithSavepoint(JobClient job, String directory) throws Exception {
        return stopWithSavepoint(job, directory, SavepointFormatType.CANONICAL);
    }

    private String stopWithSavepoint(JobClient job, String directory, SavepointFormatType format)
            throws Exception {
        return job.stopWithSavepoint(false, dir.resolve(directory).toUri().toString(), format)
                .get();
    }

    /**
     * frank views twice, short of the readers' three; grace's three views, and her entry, prove the
     * job processed frank's before them.
     */
    private void frankViewsTwiceAndGraceEnters(JobConfig c, long t0) throws Exception {
        events(c, "ws", "frank", event("Pageview", t0), event("Pageview", t0 + 1000));
        events(
                c,
                "ws",
                "grace",
                event("Pageview", t0),
                event("Pageview", t0 + 1),
                event("Pageview", t0 + 2));
        awaitCommitted(c.topics().memberships(), r -> count(r, "user_id", "grace") == 1, WAIT);
    }

    /** frank's third view makes him a reader only with his first two still in his state. */
    private void frankEntersOnHisThirdView(JobConfig c, long t0) throws Exception {
        events(c, "ws", "frank", event("Pageview", t0 + 2000));
        List<JsonNode> m =
                awaitCommitted(
                        c.topics().memberships(), r -> count(r, "user_id", "frank") == 1, WAIT);
        assertThat(m).hasSize(2);
    }

    /** The job again, restored from {@code savepoint}, reading the definitions log to its end. */
    private JobClient restart(JobConfig c, String savepoint) throws Exception {
        Configuration restore = new Configuration();
        restore.setString("execution.state-recovery.path", savepoint);
        return start(
                c,
                new SegmentationFunction(
                        SegmentationSettings.of(c, KafkaConnectors.definitionsEndOffset(c), true)),
                restore);
    }

    /** The databases' CURRENT files: one per RocksDB instance open under {@code dir}. */
    private static List<Path> rocksDbFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(f -> f.getFileName().toString().equals("CURRENT")).toList();
        }
    }
}
