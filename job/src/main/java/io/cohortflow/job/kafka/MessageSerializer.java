package io.cohortflow.job.kafka;

import io.cohortflow.job.model.KafkaMessage;
import java.nio.charset.StandardCharsets;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Every output is a {@link KafkaMessage} naming its own topic. */
public final class MessageSerializer implements KafkaRecordSerializationSchema<KafkaMessage> {
    private static final long serialVersionUID = 1L;

    @Override
    public ProducerRecord<byte[], byte[]> serialize(
            KafkaMessage m, KafkaSinkContext ctx, Long timestamp) {
        byte[] key = m.key == null ? null : m.key.getBytes(StandardCharsets.UTF_8);
        return new ProducerRecord<>(m.topic, null, timestamp, key, m.value);
    }
}
