package io.cohortflow.job.kafka;

import io.cohortflow.job.JobConfig;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** The production sources and sinks: what {@code main} plugs into the topology. */
public final class KafkaConnectors {
    private KafkaConnectors() {}

    /**
     * Events from the group's committed offsets (earliest for a new group). Fetch waits are short
     * because synchronous requests wait on this path.
     */
    @SuppressWarnings("deprecation")
    public static KafkaSource<Inbound> events(JobConfig c) {
        return KafkaSource.<Inbound>builder()
                .setBootstrapServers(c.bootstrap())
                .setTopics(c.topics().events())
                .setGroupId(c.groupId())
                .setStartingOffsets(
                        OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setDeserializer(new InboundDeserializer())
                .setProperty(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "5")
                .setProperty("partition.discovery.interval.ms", "30000")
                .setProperty("commit.offsets.on.checkpoint", "true")
                .build();
    }

    /** Definitions always from the beginning: the topic is the source of truth. */
    public static KafkaSource<DefinitionUpdate> definitions(JobConfig c) {
        return KafkaSource.<DefinitionUpdate>builder()
                .setBootstrapServers(c.bootstrap())
                .setTopics(c.topics().definitions())
                .setGroupId(c.groupId() + "-definitions")
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setDeserializer(new DefinitionDeserializer())
                .setProperty(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "50")
                .build();
    }

    /**
     * Memberships exactly once: transactions commit on checkpoints, so read_committed consumers see
     * each change once. The transaction timeout stays below the broker's 15-minute maximum.
     */
    public static KafkaSink<KafkaMessage> memberships(JobConfig c) {
        return KafkaSink.<KafkaMessage>builder()
                .setBootstrapServers(c.bootstrap())
                .setRecordSerializer(new MessageSerializer())
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(c.transactionalIdPrefix())
                .setProperty(
                        "transaction.timeout.ms", Long.toString(c.transactionTimeout().toMillis()))
                .build();
    }

    /**
     * Replies, dead letters, applied reports, wake-ups: at least once and sent at once (no linger),
     * since synchronous requests wait for replies and transactions would hold them back until a
     * checkpoint.
     */
    public static KafkaSink<KafkaMessage> side(JobConfig c) {
        return KafkaSink.<KafkaMessage>builder()
                .setBootstrapServers(c.bootstrap())
                .setRecordSerializer(new MessageSerializer())
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .setProperty("linger.ms", "0")
                .build();
    }

    /**
     * The end offset of the definitions topic now: events are evaluated only once the job has read
     * that far (see SegmentationFunction).
     */
    public static long definitionsEndOffset(JobConfig c) {
        Map<String, Object> cfg =
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        c.bootstrap(),
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false);
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        cfg, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            for (PartitionInfo p :
                    consumer.partitionsFor(c.topics().definitions(), Duration.ofSeconds(30))) {
                parts.add(new TopicPartition(p.topic(), p.partition()));
            }
            long end = 0;
            for (long e : consumer.endOffsets(parts, Duration.ofSeconds(30)).values()) {
                end = Math.max(end, e);
            }
            return end;
        }
    }
}
