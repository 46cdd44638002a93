package io.cohortflow.kafka;

import io.cohortflow.core.contract.TopicSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Test support: creating topics with their configs on a test broker, and reading a topic to its
 * end. (The service's {@code Topics} creates them for the running system; the job's tests cannot
 * see the service, hence this copy of a dozen lines.)
 */
public final class KafkaTopics {
    private KafkaTopics() {}

    /** Creates the topics that do not exist yet; existing ones are left as they are. */
    public static void ensure(String bootstrap, Collection<TopicSpec> specs) {
        try (Admin admin =
                Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (TopicSpec s : specs) {
                if (!existing.contains(s.name())) {
                    missing.add(
                            new NewTopic(s.name(), Optional.of(s.partitions()), Optional.empty())
                                    .configs(s.configs()));
                }
            }
            if (missing.isEmpty()) {
                return;
            }
            try {
                admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e; // another process created it first: fine
                }
            }
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("could not create topics " + specs, e);
        }
    }

    /**
     * Every record of a topic from the beginning to the end offsets at the time of the call, read
     * with the given isolation ({@code read_committed} shows only committed transactions).
     */
    public static List<ConsumerRecord<byte[], byte[]>> drain(
            String bootstrap, String topic, IsolationLevel isolation, Duration timeout) {
        Map<String, Object> cfg = new HashMap<>();
        cfg.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        cfg.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation.toString());
        cfg.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        cfg, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            for (PartitionInfo p : consumer.partitionsFor(topic, timeout)) {
                parts.add(new TopicPartition(topic, p.partition()));
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts, timeout);
            List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!reached(consumer, end)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "could not read " + topic + " to its end in " + timeout);
                }
                consumer.poll(Duration.ofMillis(100)).forEach(out::add);
            }
            return out;
        }
    }

    private static boolean reached(KafkaConsumer<?, ?> c, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (c.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** Convenience: every record's value as UTF-8 text. */
    public static List<String> drainValues(
            String bootstrap, String topic, IsolationLevel isolation) {
        List<String> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r :
                drain(bootstrap, topic, isolation, Duration.ofSeconds(30))) {
            out.add(
                    r.value() == null
                            ? null
                            : new String(r.value(), java.nio.charset.StandardCharsets.UTF_8));
        }
        return out;
    }
}
