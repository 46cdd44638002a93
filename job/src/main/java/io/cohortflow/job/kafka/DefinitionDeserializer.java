package io.cohortflow.job.kafka;

import io.cohortflow.job.model.DefinitionUpdate;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;

/**
 * Definitions-topic records, raw: the operator parses them and owns the rules. Records of the
 * estimates topic, read by the same source, are marked as such.
 */
public final class DefinitionDeserializer
        implements KafkaRecordDeserializationSchema<DefinitionUpdate> {
    private static final long serialVersionUID = 1L;

    @Nullable private final String estimatesTopic;

    /** For the definitions topic alone. */
    public DefinitionDeserializer() {
        this(null);
    }

    /** For the definitions topic and {@code estimatesTopic}. */
    public DefinitionDeserializer(@Nullable String estimatesTopic) {
        this.estimatesTopic = estimatesTopic;
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> r, Collector<DefinitionUpdate> out) {
        String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
        if (r.topic().equals(estimatesTopic)) {
            if (r.value() != null) {
                out.collect(DefinitionUpdate.estimate(key, r.value(), r.offset()));
            }
            return;
        }
        out.collect(new DefinitionUpdate(key, r.value(), r.offset()));
    }

    @Override
    public TypeInformation<DefinitionUpdate> getProducedType() {
        return TypeInformation.of(DefinitionUpdate.class);
    }
}
