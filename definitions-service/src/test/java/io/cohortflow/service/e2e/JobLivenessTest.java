package io.cohortflow.service.e2e;

import static io.cohortflow.service.e2e.SegmentationHostileInputTest.error;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.contract.Heartbeat;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.service.api.Defs;
import io.cohortflow.service.api.Http;
import io.cohortflow.service.segmentation.SegmentationConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
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
import org.awaitility.Awaitility;
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
        stack = ServiceOnBroker.start(Map.of(SegmentationConfig.TIMEOUT.key(), "1500 ms"));
        http = stack.http;
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    /** Writes to the replies topic as a job's subtask does. */
    static KafkaProducer<String, byte[]> producer() {
        return new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka.bootstrapServers()),
                new StringSerializer(),
                new ByteArraySerializer());
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
        try (KafkaProducer<String, byte[]> producer = producer()) {
            beats.scheduleAtFixedRate(
                    () ->
                            producer.send(
                                    new ProducerRecord<>(
                                            TopicNames.DEFAULT.replies(),
                                            Heartbeat.key(0),
                                            Json.bytes(
                                                    new Heartbeat(
                                                            0,
                                                            Instant.now().toString(),
                                                            null,
                                                            null)))),
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

    static Http.Response withEventAt(Instant time) {
        return withEventAt(UUID.randomUUID().toString(), time);
    }

    static Http.Response withEventAt(String user, Instant time) {
        return http.post(
                "/ccs/v1/segmentation?k=ci-key",
                Defs.map(
                        "user_id",
                        user,
                        "events",
                        List.of(
                                Map.of(
                                        "name",
                                        "Pageview",
                                        "time",
                                        time.toString(),
                                        "properties",
                                        Map.of()))));
    }

    @Test
    void events_are_checked_against_the_limits_the_running_job_announces() throws Exception {
        // Before any heartbeat: the configured limit (5 minutes), so 3 minutes ahead passes the
        // service and waits for a job that is not there: no answer, 503 (or 504, when a heartbeat
        // of this class's other test is read while it waits), never the 400 of a refused time.
        Http.Response before = withEventAt(Instant.now().plus(Duration.ofMinutes(3)));
        assertThat(before.status()).as(before.toString()).isIn(503, 504);

        // A job whose limit is one minute says so in its heartbeats: the same event is refused at
        // the edge, as the job would have dead-lettered it after answering.
        try (KafkaProducer<String, byte[]> producer = producer()) {
            producer.send(
                            new ProducerRecord<>(
                                    TopicNames.DEFAULT.replies(),
                                    Heartbeat.key(1),
                                    Json.bytes(
                                            new Heartbeat(
                                                    1,
                                                    Instant.now().toString(),
                                                    Duration.ofMinutes(1).toMillis(),
                                                    Duration.ofDays(2).toMillis()))))
                    .get();
        }
        Http.Response ahead =
                Awaitility.await()
                        .atMost(Duration.ofSeconds(10))
                        .until(
                                () -> withEventAt(Instant.now().plus(Duration.ofMinutes(3))),
                                r -> r.status() == 400);
        assertThat(error(ahead, 400, "invalid_event").get("message").asText())
                .contains("more than PT1M in the future");
        // And its horizon: three days back is older than the job keeps, so the event is not
        // sent to the job (it could change no state; answered, it would be dead-lettered).
        String user = UUID.randomUUID().toString();
        withEventAt(user, Instant.now().minus(Duration.ofDays(3)));
        List<String> sent =
                io.cohortflow.kafka.KafkaTopics.drainValues(
                        stack.kafka.bootstrapServers(),
                        TopicNames.DEFAULT.events(),
                        org.apache.kafka.common.IsolationLevel.READ_UNCOMMITTED);
        List<com.fasterxml.jackson.databind.JsonNode> envelopes = new java.util.ArrayList<>();
        for (String v : sent) {
            com.fasterxml.jackson.databind.JsonNode n = Json.MAPPER.readTree(v);
            if (user.equals(n.path("user_id").asText())) {
                envelopes.add(n);
            }
        }
        assertThat(envelopes).hasSize(1);
        assertThat(envelopes.get(0).path("events")).isEmpty();
    }
}
