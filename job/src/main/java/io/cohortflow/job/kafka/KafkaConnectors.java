package io.cohortflow.job.kafka;

import io.cohortflow.core.config.CommonSettings;
import io.cohortflow.job.JobConfig;
import io.cohortflow.job.backfill.Cutover;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jspecify.annotations.Nullable;

/** The production sources and sinks: what {@code main} plugs into the topology. */
public final class KafkaConnectors {
    private KafkaConnectors() {}

    /**
     * Events from the group's committed offsets (earliest for a new group). Fetch waits are short
     * because synchronous requests wait on this path.
     */
    public static KafkaSource<Inbound> events(JobConfig c) {
        return events(c, null);
    }

    /**
     * Events; a job bootstrapped by a backfill starts at the cut-over's offsets (used only while
     * the source has no state of its own, i.e. on the start from the bootstrap savepoint).
     */
    @SuppressWarnings("deprecation")
    public static KafkaSource<Inbound> events(JobConfig c, @Nullable Cutover cutover) {
        OffsetsInitializer start =
                cutover == null
                        ? OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST)
                        : OffsetsInitializer.offsets(
                                cutover.startingOffsets(), OffsetResetStrategy.EARLIEST);
        return KafkaSource.<Inbound>builder()
                .setBootstrapServers(c.bootstrap())
                .setTopics(c.topics().events())
                .setGroupId(c.groupId())
                .setStartingOffsets(start)
                .setDeserializer(new InboundDeserializer(c.eventLimits()))
                // A parked fetch is answered as soon as a record lands (min bytes 1): a long
                // wait costs no latency, a short one has idle readers poll the broker hard.
                .setProperty(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "500")
                .setProperty("partition.discovery.interval.ms", "30000")
                .setProperty("commit.offsets.on.checkpoint", "true")
                .build();
    }

    /**
     * Definitions always from the beginning: the topic is the source of truth. The same source
     * reads the estimates topic, whose requests every subtask must see like a definition (requests
     * read after their deadline, as a new job reads the topic's last hour, are skipped).
     */
    public static KafkaSource<DefinitionUpdate> definitions(JobConfig c) {
        return KafkaSource.<DefinitionUpdate>builder()
                .setBootstrapServers(c.bootstrap())
                .setTopics(c.topics().definitions(), c.topics().estimates())
                .setGroupId(c.groupId() + "-definitions")
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setDeserializer(new DefinitionDeserializer(c.topics().estimates()))
                .setProperty(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "500")
                .build();
    }

    /** Definitions as they are now, for a bounded (backfill) run. */
    public static KafkaSource<DefinitionUpdate> definitionsNow(JobConfig c) {
        return KafkaSource.<DefinitionUpdate>builder()
                .setBootstrapServers(c.bootstrap())
                .setTopics(c.topics().definitions())
                .setGroupId(c.groupId() + "-backfill-definitions")
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setBounded(OffsetsInitializer.latest())
                .setDeserializer(new DefinitionDeserializer())
                .build();
    }

    /**
     * Per partition of the events topic, the first offset whose record timestamp is at or after
     * {@code time} (the end offset when there is none): every record before it has an earlier
     * timestamp.
     */
    public static Map<Integer, Long> eventOffsetsAt(JobConfig c, long time) {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(c)) {
            List<TopicPartition> parts = partitions(consumer, c.topics().events());
            Map<TopicPartition, Long> query = new HashMap<>();
            parts.forEach(p -> query.put(p, time));
            Map<TopicPartition, OffsetAndTimestamp> found =
                    consumer.offsetsForTimes(query, Duration.ofSeconds(30));
            Map<TopicPartition, Long> ends = consumer.endOffsets(parts, Duration.ofSeconds(30));
            Map<Integer, Long> out = new TreeMap<>();
            for (TopicPartition p : parts) {
                OffsetAndTimestamp o = found.get(p);
                out.put(p.partition(), o == null ? ends.get(p) : o.offset());
            }
            return out;
        }
    }

    /**
     * Memberships exactly once: transactions commit on checkpoints, so read_committed consumers see
     * each change once. The transaction timeout stays below the broker's 15-minute maximum.
     */
    public static KafkaSink<KafkaMessage> memberships(JobConfig c) {
        return KafkaSink.<KafkaMessage>builder()
                .setBootstrapServers(c.bootstrap())
                .setRecordSerializer(new MessageSerializer(c.topics().deadLetter()))
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(c.transactionalIdPrefix())
                .setProperty(
                        "transaction.timeout.ms", Long.toString(c.transactionTimeout().toMillis()))
                .build();
    }

    /**
     * Audiences exactly once, like the memberships they count (committed on the same checkpoints),
     * under a transactional id prefix of their own.
     */
    public static KafkaSink<KafkaMessage> audiences(JobConfig c) {
        return KafkaSink.<KafkaMessage>builder()
                .setBootstrapServers(c.bootstrap())
                .setRecordSerializer(new MessageSerializer(c.topics().deadLetter()))
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(c.transactionalIdPrefix() + "-audiences")
                .setProperty(
                        "transaction.timeout.ms", Long.toString(c.transactionTimeout().toMillis()))
                .build();
    }

    /**
     * Replies, dead letters, applied reports: at least once and sent at once (no linger), since
     * synchronous requests wait for replies and transactions would hold them back until a
     * checkpoint.
     */
    public static KafkaSink<KafkaMessage> side(JobConfig c) {
        return KafkaSink.<KafkaMessage>builder()
                .setBootstrapServers(c.bootstrap())
                .setRecordSerializer(new MessageSerializer(c.topics().deadLetter()))
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .setProperty("linger.ms", "0")
                .build();
    }

    /**
     * The end offset of the definitions topic now: events are evaluated only once the job has read
     * that far (see SegmentationFunction).
     */
    public static long definitionsEndOffset(JobConfig c) {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(c)) {
            List<TopicPartition> parts = partitions(consumer, c.topics().definitions());
            long end = 0;
            for (long e : consumer.endOffsets(parts, Duration.ofSeconds(30)).values()) {
                end = Math.max(end, e);
            }
            return end;
        }
    }

    /**
     * {@code question}'s answer, or an {@link IllegalStateException} saying which broker did not
     * answer {@code what} (or failed it): the client's own "Timeout expired while fetching topic
     * metadata" names neither the broker nor the setting that chose it.
     */
    public static <T> T ask(JobConfig c, String what, Supplier<T> question) {
        try {
            return question.get();
        } catch (KafkaException e) {
            throw new IllegalStateException(
                    what
                            + ": "
                            + (e instanceof TimeoutException ? "no answer from " : "")
                            + "Kafka at "
                            + c.bootstrap()
                            + " ("
                            + CommonSettings.KAFKA_BOOTSTRAP_SERVERS.key()
                            + ")",
                    e);
        }
    }

    private static KafkaConsumer<byte[], byte[]> consumer(JobConfig c) {
        Map<String, Object> cfg =
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        c.bootstrap(),
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false);
        return new KafkaConsumer<>(cfg, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, String topic) {
        List<TopicPartition> parts = new ArrayList<>();
        for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
            parts.add(new TopicPartition(p.topic(), p.partition()));
        }
        return parts;
    }
}
