package io.cohortflow.service.segmentation;

import io.cohortflow.core.contract.EventEnvelope;
import io.cohortflow.service.kafka.Follower;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How {@link JobClient} reaches the job, each end configured for request/reply: the producer of
 * events, estimates and dead letters, the reader of every replies partition from the end, and the
 * listener for direct replies.
 */
final class JobConnections {
    // Under the client's name: these are its records, and log settings select them by it.
    private static final Logger LOG = LoggerFactory.getLogger(JobClient.class);

    private JobConnections() {}

    /**
     * Listens for direct replies on {@code host} as {@code d} says, handing each to {@code
     * replies}.
     *
     * @throws IllegalStateException when it cannot listen, or listens at an address the job would
     *     not accept, naming the setting to change
     */
    static ReplyListener directReplies(
            String host, SegmentationConfig.DirectReplies d, BiConsumer<String, byte[]> replies) {
        ReplyListener direct;
        try {
            direct = new ReplyListener(host, d.port(), d.advertisedHost(), replies);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(
                    "cannot listen for direct replies on "
                            + host
                            + ":"
                            + d.port()
                            + " ("
                            + SegmentationConfig.DIRECT_REPLIES_PORT.key()
                            + "): "
                            + e.getMessage(),
                    e);
        }
        if (!EventEnvelope.validReplyTo(direct.address())) {
            direct.close();
            throw new IllegalStateException(
                    "direct replies: "
                            + direct.address()
                            + " is not an address the job accepts; set "
                            + SegmentationConfig.DIRECT_REPLIES_HOST.key());
        }
        LOG.info("direct replies: listening on {}", direct.address());
        return direct;
    }

    /**
     * The producer of every record to the job, its sends bounded by the request {@code timeout}.
     */
    static KafkaProducer<String, byte[]> producer(String bootstrap, Duration timeout) {
        Map<String, Object> p =
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        // Latency first: send each record at once rather than wait for a batch.
                        ProducerConfig.LINGER_MS_CONFIG,
                        "0",
                        ProducerConfig.ACKS_CONFIG,
                        "all",
                        // Fail a send fast when the broker is gone: the request has a deadline.
                        ProducerConfig.MAX_BLOCK_MS_CONFIG,
                        Long.toString(timeout.toMillis()),
                        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
                        Long.toString(Math.max(timeout.toMillis(), 1_000) + 1_000),
                        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG,
                        Long.toString(Math.max(timeout.toMillis(), 1_000)));
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    /**
     * A follower (not started) of every partition of the replies {@code topic}, without a consumer
     * group, handing each record's key and value to {@code read} on its thread.
     */
    static Follower<String, byte[]> replies(
            String bootstrap, String topic, BiConsumer<@Nullable String, byte[]> read) {
        Map<String, Object> c =
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false,
                        // The broker answers a parked fetch as soon as a reply lands (min bytes 1):
                        // a long wait costs no latency, a short one has the idle reader ask again
                        // and again (at 5 ms, a good share of an idle stack's CPU).
                        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG,
                        500,
                        ConsumerConfig.FETCH_MIN_BYTES_CONFIG,
                        1);
        return new Follower<>(
                "replies",
                () -> new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer()),
                new FromTheEnd(topic, read),
                Duration.ofMillis(100));
    }

    /**
     * Reads every partition of the replies topic from where the follower stopped, or else from the
     * end at start, or from the beginning for a partition that appeared since.
     */
    private static final class FromTheEnd implements Follower.Reader<String, byte[]> {
        private final String topic;
        private final BiConsumer<@Nullable String, byte[]> read;
        private boolean started;

        FromTheEnd(String topic, BiConsumer<@Nullable String, byte[]> read) {
            this.topic = topic;
            this.read = read;
        }

        @Override
        public void open(
                KafkaConsumer<String, byte[]> consumer, Map<TopicPartition, Long> positions) {
            List<TopicPartition> parts = new ArrayList<>();
            for (PartitionInfo i : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
                parts.add(new TopicPartition(i.topic(), i.partition()));
            }
            consumer.assign(parts);
            for (TopicPartition tp : parts) {
                Long at = positions.get(tp);
                if (at != null) {
                    consumer.seek(tp, at);
                } else if (!started) {
                    // At start only what comes next matters (the follower resolves the position
                    // before start() returns, so no reply sent after it can be skipped).
                    consumer.seekToEnd(List.of(tp));
                } else {
                    // A partition that appeared since start holds nothing older than this client.
                    consumer.seekToBeginning(List.of(tp));
                }
            }
            started = true;
        }

        @Override
        public void accept(
                ConsumerRecords<String, byte[]> records, KafkaConsumer<String, byte[]> consumer) {
            for (ConsumerRecord<String, byte[]> r : records) {
                read.accept(r.key(), r.value());
            }
        }
    }
}
