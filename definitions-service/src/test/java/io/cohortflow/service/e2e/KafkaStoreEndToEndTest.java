package io.cohortflow.service.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.AppliedRecord;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.SegmentRecord;
import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.kafka.CohortflowTopics;
import io.cohortflow.kafka.EmbeddedKafka;
import io.cohortflow.kafka.KafkaTopics;
import io.cohortflow.service.DefinitionsService;
import io.cohortflow.service.api.Defs;
import io.cohortflow.service.api.Http;
import io.cohortflow.service.auth.ApiKeys;
import io.cohortflow.service.auth.Role;
import io.cohortflow.service.config.ServiceConfig;
import io.cohortflow.service.store.ConflictException;
import io.cohortflow.service.store.DefinitionStore;
import io.cohortflow.service.store.StoredSegment;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The whole service against a real in-JVM broker: one broker for the class. */
class KafkaStoreEndToEndTest {
    static EmbeddedKafka kafka;
    static ServiceConfig config;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafka.start();
        CohortflowTopics.ensure(kafka.bootstrapServers(), TopicNames.DEFAULT, 2);
        config =
                ServiceConfig.defaults()
                        .withBootstrap(kafka.bootstrapServers())
                        .withPort(0)
                        .withLimits(100_000, 100)
                        .withApiKeys(
                                List.of(
                                        new ApiKeys.Entry(
                                                "ci",
                                                ApiKeys.hash("ci-key"),
                                                null,
                                                "acme",
                                                1,
                                                "CI",
                                                "ci@acme",
                                                Role.ADMIN)));
    }

    @AfterAll
    static void stopBroker() {
        kafka.close();
    }

    static Http client(DefinitionsService s) {
        return new Http(s.port()).as("ci-key", "acme");
    }

    @Test
    void the_store_survives_a_restart_rebuilt_from_the_topic() {
        String id;
        try (DefinitionsService first = new DefinitionsService(config).start()) {
            Http h = client(first);
            id =
                    h.post("/segments", Defs.body("Survivor", Defs.mobile()))
                            .json()
                            .get("id")
                            .asText();
            assertThat(h.put("/segments/" + id, Defs.map("name", "Survivor v2")).status())
                    .isEqualTo(200);
        }
        try (DefinitionsService second = new DefinitionsService(config).start()) {
            Http h = client(second);
            JsonNode s = h.get("/segments/" + id + "?expansion=definition").json();
            assertThat(s.get("name").asText()).isEqualTo("Survivor v2");
            assertThat(s.get("version").asLong()).isEqualTo(2);
            assertThat(h.get("/segments/" + id + "/versions").json()).hasSize(2);
            assertThat(new Http(second.port()).get("/ready").json().get("ready").asBoolean())
                    .isTrue();
        }
    }

    @Test
    void two_instances_updating_one_segment_at_once_one_wins_the_other_gets_409_and_both_converge()
            throws Exception {
        try (DefinitionsService a = new DefinitionsService(config).start();
                DefinitionsService b = new DefinitionsService(config).start()) {
            Http ha = client(a);
            Http hb = client(b);
            String id =
                    ha.post("/segments", Defs.body("Contended", Defs.mobile()))
                            .json()
                            .get("id")
                            .asText();
            awaitVersion(hb, id, 1);
            CompletableFuture<Http.Response> ra =
                    CompletableFuture.supplyAsync(
                            () ->
                                    ha.put(
                                            "/segments/" + id,
                                            Defs.map("name", "by A", "version", 1)));
            CompletableFuture<Http.Response> rb =
                    CompletableFuture.supplyAsync(
                            () ->
                                    hb.put(
                                            "/segments/" + id,
                                            Defs.map("name", "by B", "version", 1)));
            List<Integer> statuses = List.of(ra.get().status(), rb.get().status());
            assertThat(statuses).containsExactlyInAnyOrder(200, 409);
            String winner = ra.get().status() == 200 ? "by A" : "by B";
            awaitVersion(ha, id, 2);
            awaitVersion(hb, id, 2);
            assertThat(ha.get("/segments/" + id).json().get("name").asText()).isEqualTo(winner);
            assertThat(hb.get("/segments/" + id).json().get("name").asText()).isEqualTo(winner);
        }
    }

    @Test
    void two_writes_based_on_the_same_version_are_ordered_by_the_log_and_exactly_one_applies()
            throws Exception {
        try (DefinitionsService a = new DefinitionsService(config).start();
                DefinitionsService b = new DefinitionsService(config).start()) {
            String id =
                    client(a)
                            .post("/segments", Defs.body("Raced", Defs.mobile()))
                            .json()
                            .get("id")
                            .asText();
            awaitVersion(client(b), id, 1);
            StoredSegment base = a.store().get("acme", id).orElseThrow().segment();
            StoredSegment.Builder fromA = base.next("update", base.owner(), base.modified(), 10);
            fromA.name = "A";
            StoredSegment.Builder fromB = base.next("update", base.owner(), base.modified(), 10);
            fromB.name = "B";
            // Both bypass the local version check: only the log decides.
            CompletableFuture<DefinitionStore.Entry> wa = a.store().write(fromA.build());
            CompletableFuture<DefinitionStore.Entry> wb = b.store().write(fromB.build());
            int won = 0;
            int lost = 0;
            for (CompletableFuture<DefinitionStore.Entry> w : List.of(wa, wb)) {
                try {
                    w.join();
                    won++;
                } catch (CompletionException e) {
                    assertThat(e.getCause()).isInstanceOf(ConflictException.class);
                    lost++;
                }
            }
            assertThat(won).isEqualTo(1);
            assertThat(lost).isEqualTo(1);
            awaitVersion(client(b), id, 2);
            awaitVersion(client(a), id, 2);
            assertThat(a.store().get("acme", id).orElseThrow().segment().name())
                    .isEqualTo(b.store().get("acme", id).orElseThrow().segment().name());
        }
    }

    @Test
    void the_definitions_topic_carries_the_job_contract_and_a_delete_is_a_record()
            throws Exception {
        try (DefinitionsService s = new DefinitionsService(config).start()) {
            Http h = client(s);
            String id =
                    h.post("/segments", Defs.body("Contract", Defs.mobile()))
                            .json()
                            .get("id")
                            .asText();
            h.delete("/segments/" + id);
            List<SegmentRecord> mine =
                    KafkaTopics.drainValues(
                                    kafka.bootstrapServers(),
                                    TopicNames.DEFAULT.definitions(),
                                    IsolationLevel.READ_COMMITTED)
                            .stream()
                            .map(
                                    v -> {
                                        try {
                                            return Json.MAPPER.readValue(v, SegmentRecord.class);
                                        } catch (Exception e) {
                                            throw new AssertionError(e);
                                        }
                                    })
                            .filter(r -> r.id().equals(id))
                            .toList();
            assertThat(mine).hasSize(2);
            assertThat(mine.get(0).key()).isEqualTo("acme/" + id);
            assertThat(mine.get(0).version()).isEqualTo(1);
            assertThat(mine.get(0).replaces()).isEqualTo(0);
            assertThat(mine.get(0).live()).isTrue();
            assertThat(mine.get(1).deleted()).isTrue();
            assertThat(mine.get(1).replaces()).isEqualTo(1);
        }
    }

    @Test
    void propagation_follows_the_applied_topic() throws Exception {
        try (DefinitionsService s = new DefinitionsService(config).start()) {
            Http h = client(s);
            String id =
                    h.post("/segments", Defs.body("Live", Defs.mobile())).json().get("id").asText();
            long offset = h.get("/segments/" + id + "/propagation").json().get("offset").asLong();
            Properties p = new Properties();
            p.put("bootstrap.servers", kafka.bootstrapServers());
            try (KafkaProducer<String, String> producer =
                    new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
                for (int sub = 0; sub < 2; sub++) {
                    AppliedRecord r =
                            new AppliedRecord(
                                    "acme",
                                    id,
                                    1,
                                    offset,
                                    "2026-11-23T12:00:0" + sub + "Z",
                                    sub,
                                    2);
                    producer.send(
                                    new ProducerRecord<>(
                                            TopicNames.DEFAULT.applied(),
                                            "acme/" + id + "#" + sub,
                                            Json.MAPPER.writeValueAsString(r)))
                            .get();
                }
            }
            long deadline = System.currentTimeMillis() + 15_000;
            JsonNode status = null;
            while (System.currentTimeMillis() < deadline) {
                status = h.get("/segments/" + id + "/propagation").json();
                if (status.get("applied").asBoolean()) {
                    break;
                }
                Thread.sleep(100);
            }
            assertThat(status.get("applied").asBoolean()).as(status.toString()).isTrue();
            assertThat(status.get("appliedAt").asText()).isEqualTo("2026-11-23T12:00:01Z");
        }
    }

    static void awaitVersion(Http h, String id, long version) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < deadline) {
            Http.Response r = h.get("/segments/" + id);
            if (r.status() == 200 && r.json().get("version").asLong() >= version) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("segment " + id + " never reached version " + version);
    }
}
