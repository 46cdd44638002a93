package io.cohortflow.job.kafka;

import io.cohortflow.core.event.EventLimits;
import io.cohortflow.job.model.Inbound;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Events-topic records to {@link Inbound}; never throws (see {@link InboundParser}). */
public final class InboundDeserializer implements KafkaRecordDeserializationSchema<Inbound> {
    private static final long serialVersionUID = 1L;

    private final EventLimits limits;

    public InboundDeserializer(EventLimits limits) {
        this.limits = limits;
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> r, Collector<Inbound> out) {
        out.collect(
                InboundParser.parse(
                        r.key(),
                        r.value(),
                        r.topic(),
                        r.partition(),
                        r.offset(),
                        r.timestamp(),
                        limits));
    }

    @Override
    public TypeInformation<Inbound> getProducedType() {
        return TypeInformation.of(Inbound.class);
    }
}
