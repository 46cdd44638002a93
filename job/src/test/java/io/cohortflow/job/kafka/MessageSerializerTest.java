package io.cohortflow.job.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.contract.RecordLimits;
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
        ProducerRecord<byte[], byte[]> r =
                new MessageSerializer("cohortflow.dead-letter").serialize(m, null, old);
        assertThat(r.timestamp()).isNull(); // the producer's clock when it sends
        assertThat(r.topic()).isEqualTo("cohortflow.memberships");
        assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("ws/u1");
        assertThat(
                        new MessageSerializer("cohortflow.dead-letter")
                                .serialize(m, null, -5L)
                                .timestamp())
                .isNull();
    }

    /**
     * A record the producer would refuse fails the task, and the replay writes it again: it goes to
     * the dead-letter topic instead, cut, saying why, and the job goes on.
     */
    /** A metric group that hands out one counter per name, whatever the groups on the way. */
    static final class Counters extends org.apache.flink.metrics.groups.UnregisteredMetricsGroup {
        final java.util.Map<String, org.apache.flink.metrics.SimpleCounter> named =
                new java.util.HashMap<>();
        final java.util.List<String> path = new java.util.ArrayList<>();

        @Override
        public org.apache.flink.metrics.MetricGroup addGroup(String name) {
            path.add(name);
            return this;
        }

        @Override
        public org.apache.flink.metrics.MetricGroup addGroup(String key, String value) {
            path.add(key + "=" + value);
            return this;
        }

        @Override
        public org.apache.flink.metrics.Counter counter(String name) {
            return named.computeIfAbsent(
                    String.join(".", path) + "." + name,
                    n -> new org.apache.flink.metrics.SimpleCounter());
        }
    }

    @Test
    void an_output_past_what_a_record_takes_becomes_a_dead_letter_that_fits() throws Exception {
        MessageSerializer s = new MessageSerializer("cohortflow.dead-letter");
        Counters metrics = new Counters();
        s.open(
                new org.apache.flink.api.common.serialization.SerializationSchema
                        .InitializationContext() {
                    @Override
                    public org.apache.flink.metrics.MetricGroup getMetricGroup() {
                        return metrics;
                    }

                    @Override
                    public org.apache.flink.util.UserCodeClassLoader getUserCodeClassLoader() {
                        throw new UnsupportedOperationException();
                    }
                },
                null);
        byte[] fits = new byte[RecordLimits.MAX_BYTES - 5];
        java.util.Arrays.fill(fits, (byte) 'x');
        ProducerRecord<byte[], byte[]> kept =
                s.serialize(new KafkaMessage("cohortflow.replies", "r1", fits), null, 0L);
        assertThat(kept.topic()).isEqualTo("cohortflow.replies");

        byte[] big = new byte[RecordLimits.MAX_BYTES + 1];
        java.util.Arrays.fill(big, (byte) 'x');
        ProducerRecord<byte[], byte[]> r =
                s.serialize(new KafkaMessage("cohortflow.replies", "r1", big), null, 0L);
        assertThat(r.topic()).isEqualTo("cohortflow.dead-letter");
        assertThat(r.value().length + r.key().length).isLessThan(RecordLimits.MAX_BYTES);
        var d = io.cohortflow.core.contract.Json.MAPPER.readTree(r.value());
        assertThat(d.get("reason").asText()).isEqualTo(MessageSerializer.TOO_LARGE);
        assertThat(d.get("topic").asText()).isEqualTo("cohortflow.replies");
        assertThat(d.get("detail").asText())
                .contains(Integer.toString(big.length + 2)); // and the key
        // Quoted characters each escaped in six bytes still fit.
        String emoji = "\uD83D\uDE00".repeat(RecordLimits.MAX_BYTES / 4 + 1);
        ProducerRecord<byte[], byte[]> escaped =
                s.serialize(
                        new KafkaMessage(
                                "cohortflow.applied",
                                "ws/s#0",
                                emoji.getBytes(StandardCharsets.UTF_8)),
                        null,
                        0L);
        assertThat(escaped.topic()).isEqualTo("cohortflow.dead-letter");
        assertThat(escaped.value().length).isLessThan(RecordLimits.MAX_BYTES);
        // Counted under the name the dead-letter alert and panel read (JobMetrics.deadLetter).
        assertThat(metrics.named)
                .containsOnlyKeys("cohortflow.reason=output_too_large.dead_letters");
        assertThat(metrics.named.get("cohortflow.reason=output_too_large.dead_letters").getCount())
                .isEqualTo(2);
    }
}
