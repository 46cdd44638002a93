package io.cohortflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.config.CommonSettings;
import io.cohortflow.core.contract.Json;
import io.cohortflow.job.kafka.KafkaConnectors;
import io.cohortflow.kafka.CohortflowTopics;
import io.cohortflow.kafka.EmbeddedKafka;
import io.cohortflow.kafka.KafkaTopics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * Shared set-up of the whole-graph tests: a real KRaft broker for the class, the production Kafka
 * connectors, RocksDB with frequent checkpoints, and helpers to produce and read topics.
 */
abstract class KafkaJobTest {
    static EmbeddedKafka kafka;
    static KafkaProducer<String, String> producer;

    /**
     * The test's directory (checkpoints, savepoints, files). Not a {@code @TempDir}: a job's
     * checkpoint clean-up may still be deleting and writing in it as the test ends, and JUnit's
     * removal then fails a test that passed; this one is removed after, retried, best effort.
     */
    Path dir;

    @BeforeEach
    void makeDir() throws java.io.IOException {
        dir = Files.createTempDirectory("cohortflow-job-test");
    }

    @AfterEach
    void removeDir() throws InterruptedException {
        for (int attempt = 0; attempt < 10 && Files.exists(dir); attempt++) {
            try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (java.io.IOException | java.io.UncheckedIOException e) {
                Thread.sleep(300); // something still writes there: again shortly
            }
        }
    }

    @BeforeAll
    static void startKafka() {
        kafka = EmbeddedKafka.start();
        producer =
                new KafkaProducer<>(
                        Map.of(
                                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                kafka.bootstrapServers(),
                                ProducerConfig.LINGER_MS_CONFIG,
                                "0"),
                        new StringSerializer(),
                        new StringSerializer());
    }

    @AfterAll
    static void stopKafka() {
        producer.close();
        kafka.close();
    }

    /** A configuration with topics of its own (so tests in one class do not see each other). */
    JobConfig config(String prefix, Map<String, String> extra) {
        Map<String, String> s = new HashMap<>();
        s.put(CommonSettings.KAFKA_BOOTSTRAP_SERVERS.key(), kafka.bootstrapServers());
        s.put(JobConfig.GROUP_ID.key(), prefix + "-job");
        s.put(JobConfig.PARALLELISM.key(), "2");
        s.put(JobConfig.CHECKPOINT_DIR.key(), dir.resolve("checkpoints").toUri().toString());
        s.put(JobConfig.CHECKPOINT_INTERVAL.key(), "PT0.5S");
        s.put(JobConfig.OUT_OF_ORDERNESS.key(), "PT0S");
        // The tests' event times are days old: on an idle stream time would jump to the wall
        // clock (and every window lapse) after the idleness period. Time moves with events here;
        // the idle-stream test sets its own.
        s.put(JobConfig.IDLENESS.key(), "PT10M");
        s.put(JobConfig.TRANSACTIONAL_ID_PREFIX.key(), prefix + "-tx");
        s.put(CommonSettings.TOPIC_DEFINITIONS.key(), prefix + ".definitions");
        s.put(CommonSettings.TOPIC_EVENTS.key(), prefix + ".events");
        s.put(CommonSettings.TOPIC_MEMBERSHIPS.key(), prefix + ".memberships");
        s.put(CommonSettings.TOPIC_REPLIES.key(), prefix + ".replies");
        s.put(CommonSettings.TOPIC_DEAD_LETTER.key(), prefix + ".dead-letter");
        s.put(CommonSettings.TOPIC_APPLIED.key(), prefix + ".applied");
        s.put(CommonSettings.TOPIC_AUDIENCES.key(), prefix + ".audiences");
        s.put(CommonSettings.TOPIC_ESTIMATES.key(), prefix + ".estimates");
        s.putAll(extra);
        JobConfig c = JobConfig.from(s);
        CohortflowTopics.ensure(kafka.bootstrapServers(), c.topics(), 2);
        return c;
    }

    JobClient start(JobConfig c, SegmentationFunction function, Configuration extra)
            throws Exception {
        Configuration conf = CohortflowJob.flinkConfiguration(c);
        conf.addAll(extra);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        new CohortflowJob(
                        KafkaConnectors.events(c),
                        KafkaConnectors.definitions(c),
                        KafkaConnectors.memberships(c),
                        KafkaConnectors.audiences(c),
                        KafkaConnectors.side(c),
                        c,
                        function)
                .build(env);
        return env.executeAsync("cohortflow-test");
    }

    JobClient start(JobConfig c) throws Exception {
        return start(
                c,
                new SegmentationFunction(
                        SegmentationSettings.of(c, KafkaConnectors.definitionsEndOffset(c), true)),
                new Configuration());
    }

    void produce(String topic, String key, String value) {
        try {
            producer.send(new ProducerRecord<>(topic, key, value)).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    void events(JobConfig c, String workspace, String user, String... events) {
        produce(
                c.topics().events(),
                workspace + "/" + user,
                TestRecords.envelope(workspace, user, null, events));
    }

    void segment(
            JobConfig c,
            String workspace,
            String id,
            long version,
            long replaces,
            boolean published,
            boolean deleted,
            String def) {
        produce(
                c.topics().definitions(),
                workspace + "/" + id + "@" + version,
                TestRecords.segmentJson(workspace, id, version, replaces, published, deleted, def));
    }

    static List<JsonNode> read(String topic, IsolationLevel isolation) {
        List<JsonNode> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r :
                KafkaTopics.drain(
                        kafka.bootstrapServers(), topic, isolation, Duration.ofSeconds(30))) {
            try {
                out.add(Json.MAPPER.readTree(new String(r.value(), StandardCharsets.UTF_8)));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        return out;
    }

    /** Reads committed records until {@code done} holds, or fails after a timeout. */
    static List<JsonNode> awaitCommitted(
            String topic, Predicate<List<JsonNode>> done, Duration timeout) {
        try {
            return Awaitility.await()
                    .atMost(timeout)
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> read(topic, IsolationLevel.READ_COMMITTED), done);
        } catch (ConditionTimeoutException e) {
            // The timeout names what the topic had; what the job applied and refused tells why.
            String prefix = topic.substring(0, topic.indexOf('.'));
            throw new AssertionError(
                    "timed out waiting on "
                            + topic
                            + "; applied: "
                            + read(prefix + ".applied", IsolationLevel.READ_UNCOMMITTED)
                            + "; dead letters: "
                            + read(prefix + ".dead-letter", IsolationLevel.READ_UNCOMMITTED),
                    e);
        }
    }

    static long count(List<JsonNode> records, String field, String value) {
        return records.stream().filter(r -> value.equals(r.path(field).asText())).count();
    }

    static void assertNoDuplicates(List<JsonNode> memberships) {
        List<String> keys = new ArrayList<>();
        for (JsonNode m : memberships) {
            keys.add(
                    m.get("user_id").asText()
                            + "|"
                            + m.get("segment_id").asText()
                            + "|"
                            + m.get("change").asText()
                            + "|"
                            + m.get("time").asText());
        }
        assertThat(keys).doesNotHaveDuplicates();
    }
}
