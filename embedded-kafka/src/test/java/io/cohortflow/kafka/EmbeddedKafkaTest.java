package io.cohortflow.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohortflow.core.contract.TopicSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaTest {

    @Test
    void a_real_broker_takes_transactions_and_a_restart_keeps_the_data(@TempDir Path dir)
            throws Exception {
        EmbeddedKafka.Settings settings = new EmbeddedKafka.Settings(0, dir);
        try (EmbeddedKafka kafka = EmbeddedKafka.start(settings)) {
            KafkaTopics.ensure(
                    kafka.bootstrapServers(),
                    List.of(new TopicSpec("t", 2, Map.of("cleanup.policy", "compact"))));
            // creating again is harmless
            KafkaTopics.ensure(kafka.bootstrapServers(), List.of(new TopicSpec("t", 2, Map.of())));
            try (Admin admin =
                    Admin.create(
                            Map.of(
                                    AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                                    kafka.bootstrapServers()))) {
                ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, "t");
                Config c = admin.describeConfigs(List.of(r)).all().get().get(r);
                assertThat(c.get("cleanup.policy").value()).isEqualTo("compact");
            }
            try (KafkaProducer<String, String> p =
                    new KafkaProducer<>(
                            Map.of(
                                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                    kafka.bootstrapServers(),
                                    ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                                    "tx-test"),
                            new StringSerializer(),
                            new StringSerializer())) {
                p.initTransactions();
                p.beginTransaction();
                p.send(new ProducerRecord<>("t", "k1", "committed"));
                p.commitTransaction();
                p.beginTransaction();
                p.send(new ProducerRecord<>("t", "k2", "aborted"));
                p.flush();
                p.abortTransaction();
            }
            assertThat(
                            KafkaTopics.drainValues(
                                    kafka.bootstrapServers(), "t", IsolationLevel.READ_COMMITTED))
                    .containsExactly("committed");
        }
        assertThat(Files.exists(dir.resolve("logs"))).isTrue();
        try (EmbeddedKafka again = EmbeddedKafka.start(settings)) {
            assertThat(
                            KafkaTopics.drainValues(
                                    again.bootstrapServers(), "t", IsolationLevel.READ_COMMITTED))
                    .containsExactly("committed");
        }
    }

    @Test
    void a_taken_port_is_a_clear_error() throws Exception {
        try (java.net.ServerSocket s =
                new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> EmbeddedKafka.requireFree(s.getLocalPort()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already in use");
        }
        assertThat("x".getBytes(StandardCharsets.UTF_8)).hasSize(1);
    }
}
