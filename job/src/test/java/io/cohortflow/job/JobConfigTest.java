package io.cohortflow.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohortflow.core.config.CommonSettings;
import io.cohortflow.core.config.InvalidSettingException;
import io.cohortflow.core.config.Settings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
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
        assertThat(c.audiences()).isTrue();
    }

    @Test
    void without_audiences_the_topology_has_no_audience_counting() {
        for (boolean audiences : new boolean[] {true, false}) {
            JobConfig c =
                    JobConfig.from(Map.of(JobConfig.AUDIENCES.key(), Boolean.toString(audiences)));
            org.apache.flink.streaming.api.environment.StreamExecutionEnvironment env =
                    org.apache.flink.streaming.api.environment.StreamExecutionEnvironment
                            .getExecutionEnvironment();
            var sink =
                    new org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink<
                            io.cohortflow.job.model.KafkaMessage>();
            new CohortflowJob(
                            new org.apache.flink.connector.datagen.source.DataGeneratorSource<>(
                                    i -> new io.cohortflow.job.model.Inbound(),
                                    1,
                                    org.apache.flink.api.common.typeinfo.TypeInformation.of(
                                            io.cohortflow.job.model.Inbound.class)),
                            new org.apache.flink.connector.datagen.source.DataGeneratorSource<>(
                                    i -> new io.cohortflow.job.model.DefinitionUpdate(),
                                    1,
                                    org.apache.flink.api.common.typeinfo.TypeInformation.of(
                                            io.cohortflow.job.model.DefinitionUpdate.class)),
                            sink,
                            sink,
                            sink,
                            c,
                            new SegmentationFunction(SegmentationSettings.of(c, 0, true)))
                    .build(env);
            assertThat(
                            env.getStreamGraph().getStreamNodes().stream()
                                    .anyMatch(n -> n.getOperatorName().equals("Audiences")))
                    .as("audiences " + audiences)
                    .isEqualTo(audiences);
        }
    }

    @Test
    void a_file_sets_values_and_the_environment_overrides_the_file(@TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("cohortflow.properties");
        Files.writeString(
                file,
                "cohortflow.kafka.bootstrap-servers=10.0.0.1:9092\n"
                        + "cohortflow.state.horizon=30 d\n"
                        + "cohortflow.topics.events=my.events\n");
        JobConfig c =
                JobConfig.from(
                        Settings.load(
                                file,
                                Map.of(
                                        "COHORTFLOW_KAFKA_BOOTSTRAP_SERVERS",
                                        "127.0.0.1:19092",
                                        "COHORTFLOW_STATE_HISTORY_CAP",
                                        "50")));
        assertThat(c.bootstrap()).isEqualTo("127.0.0.1:19092");
        assertThat(c.horizon()).isEqualTo(Duration.ofDays(30));
        assertThat(c.historyCap()).isEqualTo(50);
        assertThat(c.topics().events()).isEqualTo("my.events");
        assertThat(c.topics().replies()).isEqualTo("cohortflow.replies");
        assertThat(c.engine().horizon()).isEqualTo(Duration.ofDays(30));
    }

    @Test
    void the_keys_and_environment_names_of_before_still_work(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("old.properties");
        Files.writeString(
                file,
                "kafka.bootstrap=10.0.0.1:9092\nstate.horizon=P30D\ntopics.events=my.events\n");
        Settings s = Settings.load(file, Map.of("COHORTFLOW_JOB_PARALLELISM", "3"));
        JobConfig c = JobConfig.from(s);
        assertThat(c.bootstrap()).isEqualTo("10.0.0.1:9092");
        assertThat(c.horizon()).isEqualTo(Duration.ofDays(30));
        assertThat(c.topics().events()).isEqualTo("my.events");
        assertThat(c.parallelism()).isEqualTo(3);
        assertThat(s.deprecationsUsed())
                .anyMatch(w -> w.startsWith("kafka.bootstrap is deprecated"))
                .anyMatch(w -> w.startsWith("state.horizon is deprecated"));
        assertThat(
                        JobConfig.from(
                                        Settings.of(
                                                Map.of(),
                                                Map.of("COHORTFLOW_KAFKA_BOOTSTRAP", "h:1")))
                                .bootstrap())
                .isEqualTo("h:1");
    }

    @Test
    void a_bad_value_is_refused_naming_the_key_and_where_it_came_from() {
        assertThatThrownBy(
                        () ->
                                JobConfig.from(
                                        Settings.of(
                                                Map.of(),
                                                Map.of("COHORTFLOW_JOB_PARALLELISM", "two"))))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessage(
                        "COHORTFLOW_JOB_PARALLELISM: cohortflow.job.parallelism must be an integer"
                                + " from 1 to 32768, got 'two'");
        assertThatThrownBy(
                        () -> JobConfig.from(Map.of("cohortflow.job.checkpoint-interval", "soon")))
                .hasMessageStartingWith(
                        "cohortflow.job.checkpoint-interval must be a duration (e.g. 500 ms");
        // Values that parse but that Kafka or the sink's transactions cannot take.
        assertThatThrownBy(
                        () ->
                                JobConfig.from(
                                        Map.of("cohortflow.kafka.transaction-timeout", "90 d")))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("cohortflow.kafka.transaction-timeout must be at most");
        assertThatThrownBy(
                        () ->
                                JobConfig.from(
                                        Map.of("cohortflow.job.checkpoint-interval", "15 min")))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("must be shorter than cohortflow.kafka.transaction-timeout");
    }

    @Test
    void flink_configuration_sets_job_settings_below_the_file_and_the_environment() {
        Configuration flink = new Configuration();
        flink.setString("cohortflow.job.parallelism", "4");
        flink.setString("cohortflow.job.checkpoint-interval", "5 s");
        flink.setString("cohortflow.state.history-cap", "10");
        Settings s =
                FlinkSettings.layered(
                        flink,
                        JobConfig.ALL,
                        Map.of("cohortflow.job.checkpoint-interval", "2 s"),
                        Map.of("COHORTFLOW_STATE_HISTORY_CAP", "20"));
        JobConfig c = JobConfig.from(s);
        assertThat(c.parallelism()).isEqualTo(4);
        assertThat(c.checkpointInterval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.historyCap()).isEqualTo(20);
    }

    @Test
    void environment_names_follow_the_keys() {
        assertThat(JobConfig.TRANSACTIONAL_ID_PREFIX.envName())
                .isEqualTo("COHORTFLOW_KAFKA_TRANSACTIONAL_ID_PREFIX");
        assertThat(CommonSettings.KAFKA_BOOTSTRAP_SERVERS.envName())
                .isEqualTo("COHORTFLOW_KAFKA_BOOTSTRAP_SERVERS");
    }
}
