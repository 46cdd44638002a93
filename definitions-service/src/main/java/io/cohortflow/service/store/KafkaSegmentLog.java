package io.cohortflow.service.store;

import io.cohortflow.service.kafka.Follower;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jspecify.annotations.Nullable;

/**
 * The definitions topic (one partition, compacted) as a {@link SegmentLog}. The reader is not in a
 * consumer group: every replica reads the whole partition from the beginning, as Schema Registry
 * reads {@code _schemas}.
 */
public final class KafkaSegmentLog implements SegmentLog {
    private final TopicPartition partition;
    private final KafkaProducer<String, byte[]> producer;
    private final Properties consumerConfig;
    private volatile long position = 0;
    private volatile long end = -1;
    private long startEnd;
    private @Nullable Follower<byte[], byte[]> follower;

    public KafkaSegmentLog(String bootstrap, String topic) {
        this.partition = new TopicPartition(topic, 0);
        String instance = UUID.randomUUID().toString().substring(0, 8);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "cohortflow-definitions-writer-" + instance);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        // Each write is a user waiting for an answer: send at once rather than batch.
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        // send() runs on the request's thread: block at most as long as a request waits for its
        // write (the store's default write timeout), not Kafka's default 60 s.
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "cohortflow-definitions-reader-" + instance);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // After a failure the reader resumes where it stopped; an offset no longer there is read
        // again from the start, which the store ignores (each record applies once, see
        // DefinitionStore).
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // A write is read back as soon as it lands (a parked fetch is answered then): the wait
        // only spares the broker an idle reader's polling.
        c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 500);
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        consumerConfig = c;
    }

    @Override
    public long start(Sink sink) {
        follower =
                new Follower<>(
                        "definitions",
                        () ->
                                new KafkaConsumer<>(
                                        consumerConfig,
                                        new ByteArrayDeserializer(),
                                        new ByteArrayDeserializer()),
                        new Follower.Reader<>() {
                            private long lastReported = -2;

                            @Override
                            public void open(
                                    KafkaConsumer<byte[], byte[]> consumer,
                                    Map<TopicPartition, Long> positions) {
                                Follower.assignFromBeginning(
                                        consumer, List.of(partition), positions);
                                if (!positions.isEmpty()) {
                                    return; // a restart: the end at start is known
                                }
                                startEnd =
                                        consumer.endOffsets(
                                                        List.of(partition), Duration.ofSeconds(30))
                                                .getOrDefault(partition, 0L);
                            }

                            @Override
                            public void accept(
                                    ConsumerRecords<byte[], byte[]> records,
                                    KafkaConsumer<byte[], byte[]> consumer) {
                                for (ConsumerRecord<byte[], byte[]> r :
                                        records.records(partition)) {
                                    sink.accept(
                                            r.offset(),
                                            r.key() == null
                                                    ? ""
                                                    : new String(
                                                            r.key(),
                                                            java.nio.charset.StandardCharsets
                                                                    .UTF_8),
                                            r.value());
                                }
                                // The position skips gaps (compacted records, markers), so
                                // report it rather than the last record's offset.
                                position = consumer.position(partition);
                                if (position - 1 != lastReported) {
                                    lastReported = position - 1;
                                    sink.processedUpTo(lastReported);
                                }
                                if (consumer.currentLag(partition).isPresent()) {
                                    end = position + consumer.currentLag(partition).getAsLong();
                                }
                            }
                        },
                        Duration.ofMillis(200));
        follower.start();
        return startEnd;
    }

    /** Whether the reader still follows the log. */
    public boolean alive() {
        return follower != null && follower.healthy();
    }

    /** The reader, for readiness. */
    public @Nullable Follower<byte[], byte[]> follower() {
        return follower;
    }

    @Override
    public CompletableFuture<Long> append(String key, byte @Nullable [] value) {
        CompletableFuture<Long> done = new CompletableFuture<>();
        try {
            producer.send(
                    new ProducerRecord<>(partition.topic(), 0, key, value),
                    (meta, error) -> {
                        if (error != null) {
                            done.completeExceptionally(error);
                        } else {
                            done.complete(meta.offset());
                        }
                    });
        } catch (RuntimeException e) {
            done.completeExceptionally(e);
        }
        return done;
    }

    @Override
    public long lag() {
        return end < 0 ? -1 : Math.max(0, end - position);
    }

    @Override
    public void close() {
        if (follower != null) {
            follower.close();
        }
        producer.close(Duration.ofSeconds(5));
    }
}
