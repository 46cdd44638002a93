package io.cohortflow.service.segments;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.contract.AudienceRecord;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.TopicSpec;
import io.cohortflow.kafka.EmbeddedKafka;
import io.cohortflow.service.kafka.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The service's view of the audiences topic, on a real broker: a deleted segment's tombstones (the
 * job writes one under each of its keys) make it forget the segment's audience, read live or
 * rebuilt from the log, and leave the other segments' alone.
 */
class AudiencesTest {
    static final String TOPIC = "audiences.tombstones";
    static EmbeddedKafka kafka;
    static KafkaProducer<String, byte[]> producer;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.start();
        Topics.ensure(
                kafka.bootstrapServers(),
                List.of(new TopicSpec(TOPIC, 1, Map.of("cleanup.policy", "compact"))));
        producer =
                new KafkaProducer<>(
                        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                        new StringSerializer(),
                        new ByteArraySerializer());
    }

    @AfterAll
    static void stop() {
        producer.close();
        kafka.close();
    }

    private static void send(String key, byte @Nullable [] value) throws Exception {
        producer.send(new ProducerRecord<>(TOPIC, 0, key, value)).get();
    }

    /** A segment's records as the job writes them: the size now and an hourly series. */
    private static void counted(String segment, long size) throws Exception {
        AudienceRecord.Point p = new AudienceRecord.Point("2026-12-05T10:00:00Z", size, 0);
        for (String g : List.of(AudienceRecord.NOW, "hour")) {
            AudienceRecord r =
                    new AudienceRecord(
                            "ws",
                            segment,
                            size,
                            "2026-12-05T10:30:00Z",
                            g,
                            g.equals(AudienceRecord.NOW) ? List.of() : List.of(p));
            send(r.key(), Json.bytes(r));
        }
    }

    private static Audiences audiences() {
        Audiences a = new Audiences(kafka.bootstrapServers(), TOPIC, Duration.ofSeconds(10));
        a.start(Duration.ofSeconds(30));
        return a;
    }

    @Test
    void a_deleted_segments_tombstones_drop_its_audience_read_live_or_rebuilt() throws Exception {
        counted("gone", 3);
        counted("kept", 2);
        try (Audiences live = audiences()) {
            assertThat(live.size("ws", "gone")).isEqualTo(3);
            assertThat(live.lastDay("ws", "gone").entered()).isEqualTo(3);

            for (String key : AudienceRecord.keys("ws", "gone")) {
                send(key, null);
            }

            Awaitility.await()
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> live.size("ws", "gone") == 0);
            Audiences.Audience a =
                    live.audience("ws", "gone", AudienceRecord.Granularity.HOUR, null, null);
            assertThat(a.size()).isZero();
            assertThat(a.asOf()).isNull();
            assertThat(a.series()).isEmpty();
            assertThat(live.lastDay("ws", "gone")).isEqualTo(new Audiences.Day(0, 0));
            assertThat(live.size("ws", "kept")).isEqualTo(2);
            assertThat(live.follower().healthy()).isTrue();
        }
        try (Audiences rebuilt = audiences()) {
            assertThat(rebuilt.size("ws", "gone")).isZero();
            assertThat(rebuilt.size("ws", "kept")).isEqualTo(2);
        }
    }
}
