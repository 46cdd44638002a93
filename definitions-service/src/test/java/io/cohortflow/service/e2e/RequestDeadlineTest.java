package io.cohortflow.service.e2e;

import static io.cohortflow.service.e2e.SegmentationHostileInputTest.error;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.ReplyRecord;
import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.service.api.Http;
import io.cohortflow.service.segmentation.SegmentationConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A request's timeout counts from its arrival, whatever its steps: on the real service over an
 * in-JVM broker with no job, a request naming new aliases waits for their bindings and then for the
 * job, and answers within the one timeout (3 s here).
 *
 * <p>The bindings are made slow with the broker's own means: a transaction left open on the aliases
 * topic. The table's reader reads committed records only, so it cannot read past the transaction's
 * first record until it ends, and a binding written after it is stored but not confirmed (read
 * back) until then.
 */
class RequestDeadlineTest {
    static final Duration TIMEOUT = Duration.ofSeconds(3);
    static ServiceOnBroker stack;
    static Http http;

    @BeforeAll
    static void start() {
        stack = ServiceOnBroker.start(Map.of(SegmentationConfig.TIMEOUT.key(), "3 s"));
        http = stack.http;
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    /** A producer whose open transaction holds every committed-only reader of the aliases topic. */
    static KafkaProducer<String, byte[]> transactional() {
        KafkaProducer<String, byte[]> p =
                new KafkaProducer<>(
                        Map.of(
                                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                stack.kafka.bootstrapServers(),
                                ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                                "hold-" + UUID.randomUUID()),
                        new StringSerializer(),
                        new ByteArraySerializer());
        p.initTransactions();
        return p;
    }

    /**
     * A stand-in for the job: answers each request on the events topic, an erasure after {@code
     * eraseDelay} (a segmentation request at once, in no cohort).
     */
    static Thread standInJob(Duration eraseDelay, AtomicBoolean stop) throws InterruptedException {
        java.util.concurrent.CountDownLatch reading = new java.util.concurrent.CountDownLatch(1);
        Thread t =
                new Thread(
                        () -> {
                            try (KafkaConsumer<String, byte[]> events =
                                            new KafkaConsumer<>(
                                                    Map.of(
                                                            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                                            stack.kafka.bootstrapServers()),
                                                    new StringDeserializer(),
                                                    new ByteArrayDeserializer());
                                    KafkaProducer<String, byte[]> replies =
                                            new KafkaProducer<>(
                                                    Map.of(
                                                            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                                            stack.kafka.bootstrapServers()),
                                                    new StringSerializer(),
                                                    new ByteArraySerializer())) {
                                List<TopicPartition> parts = new ArrayList<>();
                                for (var i : events.partitionsFor(TopicNames.DEFAULT.events())) {
                                    parts.add(new TopicPartition(i.topic(), i.partition()));
                                }
                                events.assign(parts);
                                events.seekToEnd(parts);
                                parts.forEach(events::position);
                                reading.countDown();
                                while (!stop.get()) {
                                    for (var r : events.poll(Duration.ofMillis(50))) {
                                        JsonNode e = Json.MAPPER.readTree(r.value());
                                        boolean erase = e.path("op").asText().equals("erase");
                                        if (erase) {
                                            Thread.sleep(eraseDelay.toMillis());
                                        }
                                        String id = e.path("request_id").asText();
                                        String user = e.path("user_id").asText();
                                        ReplyRecord reply =
                                                erase
                                                        ? new ReplyRecord(
                                                                id, user, null, null, null, false,
                                                                true, List.of(), null)
                                                        : new ReplyRecord(
                                                                id, user, List.of(), null, null,
                                                                false);
                                        replies.send(
                                                new ProducerRecord<>(
                                                        TopicNames.DEFAULT.replies(),
                                                        id,
                                                        Json.bytes(reply)));
                                    }
                                }
                            } catch (Exception e) {
                                if (!stop.get()) {
                                    throw new IllegalStateException(e);
                                }
                            }
                        },
                        "stand-in-job");
        t.setDaemon(true);
        t.start();
        assertThat(reading.await(30, TimeUnit.SECONDS)).as("the stand-in job reads").isTrue();
        return t;
    }

    /**
     * An erasure waits for the job, then for its alias bindings' removal: both within the one
     * timeout. The removal had a write timeout of its own (per scan), so an erasure whose job took
     * most of the timeout answered a whole write timeout late.
     */
    @Test
    void erasing_a_user_and_removing_their_aliases_share_one_timeout() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        Thread job = standInJob(TIMEOUT.multipliedBy(2).dividedBy(3), stop);
        try {
            String id = UUID.randomUUID().toString();
            Http.Response bound =
                    http.post(
                            "/ccs/v1/segmentation?k=ci-key",
                            "{\"aliases\": [{\"priority\": 0, \"tag\": \"crm\", \"id\": \""
                                    + id
                                    + "\"}]}");
            assertThat(bound.status()).as("%s", bound).isEqualTo(200);
            try (KafkaProducer<String, byte[]> hold = transactional()) {
                // The bindings' tombstones are written but never read back.
                hold.beginTransaction();
                hold.send(new ProducerRecord<>(TopicNames.DEFAULT.aliases(), 0, "hold#0", null))
                        .get();
                long sent = System.nanoTime();
                Http.Response r = http.delete("/ccs/v1/users/alias?tag=crm&id=" + id + "&k=ci-key");
                Duration took = Duration.ofNanos(System.nanoTime() - sent);
                hold.abortTransaction();

                error(r, 503, "segmentation_unavailable");
                // The erasure cannot be undone: the answer names the user to retry by.
                assertThat(r.json().at("/error/message").asText())
                        .contains("is erased, but their alias bindings could not all be removed")
                        .contains("retry the erasure by that user_id");
                // Within the one timeout (and a margin for a busy machine), not the job's two
                // thirds of it and then the bindings' own write timeout (5 s in all).
                assertThat(took).as("%s", r).isLessThan(TIMEOUT.plusMillis(1_200));
            }
        } finally {
            stop.set(true);
            job.join(5_000);
        }
    }

