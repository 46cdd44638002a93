package io.cohortflow.service.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.kafka.EmbeddedKafka;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The one reader loop of the service, on a real broker: restarts, a reader's defect, no topic. */
class FollowerTest {
    static EmbeddedKafka kafka;
    static KafkaProducer<String, String> producer;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.start();
        producer =
                new KafkaProducer<>(
                        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                        new StringSerializer(),
                        new StringSerializer());
    }

    @AfterAll
    static void stop() {
        producer.close();
        kafka.close();
    }

    static void createTopic(String topic) throws Exception {
        try (Admin admin =
                Admin.create(
                        Map.of(
                                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                                kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1)))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
    }

    static void send(String topic, String... values) throws Exception {
        for (String v : values) {
            producer.send(new ProducerRecord<>(topic, 0, v, v)).get();
        }
    }

    /** A real consumer whose next poll throws while {@code fail} is set (then clears it). */
    static KafkaConsumer<String, String> consumer(AtomicBoolean fail) {
        Map<String, Object> c =
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        kafka.bootstrapServers(),
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false,
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest");
        return new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer()) {
            @Override
            public ConsumerRecords<String, String> poll(Duration timeout) {
                if (fail.getAndSet(false)) {
                    throw new KafkaException("injected: the broker refused the fetch");
                }
                return super.poll(timeout);
            }
        };
    }

    /** Reads {@code topic} from the beginning (or where it stopped) into {@code seen}. */
    static Follower.Reader<String, String> collect(String topic, List<String> seen, String poison) {
        return new Follower.Reader<>() {
            @Override
            public void open(
                    KafkaConsumer<String, String> consumer, Map<TopicPartition, Long> positions) {
                if (consumer.partitionsFor(topic, Duration.ofSeconds(1)).isEmpty()) {
                    consumer.assign(List.of());
                    return;
                }
                Follower.assignFromBeginning(
                        consumer, List.of(new TopicPartition(topic, 0)), positions);
            }

            @Override
            public void accept(
                    ConsumerRecords<String, String> records,
                    KafkaConsumer<String, String> consumer) {
                records.forEach(
                        r -> {
                            if (r.value().equals(poison)) {
                                throw new IllegalStateException("a defect in the reader");
                            }
                            seen.add(r.value());
                        });
            }
        };
    }

    /** Reads what comes to {@code topic} after start (as the replies reader does). */
    static Follower.Reader<String, String> fromEnd(String topic, List<String> seen) {
        return new Follower.Reader<>() {
            @Override
            public void open(
                    KafkaConsumer<String, String> consumer, Map<TopicPartition, Long> positions) {
                TopicPartition tp = new TopicPartition(topic, 0);
                consumer.assign(List.of(tp));
                Long at = positions.get(tp);
                if (at == null) {
                    consumer.seekToEnd(List.of(tp));
                } else {
                    consumer.seek(tp, at);
                }
            }

            @Override
            public void accept(
                    ConsumerRecords<String, String> records,
                    KafkaConsumer<String, String> consumer) {
                records.forEach(r -> seen.add(r.value()));
            }
        };
    }

    static void await(Callable<Boolean> condition) {
        Awaitility.await()
                .atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(20))
                .until(condition);
    }

    @Test
    void a_failed_consumer_is_replaced_and_reading_resumes_where_it_stopped() throws Exception {
        createTopic("restart");
        send("restart", "a", "b", "c");
        AtomicBoolean fail = new AtomicBoolean();
        List<String> seen = new CopyOnWriteArrayList<>();
        try (Follower<String, String> f =
                new Follower<>(
                        "restart",
                        () -> consumer(fail),
                        collect("restart", seen, "-"),
                        Duration.ofMillis(50))) {
            f.start();
            await(() -> seen.size() == 3);
            fail.set(true);
            await(() -> f.restarts() == 1);
            send("restart", "d", "e");
            await(() -> seen.size() == 5);
            await(f::healthy);
            // Every record once, in order: the new consumer started where the old one stopped.
            assertThat(seen).containsExactly("a", "b", "c", "d", "e");
            assertThat(f.stoppedBy()).isNull();
        }
    }

    @Test
    void a_failure_before_the_first_poll_resumes_where_start_put_the_reader() throws Exception {
        createTopic("early");
        send("early", "old");
        AtomicBoolean fail = new AtomicBoolean(true); // the very first poll fails
        List<String> seen = new CopyOnWriteArrayList<>();
        try (Follower<String, String> f =
                new Follower<>(
                        "early",
                        () -> consumer(fail),
                        fromEnd("early", seen),
                        Duration.ofMillis(50))) {
            f.start();
            send("early", "new"); // after start, before the restart's new consumer
            await(() -> f.restarts() == 1);
            await(() -> seen.size() == 1);
            // Not skipped: the new consumer resumed at start's position, not at the end again.
            assertThat(seen).containsExactly("new");
        }
    }

    @Test
    void a_reader_that_throws_stops_the_follower_which_then_reports_itself_unhealthy()
            throws Exception {
        createTopic("defect");
        List<String> seen = new CopyOnWriteArrayList<>();
        try (Follower<String, String> f =
                new Follower<>(
                        "defect",
                        () -> consumer(new AtomicBoolean()),
                        collect("defect", seen, "boom"),
                        Duration.ofMillis(50))) {
            f.start();
            send("defect", "a");
            await(() -> seen.size() == 1);
            assertThat(f.healthy()).isTrue();
            send("defect", "boom", "b");
            await(() -> !f.healthy());
            assertThat(f.stoppedBy()).hasMessage("a defect in the reader");
            // Gives a wrongly still-running follower the time to read "b": nothing must come.
            Thread.sleep(300);
            assertThat(seen).containsExactly("a"); // nothing read past the defect
        }
    }

    @Test
    void a_topic_that_does_not_exist_yet_is_waited_for_while_healthy() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (Follower<String, String> f =
                new Follower<>(
                        "later",
                        () -> consumer(new AtomicBoolean()),
                        collect("later", seen, "-"),
                        Duration.ofMillis(50))) {
            f.start();
            // Lets the follower run a while without its topic: it must stay healthy meanwhile.
            Thread.sleep(300);
            assertThat(f.healthy()).isTrue();
            createTopic("later");
            send("later", "x");
            await(() -> seen.size() == 1);
            assertThat(f.restarts()).isZero();
        }
    }
}
