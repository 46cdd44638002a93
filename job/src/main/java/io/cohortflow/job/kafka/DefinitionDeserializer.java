package io.cohortflow.job.kafka;

import io.cohortflow.job.model.DefinitionUpdate;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Definitions-topic records, raw: the operator parses them and owns the rules. */
public final class DefinitionDeserializer
        implements KafkaRecordDeserializationSchema<DefinitionUpdate> {
    private static final long serialVersionUID = 1L;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> r, Collector<DefinitionUpdate> out) {
        String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
        out.collect(new DefinitionUpdate(key, r.value(), r.offset()));
    }

    @Override
    public TypeInformation<DefinitionUpdate> getProducedType() {
        return TypeInformation.of(DefinitionUpdate.class);
    }
}
