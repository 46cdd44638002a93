package io.cohortflow.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.Json;
import io.cohortflow.kafka.KafkaTopics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.awaitility.Awaitility;

/**
 * A client of a running stack for end-to-end tests: its HTTP APIs as the admin key of org {@code
 * acme} uses them, and its dead-letter topic. One place for what every launcher test needs.
 */
final class StackClient {
    static final String ADMIN_KEY = "admin-key";
    static final String ORG = "acme";

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final Supplier<CohortflowStack> stack;

    /** {@code stack} is asked at each call: a test class may start its stack after making this. */
    StackClient(Supplier<CohortflowStack> stack) {
        this.stack = stack;
    }

    /** What every test stack runs with: loopback, free ports, fast checkpoints, the admin key. */
    static Map<String, String> testProperties(Path data) {
        Map<String, String> p = new HashMap<>();
        p.put(LauncherConfig.DATA_DIR.key(), data.toString());
        p.put(LauncherConfig.KAFKA_PORT.key(), "0");
        p.put(LauncherConfig.FLINK_UI_PORT.key(), "0");
        p.put("cohortflow.service.port", "0");
        p.put("cohortflow.segmentation.timeout", "5000 ms");
        p.put("cohortflow.job.checkpoint-interval", "PT1S");
        p.put("cohortflow.events.idleness", "PT1S");
        p.put("cohortflow.job.audience-series-interval", "500 ms");
        p.put("cohortflow.api-keys.admin.key", ADMIN_KEY);
        p.put("cohortflow.api-keys.admin.org", ORG);
        p.put("cohortflow.api-keys.admin.role", "admin");
        return p;
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + stack.get().httpPort() + path);
    }

    static HttpRequest.BodyPublisher body(String s) {
        return HttpRequest.BodyPublishers.ofString(s, StandardCharsets.UTF_8);
    }

    HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return HTTP.send(
                b.header("Content-Type", "application/json")
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** {@code POST /ccs/v1/segmentation?k=key<query>}. */
    HttpResponse<String> segment(String key, String query, String json) throws Exception {
        return send(
                HttpRequest.newBuilder(uri("/ccs/v1/segmentation?k=" + key + query))
                        .POST(body(json)));
    }

    /** Asks until the answer is 200 (the job may be starting), then returns its body. */
    JsonNode awaitOk(String json, Duration timeout) {
        AtomicReference<JsonNode> body = new AtomicReference<>();
        // ok() asserts the 200, so a timeout reports the last answer's body.
        Awaitility.await()
                .atMost(timeout)
                .pollInterval(Duration.ofMillis(250))
                .untilAsserted(() -> body.set(ok(segment(ADMIN_KEY, "", json))));
        return body.get();
    }

    static JsonNode ok(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Json.MAPPER.readTree(r.body());
    }

    static List<String> cohorts(JsonNode r) {
        List<String> out = new ArrayList<>();
        r.get("cohorts").forEach(c -> out.add(c.asText()));
        return out;
    }

    /** The Segments API's headers: key, bearer token and org. */
    static HttpRequest.Builder adobe(HttpRequest.Builder b) {
        return b.header("x-api-key", ADMIN_KEY)
                .header("Authorization", "Bearer " + ADMIN_KEY)
                .header("x-gw-ims-org-id", ORG);
    }

    /** Creates a published visitors segment around {@code pred}; returns its id. */
    /** A visitor-level definition of one predicate. */
    static String definition(String pred) {
        return "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\",\"context\":\"visitors\",\"pred\":"
                + pred
                + "}}";
    }

    String createSegment(String name, String pred, String activations) throws Exception {
        String def = definition(pred);
        HttpResponse<String> r =
                send(
                        adobe(HttpRequest.newBuilder(uri("/segments")))
                                .POST(
                                        body(
                                                "{\"name\":\""
                                                        + name
                                                        + "\",\"rsid\":\"default\",\"definition\":"
                                                        + def
                                                        + ",\"activations\":"
                                                        + activations
                                                        + "}")));
        return ok(r).get("id").asText();
    }

    /** Waits until every subtask of the job has applied the segment's current version. */
    void awaitApplied(String id) {
        JsonNode p =
                Awaitility.await()
                        .alias("the job applies segment " + id)
                        .atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> propagation(id), s -> s.path("applied").asBoolean());
        // Applied to every user means in effect first, no later than applied.
        if (!p.path("inEffect").asBoolean()
                || p.path("inEffectAt").asText().compareTo(p.path("appliedAt").asText()) > 0) {
            throw new AssertionError("applied but not in effect before: " + p);
        }
    }

    /** The segment's propagation status, or an empty object while it cannot be had. */
    private JsonNode propagation(String id) throws Exception {
        HttpResponse<String> r =
                send(adobe(HttpRequest.newBuilder(uri("/segments/" + id + "/propagation"))).GET());
        return r.statusCode() == 200
                ? Json.MAPPER.readTree(r.body())
                : Json.MAPPER.createObjectNode();
    }

    /** The dead letters keyed to {@code user}, as the topic holds them now. */
    List<JsonNode> deadLetters(String user) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r :
                KafkaTopics.drain(
                        stack.get().bootstrapServers(),
                        stack.get().topics().deadLetter(),
                        IsolationLevel.READ_UNCOMMITTED,
                        Duration.ofSeconds(5))) {
            if (r.key() != null
                    && new String(r.key(), StandardCharsets.UTF_8).endsWith("/" + user)) {
                out.add(Json.MAPPER.readTree(r.value()));
            }
        }
        return out;
    }
}
