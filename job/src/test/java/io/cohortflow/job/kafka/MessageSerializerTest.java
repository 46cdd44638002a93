package io.cohortflow.job.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.job.model.KafkaMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

class MessageSerializerTest {
    @Test
    void outputs_carry_the_clock_when_written_not_the_event_time_behind_them() {
        // A membership of an event older than the topic's retention (7 days by default): stamped
        // with that event's time, the broker would delete it at its next retention check.
        long old = Instant.now().minus(Duration.ofDays(20)).toEpochMilli();
        KafkaMessage m =
                KafkaMessage.json("cohortflow.memberships", "ws/u1", Map.of("user_id", "u1"));
        ProducerRecord<byte[], byte[]> r = new MessageSerializer().serialize(m, null, old);
        assertThat(r.timestamp()).isNull(); // the producer's clock when it sends
        assertThat(r.topic()).isEqualTo("cohortflow.memberships");
        assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("ws/u1");
        assertThat(new MessageSerializer().serialize(m, null, -5L).timestamp()).isNull();
    }
}