    @Test
    void binding_new_aliases_and_waiting_for_the_job_share_one_timeout() throws Exception {
        String id = UUID.randomUUID().toString();
        String body =
                "{\"aliases\": [{\"priority\": 0, \"tag\": \"crm\", \"id\": \""
                        + id
                        + "\"}, {\"priority\": 1, \"tag\": \"cookie\", \"id\": \""
                        + id
                        + "\"}]}";
        ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();
        try (KafkaProducer<String, byte[]> hold = transactional()) {
            hold.beginTransaction();
            // A tombstone of no binding: nothing to the table once it can read it.
            hold.send(new ProducerRecord<>(TopicNames.DEFAULT.aliases(), 0, "hold#0", null)).get();
            long sent = System.nanoTime();
            // Four fifths of the timeout on, the strongest alias's binding is read back (the
            // others' are not held), and the job has what is left: late enough that a fresh
            // timeout for the job (5.4 s in all) and the one shared timeout (3 s) lie well apart
            // for a busy machine.
            ScheduledFuture<?> commit =
                    later.schedule(
                            () -> {
                                hold.commitTransaction();
                                return null;
                            },
                            TIMEOUT.toMillis() * 4 / 5,
                            TimeUnit.MILLISECONDS);
            Http.Response r = http.post("/ccs/v1/segmentation?k=ci-key", body);
            Duration took = Duration.ofNanos(System.nanoTime() - sent);
            commit.get();

            // The bindings were confirmed: what failed is the wait for the job (there is none).
            error(r, 503, "segmentation_unavailable");
            assertThat(r.json().at("/error/message").asText()).contains("did not answer");
            // Within the one timeout (and a margin for a busy machine), not the job's full
            // timeout after the bindings' four fifths (5.4 s).
            assertThat(took).as("%s", r).isLessThan(TIMEOUT.plusMillis(1_200));
        } finally {
            later.shutdownNow();
        }
    }
}
