package io.cohortflow.service.e2e;

import static io.cohortflow.service.e2e.SegmentationHostileInputTest.error;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.contract.Heartbeat;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.service.api.Http;
import io.cohortflow.service.segmentation.SegmentationConfig;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * 503 or 504 when the job does not answer: the service tells a job that is not running (nothing on
 * the replies topic while the request waited) from one that runs but did not answer this request in
 * time (its subtasks' heartbeats arrive). No job runs here: the heartbeats are written as a running
 * job's subtask writes them ({@link Heartbeat}), on the real service over an in-JVM broker.
 */
class JobLivenessTest {
    static ServiceOnBroker stack;
    static Http http;

    @BeforeAll
    static void start() {
        stack = ServiceOnBroker.start(Map.of(SegmentationConfig.TIMEOUT_MS, "1500"));
        http = stack.http;
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    static Http.Response lookup() {
        return http.post(
                "/ccs/v1/segmentation?k=ci-key", "{\"user_id\":\"" + UUID.randomUUID() + "\"}");
    }

    @Test
    void no_job_is_503_and_a_running_job_that_does_not_answer_in_time_is_504() throws Exception {
        Http.Response none = lookup();
        error(none, 503, "segmentation_unavailable");
        assertThat(none.header("Retry-After")).isEqualTo("1");
        assertThat(none.json().at("/error/message").asText()).contains("not running");

        ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor();
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(
                        Map.of(
                                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                stack.kafka.bootstrapServers()),
                        new StringSerializer(),
                        new ByteArraySerializer())) {
            beats.scheduleAtFixedRate(
                    () ->
                            producer.send(
                                    new ProducerRecord<>(
                                            TopicNames.DEFAULT.replies(),
                                            Heartbeat.key(0),
                                            Json.bytes(
                                                    new Heartbeat(0, Instant.now().toString())))),
                    0,
                    300,
                    TimeUnit.MILLISECONDS);
            Http.Response slow = lookup();
            error(slow, 504, "segmentation_timeout");
            assertThat(slow.header("Retry-After")).isEqualTo("1");
            assertThat(slow.json().at("/error/message").asText()).doesNotContain("not running");
        } finally {
            beats.shutdownNow();
        }
    }
}
