package io.cohortflow.service.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The whole service against a real in-JVM broker: one broker for the class. */
class KafkaStoreEndToEndTest {
    static EmbeddedKafka kafka;
    static ServiceConfig config;

    /** The service on a free port against {@code bootstrap}, with the admin key {@code ci-key}. */
    static ServiceConfig ciConfig(String bootstrap) {
        return ServiceConfig.defaults()
                .withBootstrap(bootstrap)
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

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafka.start();
        CohortflowTopics.ensure(kafka.bootstrapServers(), TopicNames.DEFAULT, 2);
        config = ciConfig(kafka.bootstrapServers());
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
            StoredSegment.Builder fromA = base.next("update", base.owner(), base.modified());
            fromA.name = "A";
            StoredSegment.Builder fromB = base.next("update", base.owner(), base.modified());
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
                            // Tombstones: the store compacts the writes that lost races.
                            .filter(java.util.Objects::nonNull)
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
            JsonNode status =
                    Awaitility.await()
                            .atMost(Duration.ofSeconds(15))
                            .pollInterval(Duration.ofMillis(100))
                            .until(
                                    () -> h.get("/segments/" + id + "/propagation").json(),
                                    current -> current.get("applied").asBoolean());
            assertThat(status.get("applied").asBoolean()).as(status.toString()).isTrue();
            assertThat(status.get("appliedAt").asText()).isEqualTo("2026-11-23T12:00:01Z");
        }
    }

    /** The sizes in bytes of this segment's records on the definitions topic, in log order. */
    static List<Integer> recordSizesOf(String id) {
        return KafkaTopics.drainValues(
                        kafka.bootstrapServers(),
                        TopicNames.DEFAULT.definitions(),
                        IsolationLevel.READ_COMMITTED)
                .stream()
                .filter(v -> v != null && v.contains("\"" + id + "\""))
                .map(v -> v.getBytes(StandardCharsets.UTF_8).length)
                .toList();
    }

    @Test
    void a_segment_edited_many_times_with_large_tags_and_descriptions_stays_editable_and_deletable()
            throws Exception {
        String id;
        try (DefinitionsService s = new DefinitionsService(config).start()) {
            Http h = client(s);
            id = h.post("/segments", Defs.body("Grown", Defs.mobile())).json().get("id").asText();
            List<Map<String, Object>> tags = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                tags.add(
                        Defs.map(
                                "name",
                                ("t" + i + "-").repeat(40).substring(0, 100),
                                "description",
                                "d".repeat(500)));
            }
            Http.Response tagged =
                    h.put(
                            "/componentmetadata/tags/tagitems",
                            List.of(
                                    Defs.map(
                                            "componentType",
                                            "segment",
                                            "componentId",
                                            id,
                                            "tags",
                                            tags)));
            assertThat(tagged.status()).as(tagged.toString()).isEqualTo(200);
            // Each version is about 37 KB: with up to 50 versions inside every record, as before,
            // the record passed the broker's 1 MB after some 27 edits and the segment was stuck.
            for (int i = 0; i < 60; i++) {
                Http.Response r =
                        h.put(
                                "/segments/" + id,
                                Defs.map("description", (i + "-").repeat(2000).substring(0, 4000)));
                assertThat(r.status()).as("edit %d: %s", i, r).isEqualTo(200);
            }
            assertThat(recordSizesOf(id))
                    .hasSize(62)
                    .allSatisfy(n -> assertThat(n).isLessThan(48_000));

            Http.Response tooLong =
                    h.put("/segments/" + id, Defs.map("description", "x".repeat(4001)));
            assertThat(tooLong.status()).isEqualTo(400);
            assertThat(tooLong.json().get("errorCode").asText()).isEqualTo("limit_exceeded");
            JsonNode huge =
                    Defs.parse(
                            "{\"func\":\"segment-def\",\"container\":{\"func\":\"container\","
                                    + "\"context\":\"hits\",\"pred\":{\"func\":\"streq\",\"val\":"
                                    + "{\"func\":\"attr\",\"name\":\"variables/x\"},\"str\":\""
                                    + "x".repeat(70_000)
                                    + "\"}}}");
            Http.Response tooLarge = h.put("/segments/" + id, Defs.map("definition", huge));
            assertThat(tooLarge.status()).as(tooLarge.toString()).isEqualTo(413);
            assertThat(tooLarge.json().get("errorCode").asText()).isEqualTo("definition_too_large");
        }
        try (DefinitionsService again = new DefinitionsService(config).start()) {
            Http h = client(again);
            JsonNode versions = h.get("/segments/" + id + "/versions").json();
            assertThat(versions).hasSize(50);
            assertThat(versions.get(0).get("version").asLong()).isEqualTo(62);
            assertThat(h.post("/segments/" + id + "/versions/20/rollback", null).status())
                    .isEqualTo(200);
            assertThat(h.delete("/segments/" + id).status()).isEqualTo(200);
            assertThat(h.get("/segments/" + id).json().get("deleted").asBoolean()).isTrue();
        }
    }

    @Test
    void
            a_legacy_record_carrying_its_history_near_the_broker_limit_can_still_be_edited_and_deleted()
                    throws Exception {
        String id = "s1_legacy" + System.nanoTime();
        StoredSegment.Owner owner = new StoredSegment.Owner(1, "CI", "ci@acme");
        StoredSegment v1 =
                new StoredSegment(
                        "acme",
                        id,
                        1,
                        0,
                        true,
                        false,
                        Defs.mobile(),
                        null,
                        "Legacy",
                        "x".repeat(4000),
                        "default",
                        owner,
                        List.of(),
                        List.of(),
                        List.of(),
                        "2026-01-01T00:00:00Z",
                        "2026-01-01T00:00:00Z",
                        "2026-01-01T00:00:00Z",
                        owner,
                        "create");
        // As the service wrote records before: past versions inside, here about 900 KB of them.
        ObjectNode legacy = Json.MAPPER.valueToTree(v1);
        ArrayNode history = legacy.putArray("history");
        for (int i = 0; i < 20; i++) {
            history.addObject().put("version", 0).put("description", "h".repeat(45_000));
        }
        byte[] value = Json.MAPPER.writeValueAsBytes(legacy);
        assertThat(value.length).isGreaterThan(900_000);
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(
                            new ProducerRecord<>(
                                    TopicNames.DEFAULT.definitions(),
                                    "acme/" + id + "@1/legacy",
                                    value))
                    .get();
        }
        try (DefinitionsService s = new DefinitionsService(config).start()) {
            Http h = client(s);
            assertThat(h.get("/segments/" + id).json().get("name").asText()).isEqualTo("Legacy");
            Http.Response edit = h.put("/segments/" + id, Defs.map("name", "Legacy, edited"));
            assertThat(edit.status()).as(edit.toString()).isEqualTo(200);
            assertThat(h.delete("/segments/" + id).status()).isEqualTo(200);
            List<Integer> sizes = recordSizesOf(id);
            assertThat(sizes).hasSize(3);
            assertThat(sizes.get(1)).isLessThan(10_000);
            assertThat(sizes.get(2)).isLessThan(10_000);
        }
    }

    static void awaitVersion(Http h, String id, long version) {
        Awaitility.await()
                .alias("segment " + id + " reaches version " + version)
                .atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(20))
                .until(
                        () -> h.get("/segments/" + id),
                        r -> r.status() == 200 && r.json().get("version").asLong() >= version);
    }
}
