package io.cohortflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobConfigTest {

    @Test
    void defaults_are_the_documented_ones() {
        JobConfig c = JobConfig.defaults();
        assertThat(c.bootstrap()).isEqualTo("127.0.0.1:9092");
        assertThat(c.topics().events()).isEqualTo("cohortflow.events");
        assertThat(c.topics().definitions()).isEqualTo("cohortflow.definitions");
        assertThat(c.parallelism()).isEqualTo(2);
        assertThat(c.horizon()).isEqualTo(Duration.ofDays(90));
        assertThat(c.historyCap()).isEqualTo(1000);
        assertThat(c.maxFutureSkew()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.checkpointInterval()).isEqualTo(Duration.ofMillis(1500));
        assertThat(c.transactionTimeout()).isLessThanOrEqualTo(Duration.ofMinutes(15));
        assertThat(c.checkpointDir()).startsWith("file:").endsWith("data/checkpoints");
    }

    @Test
    void a_file_sets_values_and_the_environment_overrides_the_file(@TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("cohortflow.properties");
        Files.writeString(
                file,
                "kafka.bootstrap=10.0.0.1:9092\nstate.horizon=P30D\ntopics.events=my.events\n");
        Map<String, String> s =
                JobConfig.load(
                        file,
                        Map.of(
                                "COHORTFLOW_KAFKA_BOOTSTRAP",
                                "127.0.0.1:19092",
                                "COHORTFLOW_STATE_HISTORY_CAP",
                                "50"));
        JobConfig c = JobConfig.from(s);
        assertThat(c.bootstrap()).isEqualTo("127.0.0.1:19092");
        assertThat(c.horizon()).isEqualTo(Duration.ofDays(30));
        assertThat(c.historyCap()).isEqualTo(50);
        assertThat(c.topics().events()).isEqualTo("my.events");
        assertThat(c.topics().replies()).isEqualTo("cohortflow.replies");
        assertThat(c.engine().horizon()).isEqualTo(Duration.ofDays(30));
    }

    @Test
    void environment_names_follow_the_keys() {
        assertThat(JobConfig.envName(JobConfig.TRANSACTIONAL_ID_PREFIX))
                .isEqualTo("COHORTFLOW_KAFKA_TRANSACTIONAL_ID_PREFIX");
    }
}
