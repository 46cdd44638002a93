package io.cohortflow.service.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.service.api.Http;
import io.cohortflow.service.kafka.Follower;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * {@code /ready} reports every Kafka reader of the replica, and says not ready when one stops: a
 * replica whose alias table no longer follows its topic would mint users for aliases another
 * replica has bound. (Before, only the definitions reader counted.)
 */
class ReadinessTest {
    @Test
    void ready_while_every_reader_follows_its_topic_and_not_once_one_stopped() throws Exception {
        try (ServiceOnBroker stack = ServiceOnBroker.start(Map.of())) {
            Http.Response ready = stack.http.get("/ready");
            assertThat(ready.status()).as(ready.toString()).isEqualTo(200);
            JsonNode readers = ready.json().get("readers");
            assertThat(readers.fieldNames())
                    .toIterable()
                    .containsExactly(
                            "definitions",
                            "applied",
                            "cohortflow.audiences",
                            "cohortflow.aliases",
                            "cohortflow.schemas",
                            "replies");
            readers.forEach(r -> assertThat(r.asBoolean()).isTrue());

            Follower<?, ?> aliases = stack.segmentationReaders().get(0);
            aliases.close(); // as a reader that died would be

            Http.Response after =
                    Awaitility.await()
                            .atMost(Duration.ofSeconds(10))
                            .until(() -> stack.http.get("/ready"), r -> r.status() != 200);
            assertThat(after.status()).as(after.toString()).isEqualTo(503);
            assertThat(after.json().at("/readers/cohortflow.aliases").asBoolean()).isFalse();
            assertThat(after.json().at("/readers/definitions").asBoolean()).isTrue();
        }
    }
}
