package io.cohortflow.job.kafka;

import io.cohortflow.job.model.KafkaMessage;
import java.nio.charset.StandardCharsets;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Every output is a {@link KafkaMessage} naming its own topic. A record's Kafka timestamp is the
 * clock when it is written (the producer's), never the time of the event or timer behind it, which
 * the record's body carries: brokers delete and roll log segments by record timestamps, so an
 * output stamped with an event older than its topic's retention (a late event, a replayed history,
 * a dead-lettered event older than the horizon) would be deleted at the broker's next retention
 * check, before consumers read it.
 */
public final class MessageSerializer implements KafkaRecordSerializationSchema<KafkaMessage> {
    private static final long serialVersionUID = 1L;

    @Override
    public ProducerRecord<byte[], byte[]> serialize(
            KafkaMessage m, KafkaSinkContext ctx, Long timestamp) {
        byte[] key = m.key == null ? null : m.key.getBytes(StandardCharsets.UTF_8);
        return new ProducerRecord<>(m.topic, null, null, key, m.value);
    }
}
