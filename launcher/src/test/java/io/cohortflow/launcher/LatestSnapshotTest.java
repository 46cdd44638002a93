package io.cohortflow.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.job.JobConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the launcher finds the snapshot a restart restores from. */
class LatestSnapshotTest {
    @TempDir Path tmp;

    private static Path snapshot(Path dir, Instant at) throws Exception {
        Files.createDirectories(dir);
        Path m = Files.writeString(dir.resolve("_metadata"), "x");
        Files.setLastModifiedTime(m, FileTime.from(at));
        return dir;
    }

    @Test
    void a_checkpoint_directory_set_elsewhere_is_where_the_newest_checkpoint_is_found()
            throws Exception {
        Path data = tmp.resolve("data");
        Path elsewhere = tmp.resolve("fast").resolve("checkpoints");
        JobConfig c =
                JobConfig.from(
                        io.cohortflow.core.config.Settings.of(
                                Map.of(
                                        JobConfig.CHECKPOINT_DIR.key(),
                                        elsewhere.toUri().toString())));
        Instant t = Instant.parse("2026-12-05T10:00:00Z");
        snapshot(data.resolve("savepoints").resolve("savepoint-1"), t);
        // A crash after this checkpoint: it is the newest state, and the one to restore.
        Path newest = snapshot(elsewhere.resolve("job").resolve("chk-7"), t.plusSeconds(60));
        assertThat(CohortflowStack.latestSnapshot(c, data)).contains(newest);
        // The launcher's own savepoints go beside the checkpoints, and are found there too.
        assertThat(c.localSnapshotDirs())
                .containsExactly(elsewhere, elsewhere.resolveSibling("savepoints"));
        Path stopped =
                snapshot(
                        elsewhere.resolveSibling("savepoints").resolve("savepoint-2"),
                        t.plusSeconds(120));
        assertThat(CohortflowStack.latestSnapshot(c, data)).contains(stopped);
    }

    @Test
    void a_remote_checkpoint_directory_leaves_the_data_directorys_own() throws Exception {
        Path data = tmp.resolve("data");
        JobConfig c =
                JobConfig.from(
                        io.cohortflow.core.config.Settings.of(
                                Map.of(JobConfig.CHECKPOINT_DIR.key(), "s3://bucket/checkpoints")));
        assertThat(c.localSnapshotDirs()).isEmpty();
        Path sp =
                snapshot(
                        data.resolve("savepoints").resolve("savepoint-1"),
                        Instant.parse("2026-12-05T10:00:00Z"));
        assertThat(CohortflowStack.latestSnapshot(c, data)).contains(sp);
    }

    /**
     * The backfill's savepoint is used until the job has a snapshot of its own taken after its
     * start from it: a first start that failed before any checkpoint starts from it again, instead
     * of from the state before the backfill (which would skip every event the backfill counted).
     */
    @Test
    void a_bootstrap_counts_as_used_once_the_job_has_state_of_its_own_after_it() throws Exception {
        io.cohortflow.job.backfill.Cutover cutover =
                new io.cohortflow.job.backfill.Cutover(
                        "file:///backfill/sp", "2026-12-01T00:00:00Z", "events", Map.of(), 128);
        Path marker = tmp.resolve("bootstrap-used");
        Instant t = Instant.parse("2026-12-05T10:00:00Z");
        Path before = snapshot(tmp.resolve("savepoints").resolve("savepoint-old"), t);

        assertThat(CohortflowStack.fromBootstrap(null, marker, Optional.of(before))).isFalse();
        assertThat(CohortflowStack.fromBootstrap(cutover, marker, Optional.of(before))).isTrue();

        // Started from it at t + 1 min; failed before its first checkpoint.
        Files.writeString(marker, cutover.savepoint());
        Files.setLastModifiedTime(marker, FileTime.from(t.plusSeconds(60)));
        assertThat(CohortflowStack.fromBootstrap(cutover, marker, Optional.of(before)))
                .as("only the state from before the backfill")
                .isTrue();
        assertThat(CohortflowStack.fromBootstrap(cutover, marker, Optional.empty())).isTrue();

        // A checkpoint of its own after that start: from now on the job's own state.
        Path own = snapshot(tmp.resolve("checkpoints").resolve("chk-1"), t.plusSeconds(90));
        assertThat(CohortflowStack.fromBootstrap(cutover, marker, Optional.of(own))).isFalse();

        // Another backfill's savepoint: used.
        io.cohortflow.job.backfill.Cutover next =
                new io.cohortflow.job.backfill.Cutover(
                        "file:///backfill/sp2", "2026-12-04T00:00:00Z", "events", Map.of(), 128);
        assertThat(CohortflowStack.fromBootstrap(next, marker, Optional.of(own))).isTrue();
    }
}
