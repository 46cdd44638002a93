package io.cohortflow.job.kafka;

import io.cohortflow.job.model.KafkaMessage;
import java.nio.charset.StandardCharsets;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Every output is a {@link KafkaMessage} naming its own topic. A record's timestamp is the time of
 * the event or timer behind it; one Kafka refuses (negative) is left to the broker's clock, since a
 * {@code ProducerRecord} that throws here fails the job on every restart.
 */
public final class MessageSerializer implements KafkaRecordSerializationSchema<KafkaMessage> {
    private static final long serialVersionUID = 1L;

    @Override
    public ProducerRecord<byte[], byte[]> serialize(
            KafkaMessage m, KafkaSinkContext ctx, Long timestamp) {
        byte[] key = m.key == null ? null : m.key.getBytes(StandardCharsets.UTF_8);
        Long ts = timestamp == null || timestamp < 0 ? null : timestamp;
        return new ProducerRecord<>(m.topic, null, ts, key, m.value);
    }
}
