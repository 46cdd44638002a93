package io.cohortflow.service.segmentation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohortflow.core.contract.EventEnvelope;
import io.cohortflow.kafka.EmbeddedKafka;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class JobClientTest {
    private static JobClient started(EmbeddedKafka kafka) {
        JobClient job =
                new JobClient(
                        kafka.bootstrapServers(),
                        "127.0.0.1",
                        SegmentationConfig.from(Map.of(), Map.of()));
        job.start();
        return job;
    }

    /**
     * A request whose record Kafka would refuse (possible with the body limit raised) is the
     * client's to make smaller: a 413 at once, not a 503 telling it to retry the same for ever.
     */
    @Test
    void a_request_past_what_a_kafka_record_takes_is_413_at_once() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            JobClient job = started(kafka);
            try {
                var big =
                        io.cohortflow.core.contract.Json.MAPPER
                                .createObjectNode()
                                .put("name", "P")
                                .put("text", "x".repeat(1_100_000));
                var answer =
                        job.request(
                                new EventEnvelope(
                                        "ws",
                                        UUID.randomUUID().toString(),
                                        List.of(big),
                                        "r1",
                                        false,
                                        false,
                                        null));
                assertThatThrownBy(answer::get)
                        .isInstanceOf(ExecutionException.class)
                        .cause()
                        .isInstanceOfSatisfying(
                                io.cohortflow.service.ServiceException.class,
                                e -> assertThat(e.status()).isEqualTo(413));
                assertThat(job.waiting()).isZero();
            } finally {
                job.close();
            }
        }
    }

    @Test
    void a_request_the_producer_refuses_by_throwing_leaves_nothing_waiting() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            JobClient job = started(kafka);
            job.close(); // its producer closed: a send now throws instead of calling back
            var answer = job.request(envelope("r1"));
            assertThatThrownBy(answer::get)
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(JobClient.NoReply.class);
            assertThat(job.waiting()).isZero();
        }
    }

    /**
     * A reply that arrived but cannot be read: the job applied the events, so the client gets a
     * 500, not a 503 or 504 that tells it to retry them.
     */
    @Test
    void an_unreadable_reply_is_an_internal_error_not_a_timeout() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            io.cohortflow.kafka.CohortflowTopics.ensure(
                    kafka.bootstrapServers(), io.cohortflow.core.contract.TopicNames.DEFAULT, 1);
            JobClient job = started(kafka);
            try (var producer =
                    new org.apache.kafka.clients.producer.KafkaProducer<String, String>(
                            Map.of(
                                    "bootstrap.servers",
                                    kafka.bootstrapServers(),
                                    "key.serializer",
                                    org.apache.kafka.common.serialization.StringSerializer.class
                                            .getName(),
                                    "value.serializer",
                                    org.apache.kafka.common.serialization.StringSerializer.class
                                            .getName()))) {
                var answer = job.request(envelope("r-unreadable"));
                String replies = SegmentationConfig.from(Map.of(), Map.of()).topics().replies();
                producer.send(
                                new org.apache.kafka.clients.producer.ProducerRecord<>(
                                        replies, "r-unreadable", "{\"request_id\": [not json"))
                        .get();
                assertThatThrownBy(answer::get)
                        .isInstanceOf(ExecutionException.class)
                        .cause()
                        .isInstanceOf(JobClient.UnreadableReply.class);
                try {
                    answer.get();
                } catch (ExecutionException e) {
                    // As the controller hands it over: the future's failure.
                    assertThat(
                                    JobErrors.translate(
                                            new java.util.concurrent.CompletionException(
                                                    e.getCause())))
                            .isInstanceOf(JobClient.UnreadableReply.class);
                }
                assertThat(job.waiting()).isZero();
            } finally {
                job.close();
            }
        }
    }

    /**
     * Parts of a job that restarted at another parallelism mid-request: the earlier ones are
     * another stratification and go; the estimate completes with one parallelism's parts only.
     */
    @Test
    void estimate_parts_of_two_parallelisms_are_not_mixed() throws Exception {
        JobClient.Parts parts = new JobClient.Parts();
        parts.add(part(0, 4));
        parts.add(part(1, 4));
        parts.add(part(2, 4));
        parts.add(part(0, 2)); // restarted at 2: three parts held would have "completed" 2
        assertThat(parts.done).isNotDone();
        parts.add(part(1, 2));
        assertThat(parts.done.get())
                .extracting(io.cohortflow.core.contract.EstimatePart::subtasks)
                .containsExactly(2, 2);
    }

    private static io.cohortflow.core.contract.EstimatePart part(int subtask, int subtasks) {
        return new io.cohortflow.core.contract.EstimatePart(
                "r", subtask, subtasks, 100, 10, 1, null, null);
    }

    /** A request without events from a new user, under {@code requestId}. */
    private static EventEnvelope envelope(String requestId) {
        return new EventEnvelope(
                "ws", UUID.randomUUID().toString(), List.of(), requestId, false, false, null);
    }
}
