package io.cohortflow.job.backfill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohortflow.core.config.CommonSettings;
import io.cohortflow.job.CohortflowJob;
import io.cohortflow.job.JobConfig;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CutoverTest {
    @TempDir Path dir;

    @Test
    void the_file_round_trips_by_savepoint_directory_or_by_its_own_path() throws Exception {
        String savepoint = dir.toUri().toString();
        Cutover c =
                new Cutover(
                        savepoint,
                        "2026-11-16T00:00:00Z",
                        "cohortflow.events",
                        Map.of(0, 12L, 1, 7L),
                        128);
        c.write();
        assertThat(Cutover.read(savepoint)).isEqualTo(c);
        assertThat(Cutover.read(dir.resolve(Cutover.FILE).toUri().toString())).isEqualTo(c);
        assertThat(c.startingOffsets())
                .containsEntry(new TopicPartition("cohortflow.events", 0), 12L)
                .containsEntry(new TopicPartition("cohortflow.events", 1), 7L);
    }

    @Test
    void a_job_refuses_a_savepoint_written_for_other_key_groups_or_another_topic()
            throws Exception {
        String savepoint = dir.toUri().toString();
        new Cutover(savepoint, "2026-11-16T00:00:00Z", "cohortflow.events", Map.of(0, 0L), 64)
                .write();
        JobConfig job = JobConfig.from(Map.of(JobConfig.BOOTSTRAP_MANIFEST.key(), savepoint));
        assertThatThrownBy(() -> CohortflowJob.cutover(job))
                .hasMessageContaining("max parallelism 64")
                .hasMessageContaining("this job has 128");
        JobConfig otherTopic =
                JobConfig.from(
                        Map.of(
                                JobConfig.BOOTSTRAP_MANIFEST.key(), savepoint,
                                JobConfig.MAX_PARALLELISM.key(), "64",
                                CommonSettings.TOPIC_EVENTS.key(), "other.events"));
        assertThatThrownBy(() -> CohortflowJob.cutover(otherTopic))
                .hasMessageContaining("other.events");
        JobConfig fits =
                JobConfig.from(
                        Map.of(
                                JobConfig.BOOTSTRAP_MANIFEST.key(),
                                savepoint,
                                JobConfig.MAX_PARALLELISM.key(),
                                "64"));
        assertThat(CohortflowJob.cutover(fits).cutoverMillis())
                .isEqualTo(java.time.Instant.parse("2026-11-16T00:00:00Z").toEpochMilli());
        assertThat(CohortflowJob.cutover(JobConfig.defaults())).isNull();
    }
}
