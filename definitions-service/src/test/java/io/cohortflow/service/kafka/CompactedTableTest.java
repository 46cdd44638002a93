package io.cohortflow.service.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.contract.TopicSpec;
import io.cohortflow.kafka.EmbeddedKafka;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A first-writer-wins table with a record per write (the alias bindings): the writes that lost are
 * tombstoned by {@link CompactedTable#compact}, the held values stay, and a replica rebuilt from
 * the topic holds the same; a tombstone of the held record removes the key.
 */
class CompactedTableTest {
    static EmbeddedKafka kafka;
    static final String TOPIC = "table.first-wins";

    /** A value, as the table stores it: JSON of a record. */
    public record Value(String v) {}

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.start();
        Topics.ensure(
                kafka.bootstrapServers(),
                List.of(new TopicSpec(TOPIC, 1, Map.of("cleanup.policy", "compact"))));
    }

    @AfterAll
    static void stop() {
        kafka.close();
    }

    private static CompactedTable<Value> table() {
        CompactedTable<Value> t =
                new CompactedTable<>(
                        kafka.bootstrapServers(),
                        TOPIC,
                        Value.class,
                        (current, incoming) -> current,
                        Duration.ofSeconds(10),
                        true);
        t.start(Duration.ofSeconds(30));
        return t;
    }

    @Test
    void the_writes_that_lost_are_tombstoned_and_the_held_values_stay() throws Exception {
        CompactedTable<Value> a = table();
        try {
            assertThat(a.write("k1", new Value("first")).get()).contains(new Value("first"));
            assertThat(a.write("k1", new Value("second")).get()).contains(new Value("first"));
            assertThat(a.write("k2", new Value("only")).get()).contains(new Value("only"));
            assertThat(a.supersededCount()).isEqualTo(1);
            assertThat(a.compact().get()).isEqualTo(1);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> a.supersededCount() == 0);
            assertThat(a.get("k1")).contains(new Value("first"));

            CompactedTable<Value> b = table();
            try {
                assertThat(b.get("k1")).contains(new Value("first"));
                assertThat(b.get("k2")).contains(new Value("only"));
                assertThat(b.supersededCount()).isZero();
            } finally {
                b.close();
            }
        } finally {
            a.close();
        }
    }

    /**
     * The audiences table is written by the job in transactions: what an aborted one held (a size
     * the job rolled back when its task failed) is not the table's, nor what a later read of the
     * log rebuilds.
     */
    @Test
    void what_an_aborted_transaction_wrote_is_not_read() throws Exception {
        var props =
                java.util.Map.<String, Object>of(
                        org.apache.kafka.clients.producer.ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        kafka.bootstrapServers(),
                        org.apache.kafka.clients.producer.ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                        "table-test-" + System.nanoTime());
        try (var producer =
                new org.apache.kafka.clients.producer.KafkaProducer<String, String>(
                        props,
                        new org.apache.kafka.common.serialization.StringSerializer(),
                        new org.apache.kafka.common.serialization.StringSerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(
                    new org.apache.kafka.clients.producer.ProducerRecord<>(
                            TOPIC, "aborted", "{\"v\":\"rolled back\"}"));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(
                    new org.apache.kafka.clients.producer.ProducerRecord<>(
                            TOPIC, "committed", "{\"v\":\"kept\"}"));
            producer.commitTransaction();
        }
        CompactedTable<Value> t = table();
        try {
            Awaitility.await()
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> t.get("committed").isPresent());
            assertThat(t.get("aborted")).isEmpty();
        } finally {
            t.close();
        }
    }

    @Test
    void reading_the_log_again_marks_no_held_value_superseded() throws Exception {
        String topic = TOPIC + ".reread";
        Topics.ensure(
                kafka.bootstrapServers(),
                List.of(new TopicSpec(topic, 1, Map.of("cleanup.policy", "compact"))));
        CompactedTable<Value> a =
                new CompactedTable<>(
                        kafka.bootstrapServers(),
                        topic,
                        Value.class,
                        (current, incoming) -> current,
                        Duration.ofSeconds(10),
                        true);
        a.start(Duration.ofSeconds(30));
        try {
            a.write("k1", new Value("first")).get();
            a.write("k2", new Value("second")).get();
            assertThat(a.supersededCount()).isZero();
            // A reader that starts over from the beginning (its offset gone) with a full table.
            for (var r :
                    io.cohortflow.kafka.KafkaTopics.drain(
                            kafka.bootstrapServers(),
                            topic,
                            org.apache.kafka.common.IsolationLevel.READ_UNCOMMITTED,
                            Duration.ofSeconds(3))) {
                a.apply(
                        new org.apache.kafka.clients.consumer.ConsumerRecord<>(
                                r.topic(),
                                r.partition(),
                                r.offset(),
                                r.key() == null
                                        ? null
                                        : new String(
                                                r.key(), java.nio.charset.StandardCharsets.UTF_8),
                                r.value()));
            }
            // Nothing lost its write: compaction must tombstone nothing.
            assertThat(a.supersededCount()).isZero();
            assertThat(a.compact().get()).isZero();
            assertThat(a.get("k1")).contains(new Value("first"));
            assertThat(a.get("k2")).contains(new Value("second"));
        } finally {
            a.close();
        }
    }

    @Test
    void a_tombstone_of_a_key_leaves_no_value() throws Exception {
        CompactedTable<Value> a =
                new CompactedTable<>(
                        kafka.bootstrapServers(),
                        TOPIC + ".plain",
                        Value.class,
                        (current, incoming) -> incoming,
                        Duration.ofSeconds(10));
        Topics.ensure(
                kafka.bootstrapServers(),
                List.of(new TopicSpec(TOPIC + ".plain", 1, Map.of("cleanup.policy", "compact"))));
        a.start(Duration.ofSeconds(30));
        try {
            a.write("k", new Value("v")).get();
            assertThat(a.write("k", null).get()).isEqualTo(Optional.empty());
        } finally {
            a.close();
        }
    }
}
