package io.cohortflow.job.kafka;

import io.cohortflow.core.contract.DeadLetterRecord;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.RecordLimits;
import io.cohortflow.job.JobMetrics;
import io.cohortflow.job.model.KafkaMessage;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.metrics.Counter;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every output is a {@link KafkaMessage} naming its own topic. A record's Kafka timestamp is the
 * clock when it is written (the producer's), never the time of the event or timer behind it, which
 * the record's body carries: brokers delete and roll log segments by record timestamps, so an
 * output stamped with an event older than its topic's retention (a late event, a replayed history,
 * a dead-lettered event older than the horizon) would be deleted at the broker's next retention
 * check, before consumers read it.
 *
 * <p>A record past {@link RecordLimits#MAX_BYTES} goes to the dead-letter topic instead, cut, with
 * reason {@value #TOO_LARGE}: the producer would refuse it, which fails the task, and the replay
 * after the restart would write it again, for ever. The outputs bound what they quote of a client's
 * input when they are made; this is the net under all of them.
 */
public final class MessageSerializer implements KafkaRecordSerializationSchema<KafkaMessage> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(MessageSerializer.class);

    /** The dead letter's reason for an output too large to write. */
    public static final String TOO_LARGE = "output_too_large";

    private final String deadLetterTopic;

    /**
     * The dead letters written here, counted as the operator's are ({@code
     * cohortflow.dead_letters{reason="output_too_large"}}, JobMetrics): the dashboard's panel and
     * the dead-letter alert read that name, and missed these.
     */
    private transient @Nullable Counter tooLarge;

    /** With {@code deadLetterTopic}, where an output too large to write goes instead. */
    public MessageSerializer(String deadLetterTopic) {
        this.deadLetterTopic = deadLetterTopic;
    }

    @Override
    public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sink) {
        tooLarge = JobMetrics.deadLetters(JobMetrics.group(context.getMetricGroup()), TOO_LARGE);
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(
            KafkaMessage m, KafkaSinkContext ctx, Long timestamp) {
        byte[] key = m.key == null ? null : m.key.getBytes(StandardCharsets.UTF_8);
        int size = (key == null ? 0 : key.length) + (m.value == null ? 0 : m.value.length);
        if (size <= RecordLimits.MAX_BYTES) {
            return new ProducerRecord<>(m.topic, null, null, key, m.value);
        }
        if (tooLarge != null) {
            tooLarge.inc();
        }
        LOG.warn(
                "a {} record of {} bytes (key {}) is past the {} a record may take; it goes to {}",
                m.topic,
                size,
                RecordLimits.cut(m.key, 200),
                RecordLimits.MAX_BYTES,
                deadLetterTopic);
        DeadLetterRecord d =
                new DeadLetterRecord(
                        TOO_LARGE,
                        "a "
                                + m.topic
                                + " record of "
                                + size
                                + " bytes, past the "
                                + RecordLimits.MAX_BYTES
                                + " a record may take; its value is cut here",
                        m.topic,
                        -1,
                        -1,
                        m.key,
                        m.valueText());
        return new ProducerRecord<>(
                deadLetterTopic,
                null,
                null,
                d.key() == null ? null : d.key().getBytes(StandardCharsets.UTF_8),
                Json.bytes(d));
    }
}
