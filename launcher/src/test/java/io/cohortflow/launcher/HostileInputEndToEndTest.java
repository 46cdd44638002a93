package io.cohortflow.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.Json;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Input meant to hurt, through the running stack as a client (or a producer writing to the events
 * topic directly) would send it: each gets its clear error or its dead letter, Flink never restarts
 * the job, the next ordinary request still answers, and a restart afterwards comes up healthy.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileInputEndToEndTest {
    @TempDir static Path data;
    static CohortflowStack stack;
    static final StackClient API = new StackClient(() -> stack);
    static String sport;

    @BeforeAll
    static void start() throws Exception {
        Map<String, String> props = StackClient.testProperties(data);
        props.put(RestartCounter.PROPERTY, RestartCounter.class.getName());
        stack = CohortflowStack.start(LauncherConfig.from(props, Map.of()));
        sport =
                API.createSegment(
                        "Sport",
                        "{\"func\":\"streq\",\"val\":{\"func\":\"attr\",\"name\":\"variables/section\"},\"str\":\"sport\"}",
                        "{}");
        API.awaitApplied(sport);
        assertThat(RestartCounter.jobsSeen()).as("the restart gauge is wired").isPositive();
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    @Order(1)
    void hostile_requests_get_400_in_the_spec_body_and_the_next_request_is_served()
            throws Exception {
        long restartsBefore = RestartCounter.restarts();
        String deep = "1";
        for (int i = 0; i < 40; i++) {
            deep = "{\"a\":" + deep + "}";
        }
        StringBuilder many = new StringBuilder("{");
        for (int i = 0; i < 600; i++) {
            many.append(i == 0 ? "" : ",").append("\"p").append(i).append("\":1");
        }
        many.append('}');
        StringBuilder aliases = new StringBuilder("[");
        for (int i = 0; i < 17; i++) {
            aliases.append(i == 0 ? "" : ",")
                    .append("{\"priority\":")
                    .append(i)
                    .append(",\"tag\":\"t\",\"id\":\"a")
                    .append(i)
                    .append("\"}");
        }
        aliases.append(']');
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put(events(eventWithTime("-86400000", "{}")), "before 1970");
        cases.put(events(eventWithTime("\"1969-12-31T23:59:59Z\"", "{}")), "before 1970");
        cases.put(events(eventWithTime("\"+300000000-01-01T00:00:00Z\"", "{}")), "ISO 8601");
        cases.put(events(eventWithTime("\"-300000000-01-01T00:00:00Z\"", "{}")), "ISO 8601");
        cases.put(events(eventWithTime("123456789012345678901234567890", "{}")), "ISO 8601");
        // A typo in an event's or an alias's field would silently change what is counted.
        cases.put(
                events(
                        "{\"name\":\"Pageview\",\"time\":"
                                + now()
                                + ",\"properties\":{},\"sessionId\":\"s1\"}"),
                "unknown field 'sessionId'");
        cases.put("{\"alias\":{\"tag\":\"email\",\"Id\":\"x\"}}", "unknown field 'Id'");
        cases.put("{\"user_id\":[]}", "user_id must be a UUID");
        cases.put(
                events(eventWithTime(now(), "{\"s\":\"" + "x".repeat(10_000) + "\"}")),
                "longer than 8192 characters");
        cases.put(
                events(eventWithTime(now(), "{\"s\":\"" + "x".repeat(70_000) + "\"}")),
                "larger than 65536 characters");
        cases.put(events(eventWithTime(now(), many.toString())), "more than 512 values");
        cases.put(events(eventWithTime(now(), deep)), "nested deeper than 8 levels");
        cases.put(events(eventWithTime(now(), "{\"n\":1e999}")), "a number out of range");
        cases.put(
                "{\"user_id\":\""
                        + UUID.randomUUID()
                        + "\",\"events\":[{\"name\":\""
                        + "n".repeat(300)
                        + "\",\"time\":"
                        + now()
                        + ",\"properties\":{}}]}",
                "longer than 256 characters");
        cases.put("{\"aliases\":" + aliases + "}", "at most 16 aliases");
        cases.put(
                "{\"alias\":{\"tag\":\"email\",\"id\":\"" + "i".repeat(600) + "\"}}",
                "longer than 512 characters");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            HttpResponse<String> r = segmentation(c.getKey());
            String what = c.getKey().substring(0, Math.min(120, c.getKey().length()));
            assertThat(r.statusCode()).as(what + " -> " + r.body()).isEqualTo(400);
            JsonNode e = Json.MAPPER.readTree(r.body()).get("error");
            assertThat(e.get("status_code").asInt()).isEqualTo(400);
            assertThat(e.get("message").asText() + " " + e.path("cause").asText())
                    .as(what)
                    .contains(c.getValue());
            assertThat(r.body()).as(what).doesNotContainPattern("[a-z]+\\.[a-z]+\\.[A-Z]");
        }
        assertServed();
        assertThat(RestartCounter.restarts()).isEqualTo(restartsBefore);
    }

    /**
     * An event older than the history horizon could change no state: the request's other events are
     * applied, the old one goes to the dead-letter topic with its reason, and the answer's header
     * names it. (Refused with a 400, it took the request's other events with it, and the spec's own
     * example, dated 2024.)
     */
    @Test
    @Order(1)
    void an_event_older_than_the_horizon_is_set_aside_and_the_others_applied() throws Exception {
        assertThat(
                        schema(
                                        "Checked",
                                        "{\"type\":\"object\",\"properties\":{\"properties\":"
                                                + "{\"type\":\"object\",\"required\":[\"needed\"]}}}")
                                .statusCode())
                .isIn(200, 201);
        String user = UUID.randomUUID().toString();
        String old = eventWithTime("\"2024-01-15T10:30:00Z\"", "{\"section\":\"old\"}");
        String current = eventWithTime(now(), "{\"section\":\"sport\"}");
        String unchecked = "{\"name\":\"Checked\",\"time\":" + now() + ",\"properties\":{}}";
        HttpResponse<String> r =
                segmentation(
                        "{\"user_id\":\""
                                + user
                                + "\",\"events\":["
                                + old
                                + ","
                                + current
                                + ","
                                + unchecked
                                + "]}");
        assertThat(StackClient.cohorts(StackClient.ok(r))).containsExactly(sport);
        assertThat(r.headers().firstValue("Cohortflow-Events-Too-Old")).hasValue("0");
        List<JsonNode> dead = awaitDeadLetters(user, 2);
        JsonNode tooOld =
                dead.stream()
                        .filter(d -> d.get("reason").asText().equals("older_than_horizon"))
                        .findFirst()
                        .orElseThrow();
        assertThat(tooOld.get("value").asText()).contains("2024-01-15T10:30:00Z", "\"old\"");
        // The schema's violation names the event by its index in the request, not among the
        // events applied.
        JsonNode violation =
                dead.stream()
                        .filter(d -> d.get("reason").asText().equals("schema_violation"))
                        .findFirst()
                        .orElseThrow();
        assertThat(violation.get("detail").asText()).contains("events[2] (Checked)");
        assertServed();
    }

    @Test
    @Order(1)
    void windows_past_any_meaningful_length_are_refused_when_the_segment_is_written()
            throws Exception {
        String def =
                "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\","
                        + "\"context\":\"hits\",\"window\":{\"count\":1000000000,\"unit\":\"year\"},"
                        + "\"pred\":{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\",\"name\":\"metrics/P\"}}}}";
        HttpResponse<String> r =
                API.send(
                        StackClient.adobe(HttpRequest.newBuilder(API.uri("/segments")))
                                .POST(
                                        StackClient.body(
                                                "{\"name\":\"Forever\",\"rsid\":\"default\",\"definition\":"
                                                        + def
                                                        + "}")));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(r.body()).contains("duration_too_long");
        assertServed();
    }

    @Test
    @Order(2)
    void the_service_edge_answers_hostile_schemas_methods_and_headers_in_the_spec_shape()
            throws Exception {
        // A schema that would read a file (or a URL) is refused, and nothing is read.
        HttpResponse<String> ref = schema("Ref", "{\"$ref\":\"file:///etc/passwd\"}");
        assertThat(ref.statusCode()).as(ref.body()).isEqualTo(400);
        assertThat(ref.body()).doesNotContain("root:");
        // A pattern that backtracks for ever is stored, but checking an event with it is bounded.
        HttpResponse<String> runaway =
                schema(
                        "Runaway",
                        "{\"type\":\"object\",\"properties\":{\"properties\":{\"type\":\"object\","
                                + "\"properties\":{\"s\":{\"type\":\"string\",\"pattern\":\"^(.*a){10}$\"}}}}}");
        assertThat(runaway.statusCode()).as(runaway.body()).isIn(200, 201);
        long started = System.nanoTime();
        HttpResponse<String> checked =
                API.send(
                        HttpRequest.newBuilder(
                                        API.uri(
                                                "/ccs/v1/segmentation?k=admin-key"
                                                        + "&synchronous-validation=true"))
                                .POST(
                                        StackClient.body(
                                                "{\"user_id\":\""
                                                        + UUID.randomUUID()
                                                        + "\",\"events\":[{\"name\":\"Runaway\",\"time\":"
                                                        + now()
                                                        + ",\"properties\":{\"s\":\""
                                                        + "a".repeat(5_000)
                                                        + "b\"}}]}")));
        assertThat(checked.statusCode()).as(checked.body()).isEqualTo(400);
        assertThat(Duration.ofNanos(System.nanoTime() - started))
                .isLessThan(Duration.ofSeconds(20));
        // Jetty's own refusals and invented methods get JSON, never HTML.
        HttpResponse<String> invented =
                API.send(
                        HttpRequest.newBuilder(API.uri("/segments"))
                                .method("FOO", StackClient.body("{}")));
        assertThat(invented.statusCode()).isEqualTo(405);
        assertThat(Json.MAPPER.readTree(invented.body()).isObject()).isTrue();
        HttpResponse<String> headers =
                API.send(
                        HttpRequest.newBuilder(API.uri("/ccs/v1/segmentation?k=admin-key"))
                                .header("X-Big", "h".repeat(20_000))
                                .POST(StackClient.body("{}")));
        assertThat(headers.statusCode()).isEqualTo(431);
        assertThat(Json.MAPPER.readTree(headers.body()).get("error").get("status_code").asInt())
                .isEqualTo(431);
        for (HttpResponse<String> r : List.of(ref, checked, invented, headers)) {
            assertThat(r.body()).doesNotContainPattern("[a-z]+\\.[a-z]+\\.[A-Z]|Exception|<html");
        }
        assertServed();
    }

    @Test
    @Order(3)
    void records_written_to_the_events_topic_directly_become_dead_letters_not_restarts()
            throws Exception {
        long restartsBefore = RestartCounter.restarts();
        String user = UUID.randomUUID().toString();
        List<String> hostile = new ArrayList<>();
        hostile.add(envelope(user, eventWithTime("-86400000", "{}"))); // once looped the job
        hostile.add(envelope(user, eventWithTime(now(), "{\"s\":\"" + "x".repeat(70_000) + "\"}")));
        hostile.add(envelope(user, eventWithTime("\"+300000000-01-01T00:00:00Z\"", "{}")));
        hostile.add("{\"workspace\":\"acme\",\"user_id\":\"" + user + "\",\"events\":[");
        // Near the broker's record limit, and all quotes and backslashes: escaped whole in its
        // dead letter it would be twice the limit, and the sink would fail on it for ever.
        hostile.add(
                "{\"workspace\":\"acme\",\"user_id\":\""
                        + user
                        + "\",\"events\":[{\"name\":\""
                        + "\\\"".repeat(450_000));
        try (KafkaProducer<byte[], byte[]> p = producer()) {
            for (String v : hostile) {
                p.send(
                                new ProducerRecord<>(
                                        stack.topics().events(),
                                        ("acme/" + user).getBytes(StandardCharsets.UTF_8),
                                        v.getBytes(StandardCharsets.UTF_8)))
                        .get();
            }
        }
        List<JsonNode> letters = awaitDeadLetters(user, hostile.size());
        assertThat(letters)
                .extracting(l -> l.get("reason").asText())
                .containsExactlyInAnyOrder(
                        "invalid_event",
                        "invalid_event",
                        "invalid_event",
                        "malformed_json",
                        "malformed_json");
        assertThat(letters)
                .anySatisfy(l -> assertThat(l.get("value").asText()).endsWith("...[cut]"));
        assertServed();
        assertThat(RestartCounter.restarts()).isEqualTo(restartsBefore);
    }

    @Test
    @Order(4)
    void after_the_hostile_run_a_restart_comes_up_healthy() throws Exception {
        String user = UUID.randomUUID().toString();
        assertThat(StackClient.cohorts(StackClient.ok(segmentation(userBody(user, "sport")))))
                .contains(sport);
        // A request with an idempotency key, answered before the restart...
        String reader = UUID.randomUUID().toString();
        String key = "before-restart-" + reader;
        assertThat(StackClient.cohorts(StackClient.ok(keyed(key, userBody(reader, "news")))))
                .doesNotContain(sport);
        stack.stopJob();
        stack.startJob();
        JsonNode again = API.awaitOk("{\"user_id\":\"" + user + "\"}", Duration.ofSeconds(60));
        assertThat(StackClient.cohorts(again)).contains(sport);
        // ... is still remembered after it: a retry with the key gets the first answer and its
        // (here different) events are not applied.
        assertThat(StackClient.cohorts(StackClient.ok(keyed(key, userBody(reader, "sport")))))
                .doesNotContain(sport);
        assertThat(
                        StackClient.cohorts(
                                StackClient.ok(segmentation("{\"user_id\":\"" + reader + "\"}"))))
                .doesNotContain(sport);
        assertServed();
        assertThat(RestartCounter.restarts()).isZero();
    }

    // ---- helpers --------------------------------------------------------------------------

    private static void assertServed() throws Exception {
        String user = UUID.randomUUID().toString();
        assertThat(StackClient.cohorts(StackClient.ok(segmentation(userBody(user, "sport")))))
                .containsExactly(sport);
    }

    private static String now() {
        return "\"" + Instant.now() + "\"";
    }

    private static String eventWithTime(String time, String properties) {
        return "{\"name\":\"Pageview\",\"time\":" + time + ",\"properties\":" + properties + "}";
    }

    private static String events(String event) {
        return "{\"user_id\":\"" + UUID.randomUUID() + "\",\"events\":[" + event + "]}";
    }

    private static String envelope(String user, String event) {
        return "{\"workspace\":\"acme\",\"user_id\":\"" + user + "\",\"events\":[" + event + "]}";
    }

    private static String userBody(String user, String section) {
        return events(eventWithTime(now(), "{\"section\":\"" + section + "\"}"))
                .replaceFirst("\"user_id\":\"[^\"]+\"", "\"user_id\":\"" + user + "\"");
    }

    private static List<JsonNode> awaitDeadLetters(String user, int atLeast) {
        return Awaitility.await()
                .alias("at least " + atLeast + " dead letters of " + user)
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> API.deadLetters(user), out -> out.size() >= atLeast);
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 1_000_000);
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static HttpResponse<String> schema(String event, String json) throws Exception {
        return API.send(
                HttpRequest.newBuilder(API.uri("/schemas/" + event + "?k=admin-key"))
                        .PUT(StackClient.body(json)));
    }

    private static HttpResponse<String> keyed(String key, String json) throws Exception {
        return API.send(
                java.net.http.HttpRequest.newBuilder(
                                API.uri("/ccs/v1/segmentation?k=" + StackClient.ADMIN_KEY))
                        .header("Idempotency-Key", key)
                        .POST(StackClient.body(json)));
    }

    private static HttpResponse<String> segmentation(String json) throws Exception {
        return API.segment(StackClient.ADMIN_KEY, "", json);
    }
}
