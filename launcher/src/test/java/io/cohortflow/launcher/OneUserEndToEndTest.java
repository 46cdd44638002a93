package io.cohortflow.launcher;

import static io.cohortflow.launcher.StackClient.ADMIN_KEY;
import static io.cohortflow.launcher.StackClient.adobe;
import static io.cohortflow.launcher.StackClient.body;
import static io.cohortflow.launcher.StackClient.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.Json;
import io.cohortflow.kafka.KafkaTopics;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * One user through the whole embedded stack: memberships with status and times, explain, preview of
 * a draft, and erasure (with its exits, its alias tombstones, and a restore from a checkpoint taken
 * before it).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OneUserEndToEndTest {
    @TempDir static Path data;
    @TempDir static Path aside;
    static CohortflowStack stack;
    static final StackClient API = new StackClient(() -> stack);
    static String sport;
    static String twoSport;

    @BeforeAll
    static void start() throws Exception {
        Map<String, String> props = StackClient.testProperties(data);
        props.put("cohortflow.api-keys.reader.key", "read-key");
        props.put("cohortflow.api-keys.reader.org", StackClient.ORG);
        props.put("cohortflow.api-keys.reader.role", "read");
        stack = CohortflowStack.start(LauncherConfig.from(props, Map.of()));
        sport = API.createSegment("Sport readers", streq("sport"), "{}");
        twoSport =
                API.createSegment(
                        "Two sport pages in a day",
                        "{\"func\":\"container\",\"context\":\"hits\",\"window\":{\"count\":1,\"unit\":\"day\"},"
                                + "\"at_least\":2,\"pred\":"
                                + streq("sport")
                                + "}",
                        "{}");
        API.awaitApplied(sport);
        API.awaitApplied(twoSport);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    static String streq(String section) {
        return "{\"func\":\"streq\",\"val\":{\"func\":\"attr\",\"name\":\"variables/section\"},\"str\":\""
                + section
                + "\"}";
    }

    static String event(String section, Instant at) {
        return "{\"name\":\"Pageview\",\"time\":\""
                + at
                + "\",\"properties\":{\"section\":\""
                + section
                + "\"}}";
    }

    static HttpResponse<String> user(String method, String path, String key) throws Exception {
        String sep = path.contains("?") ? "&" : "?";
        return API.send(
                HttpRequest.newBuilder(API.uri("/ccs/v1/users/" + path + sep + "k=" + key))
                        .method(method, HttpRequest.BodyPublishers.noBody()));
    }

    static JsonNode error(HttpResponse<String> r, int status, String type) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode e = Json.MAPPER.readTree(r.body()).get("error");
        assertThat(e.get("type").asText()).as(r.body()).isEqualTo(type);
        assertThat(e.get("status_code").asInt()).isEqualTo(status);
        return e;
    }

    @Test
    @Order(1)
    void a_users_memberships_have_status_times_and_version_by_id_and_by_alias() throws Exception {
        Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        JsonNode seg =
                API.awaitOk(
                        "{\"alias\":{\"tag\":\"email\",\"id\":\"ada@example.com\"},\"events\":["
                                + event("sport", now.minusSeconds(60))
                                + ","
                                + event("sport", now)
                                + "]}",
                        Duration.ofSeconds(60));
        String id = seg.get("user_id").asText();
        JsonNode r = ok(user("GET", id, ADMIN_KEY));
        assertThat(r.get("user_id").asText()).isEqualTo(id);
        assertThat(StackClient.cohorts(r)).containsExactlyInAnyOrder(sport, twoSport);
        JsonNode ms = r.get("memberships");
        assertThat(ms).hasSize(2);
        for (JsonNode m : ms) {
            assertThat(m.get("segment_version").asLong()).isEqualTo(1);
            assertThat(m.get("last_qualified_at").asText()).isEqualTo(now.toString());
            if (m.get("segment_id").asText().equals(sport)) {
                // Entered at the first page view, qualified since.
                assertThat(m.get("status").asText()).isEqualTo("existing");
                assertThat(m.get("entered_at").asText()).isEqualTo(now.minusSeconds(60).toString());
            } else {
                // Entered at the user's latest instant: realized.
                assertThat(m.get("status").asText()).isEqualTo("realized");
                assertThat(m.get("entered_at").asText()).isEqualTo(now.toString());
            }
        }
        // By alias: the same user; a read key may look.
        JsonNode byAlias = ok(user("GET", "alias?tag=email&id=ada@example.com", "read-key"));
        assertThat(byAlias.get("user_id").asText()).isEqualTo(id);
        assertThat(byAlias.get("memberships")).isEqualTo(ms);
    }

    @Test
    @Order(2)
    void lookups_of_unknown_users_and_bad_identifiers_get_the_spec_error_body() throws Exception {
        error(user("GET", UUID.randomUUID().toString(), ADMIN_KEY), 404, "user_not_found");
        // An alias bound to no one is not minted by a lookup.
        error(
                user("GET", "alias?tag=email&id=nobody@example.com", ADMIN_KEY),
                404,
                "user_not_found");
        error(
                user("GET", "alias?tag=email&id=nobody@example.com", ADMIN_KEY),
                404,
                "user_not_found");
        // An id that is not a UUID may be a producer's own (see the test below): unknown, not bad.
        error(user("GET", "not-a-uuid", ADMIN_KEY), 404, "user_not_found");
        error(user("GET", "x".repeat(513), ADMIN_KEY), 400, "invalid_user_identifier");
        error(user("GET", "alias?tag=email", ADMIN_KEY), 400, "invalid_user_identifier");
        error(user("GET", UUID.randomUUID() + "?colour=red", ADMIN_KEY), 400, "unknown_parameter");
        error(user("GET", UUID.randomUUID().toString(), "wrong"), 401, "invalid_api_key");
    }

    @Test
    @Order(3)
    void explain_reads_every_event_of_a_user_past_one_history_chunk() throws Exception {
        // Thirteen events: the job seals its first eight into a chunk of its own (RocksDB, the
        // history-chunks state) and keeps the newest in the user's profile; the last one is late,
        // older than all, and still counts. Explain reads the user's whole history.
        Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        String id = UUID.randomUUID().toString();
        for (int request = 0; request < 2; request++) {
            StringBuilder events = new StringBuilder();
            for (int i = 0; i < 6; i++) {
                int minutesAgo = 13 - (request * 6 + i);
                events.append(i == 0 ? "" : ",")
                        .append(event("sport", now.minusSeconds(60L * minutesAgo)));
            }
            API.awaitOk(
                    "{\"user_id\":\"" + id + "\",\"events\":[" + events + "]}",
                    Duration.ofSeconds(60));
        }
        API.awaitOk(
                "{\"user_id\":\""
                        + id
                        + "\",\"events\":["
                        + event("sport", now.minusSeconds(3_600))
                        + "]}",
                Duration.ofSeconds(60));
        JsonNode out = ok(user("GET", id + "/explain?segment=" + twoSport, ADMIN_KEY));
        assertThat(out.get("member").asBoolean()).isTrue();
        assertThat(out.at("/explanation/children/0/matching_units").asInt()).isEqualTo(13);
    }

    @Test
    @Order(3)
    void explain_shows_why_a_user_is_in_a_segment_and_why_not() throws Exception {
        Instant now = Instant.now();
        String id = UUID.randomUUID().toString();
        API.awaitOk(
                "{\"user_id\":\"" + id + "\",\"events\":[" + event("sport", now) + "]}",
                Duration.ofSeconds(60));
        JsonNode in = ok(user("GET", id + "/explain?segment=" + sport, ADMIN_KEY));
        assertThat(in.get("member").asBoolean()).isTrue();
        assertThat(in.at("/membership/status").asText()).isEqualTo("realized");
        JsonNode tree = in.get("explanation");
        assertThat(tree.get("func").asText()).isEqualTo("container");
        assertThat(tree.get("holds").asBoolean()).isTrue();
        assertThat(tree.at("/children/0/func").asText()).isEqualTo("streq");
        assertThat(tree.at("/children/0/value").asDouble()).isEqualTo(1.0);
        assertThat(tree.at("/children/0/definition/str").asText()).isEqualTo("sport");

        // One sport page is not two: the tree says how far the user is.
        JsonNode out = ok(user("GET", id + "/explain?segment=" + twoSport, ADMIN_KEY));
        assertThat(out.get("member").asBoolean()).isFalse();
        assertThat(out.has("membership")).isFalse();
        JsonNode hits = out.at("/explanation/children/0");
        assertThat(hits.get("matching_units").asInt()).isEqualTo(1);
        assertThat(hits.get("at_least").asInt()).isEqualTo(2);
        assertThat(hits.at("/window/unit").asText()).isEqualTo("day");

        error(user("GET", id + "/explain?segment=s_nope", ADMIN_KEY), 404, "unknown_segment");
        error(user("GET", id + "/explain", ADMIN_KEY), 400, "invalid_request");
    }

    @Test
    @Order(4)
    void a_preview_evaluates_a_draft_on_sample_events_as_the_job_would_and_stores_nothing()
            throws Exception {
        Instant t = Instant.parse("2026-01-10T10:00:00Z");
        // "A sport reader who also read news": references the live segment.
        String draft =
                StackClient.definition(
                        "{\"func\":\"and\",\"preds\":[{\"func\":\"segment-ref\",\"id\":\""
                                + sport
                                + "\"},"
                                + streq("news")
                                + "]}");
        String req =
                "{\"definition\":"
                        + draft
                        + ",\"at\":\""
                        + t.plusSeconds(3600)
                        + "\",\"users\":["
                        + "{\"userId\":\"both\",\"events\":["
                        + event("sport", t)
                        + ","
                        + event("news", t.plusSeconds(60))
                        + "]},"
                        + "{\"userId\":\"sport-only\",\"events\":["
                        + event("sport", t)
                        + "]}]}";
        JsonNode r =
                ok(
                        API.send(
                                adobe(HttpRequest.newBuilder(API.uri("/segments/preview")))
                                        .POST(body(req))));
        assertThat(r.get("at").asText()).isEqualTo(t.plusSeconds(3600).toString());
        JsonNode both = r.at("/users/0");
        assertThat(both.get("userId").asText()).isEqualTo("both");
        assertThat(both.get("member").asBoolean()).isTrue();
        assertThat(both.get("enteredAt").asText()).isEqualTo(t.plusSeconds(60).toString());
        // Nothing but the history horizon (90 days) ends it: the sport page leaves it then.
        assertThat(both.get("lapsesAt").asText()).isEqualTo(t.plus(Duration.ofDays(90)).toString());
        assertThat(both.at("/changes/0/change").asText()).isEqualTo("entered");
        assertThat(both.at("/explanation/holds").asBoolean()).isTrue();
        JsonNode sportOnly = r.at("/users/1");
        assertThat(sportOnly.get("member").asBoolean()).isFalse();
        assertThat(sportOnly.get("changes")).isEmpty();

        // A misspelt function is placed at its pointer, as a write would.
        HttpResponse<String> bad =
                API.send(
                        adobe(HttpRequest.newBuilder(API.uri("/segments/preview")))
                                .POST(
                                        body(
                                                "{\"definition\":"
                                                        + StackClient.definition(
                                                                streq("x")
                                                                        .replace("streq", "streqq"))
                                                        + ",\"events\":[]}")));
        assertThat(bad.statusCode()).as(bad.body()).isEqualTo(400);
        assertThat(bad.body()).contains("/definition/container/pred/func");
        // An instant past event times' range is a 400 at its pointer, not a 500.
        for (String at : new String[] {"+300000000-01-01T00:00:00Z", "1969-12-31T23:59:59Z"}) {
            HttpResponse<String> far =
                    API.send(
                            adobe(HttpRequest.newBuilder(API.uri("/segments/preview")))
                                    .POST(
                                            body(
                                                    "{\"definition\":"
                                                            + StackClient.definition(streq("x"))
                                                            + ",\"at\":\""
                                                            + at
                                                            + "\",\"events\":[]}")));
            assertThat(far.statusCode()).as(far.body()).isEqualTo(400);
            assertThat(far.body()).contains("/at");
        }
        // The sample users were never sent to the job.
        error(
                user("GET", UUID.nameUUIDFromBytes("both".getBytes()).toString(), ADMIN_KEY),
                404,
                "user_not_found");
    }

    @Test
    @Order(5)
    void erasure_ends_the_memberships_removes_the_state_and_the_aliases_and_needs_admin()
            throws Exception {
        String id =
                API.awaitOk(
                                "{\"aliases\":[{\"priority\":0,\"tag\":\"crm\",\"id\":\"c-42\"},"
                                        + "{\"priority\":1,\"tag\":\"cookie\",\"id\":\"k-42\"}],\"events\":["
                                        + event("sport", Instant.now())
                                        + "]}",
                                Duration.ofSeconds(60))
                        .get("user_id")
                        .asText();
        error(user("DELETE", id, "read-key"), 403, "forbidden");

        JsonNode erased = ok(user("DELETE", "alias?tag=cookie&id=k-42", ADMIN_KEY));
        assertThat(erased.get("user_id").asText()).isEqualTo(id);
        assertThat(erased.get("erased").asBoolean()).isTrue();
        assertThat(erased.get("aliases_removed").asInt()).isEqualTo(2);
        assertThat(erased.get("exited"))
                .extracting(m -> m.get("segment_id").asText())
                .containsExactly(sport);
        assertThat(erased.at("/exited/0/status").asText()).isEqualTo("exited");

        error(user("GET", id, ADMIN_KEY), 404, "user_not_found");
        error(user("GET", "alias?tag=crm&id=c-42", ADMIN_KEY), 404, "user_not_found");
        error(user("DELETE", id, ADMIN_KEY), 404, "user_not_found");
        // The exit reaches read_committed consumers with the next checkpoint.
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(changes(id)).containsExactly("entered", "exited"));
        // The alias is free again: a new request with it is a new user.
        String again =
                API.awaitOk("{\"alias\":{\"tag\":\"crm\",\"id\":\"c-42\"}}", Duration.ofSeconds(30))
                        .get("user_id")
                        .asText();
        assertThat(again).isNotEqualTo(id);
    }

    @Test
    @Order(5)
    void the_users_command_gets_explains_and_erases_with_exit_codes() throws Exception {
        String id =
                API.awaitOk(
                                "{\"alias\":{\"tag\":\"cli\",\"id\":\"u-7\"},\"events\":["
                                        + event("sport", Instant.now())
                                        + "]}",
                                Duration.ofSeconds(60))
                        .get("user_id")
                        .asText();
        String[] service = {
            "--url",
            "http://127.0.0.1:" + stack.httpPort(),
            "--api-key",
            ADMIN_KEY,
            "--org",
            StackClient.ORG
        };
        WholeStackEndToEndTest.Cli get =
                WholeStackEndToEndTest.Cli.run(
                        WholeStackEndToEndTest.concat(
                                new String[] {"users", "get", "--alias", "cli:u-7"}, service));
        assertThat(get.code()).as(get.err()).isZero();
        assertThat(Json.MAPPER.readTree(get.out()).get("user_id").asText()).isEqualTo(id);
        WholeStackEndToEndTest.Cli explain =
                WholeStackEndToEndTest.Cli.run(
                        WholeStackEndToEndTest.concat(
                                new String[] {"users", "explain", id, "--segment", sport},
                                service));
        assertThat(explain.code()).as(explain.err()).isZero();
        assertThat(Json.MAPPER.readTree(explain.out()).get("member").asBoolean()).isTrue();
        // Erasure asks for --yes, then erases; the user is unknown after (exit 1, the 404).
        WholeStackEndToEndTest.Cli unsure =
                WholeStackEndToEndTest.Cli.run(
                        WholeStackEndToEndTest.concat(
                                new String[] {"users", "erase", id}, service));
        assertThat(unsure.code()).isEqualTo(2);
        assertThat(unsure.err()).contains("--yes");
        WholeStackEndToEndTest.Cli erase =
                WholeStackEndToEndTest.Cli.run(
                        WholeStackEndToEndTest.concat(
                                new String[] {"users", "erase", id, "--yes"}, service));
        assertThat(erase.code()).as(erase.err()).isZero();
        WholeStackEndToEndTest.Cli gone =
                WholeStackEndToEndTest.Cli.run(
                        WholeStackEndToEndTest.concat(new String[] {"users", "get", id}, service));
        assertThat(gone.code()).isEqualTo(1);
        assertThat(gone.err()).contains("user_not_found");
    }

    @Test
    @Order(5)
    void a_user_a_producer_named_without_a_uuid_is_found_and_erased_too() throws Exception {
        // Written straight to the events topic by a producer of the publisher's own, as the
        // events topic allows (and as a backfill's history may name its users).
        String visitor = "visitor-42";
        try (KafkaProducer<String, String> p =
                new KafkaProducer<>(
                        Map.<String, Object>of(
                                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()),
                        new StringSerializer(),
                        new StringSerializer())) {
            p.send(
                            new ProducerRecord<>(
                                    stack.topics().events(),
                                    StackClient.ORG + "/" + visitor,
                                    "{\"workspace\":\""
                                            + StackClient.ORG
                                            + "\",\"user_id\":\""
                                            + visitor
                                            + "\",\"events\":["
                                            + event("sport", Instant.now())
                                            + "]}"))
                    .get();
        }
        Awaitility.await()
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(
                        () ->
                                assertThat(StackClient.cohorts(ok(user("GET", visitor, ADMIN_KEY))))
                                        .containsExactly(sport));
        JsonNode erased = ok(user("DELETE", visitor, ADMIN_KEY));
        assertThat(erased.get("user_id").asText()).isEqualTo(visitor);
        assertThat(erased.get("erased").asBoolean()).isTrue();
        assertThat(erased.get("exited"))
                .extracting(m -> m.get("segment_id").asText())
                .containsExactly(sport);
        error(user("GET", visitor, ADMIN_KEY), 404, "user_not_found");
    }

    /** The user's committed membership changes on the memberships topic, in order. */
    static List<String> changes(String userId) {
        List<String> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r :
                KafkaTopics.drain(
                        stack.bootstrapServers(),
                        stack.topics().memberships(),
                        IsolationLevel.READ_COMMITTED,
                        Duration.ofSeconds(3))) {
            if (r.key() != null
                    && new String(r.key(), StandardCharsets.UTF_8).endsWith("/" + userId)) {
                try {
                    out.add(Json.MAPPER.readTree(r.value()).get("change").asText());
                } catch (java.io.IOException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return out;
    }

    @Test
    @Order(6)
    void an_erasure_holds_after_a_restore_from_a_checkpoint_taken_before_it() throws Exception {
        String id = UUID.randomUUID().toString();
        API.awaitOk(
                "{\"user_id\":\"" + id + "\",\"events\":[" + event("sport", Instant.now()) + "]}",
                Duration.ofSeconds(60));
        // A savepoint that holds the user, kept aside.
        stack.stopJob();
        Path before = aside.resolve("before");
        copy(data.resolve("savepoints"), before);
        stack.startJob();
        Awaitility.await()
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> user("DELETE", id, ADMIN_KEY).statusCode() == 200);
        // The job's later snapshots are lost; it comes back from the one before the erasure.
        stack.stopJob();
        delete(data.resolve("savepoints"));
        delete(data.resolve("checkpoints"));
        // Under a new name: the stopped job discards the snapshot it claimed (this one's original)
        // in the background, and would take the copy with it.
        copy(before, data.resolve("savepoints").resolve("restored"));
        stack.startJob();
        // The erasure is a record of the events topic after that snapshot's offsets: read again.
        HttpResponse<String> r =
                Awaitility.await()
                        .atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(250))
                        .until(() -> user("GET", id, ADMIN_KEY), x -> x.statusCode() != 503);
        error(r, 404, "user_not_found");
    }

    static void copy(Path from, Path to) throws Exception {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    /**
     * Deletes {@code dir}. A stopped job discards the snapshots it claimed in the background, so
     * files may vanish while this walks (seen once as a failed build): those are skipped, and the
     * walk is repeated until the directory is gone.
     */
    static void delete(Path dir) throws Exception {
        for (int attempt = 1; Files.exists(dir); attempt++) {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (java.io.UncheckedIOException
                    | java.nio.file.NoSuchFileException
                    | java.nio.file.DirectoryNotEmptyException e) {
                if (attempt >= 10) {
                    throw e;
                }
            }
        }
    }
}
