package io.cohortflow.service.e2e;

import static io.cohortflow.service.e2e.SegmentationHostileInputTest.error;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.service.api.Http;
import io.cohortflow.service.auth.ApiKeys;
import io.cohortflow.service.auth.Role;
import io.cohortflow.service.segmentation.SegmentationConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The segmentation API's limits per workspace, on the real service over an in-JVM broker with no
 * job: acme may make 3 requests a second, globex have 1 in flight, a workspace may hold 2 event
 * schemas and 3 alias bindings; every other limit is the default. Requests the limits let through
 * fail later (a bad body, or no job to answer), which is what makes them quick or slow at will.
 */
class SegmentationLimitsTest {
    static ServiceOnBroker stack;
    static Http http;

    @BeforeAll
    static void start() {
        stack =
                ServiceOnBroker.start(
                        c ->
                                c.withApiKeys(
                                        List.of(
                                                key("ci", "ci-key", "acme"),
                                                key("other", "other-key", "globex"),
                                                key("third", "third-key", "initech"),
                                                key("fourth", "fourth-key", "umbrella"))),
                        Map.of(
                                SegmentationConfig.TIMEOUT.key(),
                                "1500 ms",
                                SegmentationConfig.WORKSPACE + "acme.requests-per-second",
                                "3",
                                SegmentationConfig.WORKSPACE + "globex.max-in-flight",
                                "1",
                                SegmentationConfig.MAX_SCHEMAS.key(),
                                "2",
                                SegmentationConfig.MAX_BINDINGS.key(),
                                "3"));
        http = stack.http;
    }

    static ApiKeys.Entry key(String name, String key, String org) {
        return new ApiKeys.Entry(
                name, ApiKeys.hash(key), null, org, 1, name, name + "@" + org, Role.ADMIN);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    static Http.Response segment(String key, String body) {
        return http.post("/ccs/v1/segmentation?k=" + key, body);
    }

    /**
     * A producer's own user id may hold '/', '%' or ';' (docs/segmentation.md, Identity). Encoded
     * in the path, Jetty refused them as ambiguous (400 before any handler), so such a user could
     * be neither looked up nor erased: now the request reaches the job, the id decoded.
     */
    @Test
    void a_user_id_with_reserved_characters_is_looked_up_by_its_encoded_path() throws Exception {
        String id = "crm/42;a%b";
        String encoded = java.net.URLEncoder.encode(id, java.nio.charset.StandardCharsets.UTF_8);
        Http.Response r = http.get("/ccs/v1/users/" + encoded + "?k=third-key");
        // No job here: the request went as far as the job (503, nothing answered it).
        error(r, 503, "segmentation_unavailable");
        List<String> asked =
                io.cohortflow.kafka.KafkaTopics.drainValues(
                        stack.kafka.bootstrapServers(),
                        io.cohortflow.core.contract.TopicNames.DEFAULT.events(),
                        org.apache.kafka.common.IsolationLevel.READ_UNCOMMITTED);
        assertThat(asked)
                .anySatisfy(
                        v ->
                                assertThat(
                                                io.cohortflow.core.contract.Json.MAPPER
                                                        .readTree(v)
                                                        .path("user_id")
                                                        .asText())
                                        .isEqualTo(id));
    }

    private static String aliases(String... tagIds) {
        StringBuilder b = new StringBuilder("{\"aliases\": [");
        for (int i = 0; i < tagIds.length; i++) {
            String[] t = tagIds[i].split(":");
            b.append(i == 0 ? "" : ",")
                    .append("{\"priority\": ")
                    .append(i)
                    .append(", \"tag\": \"")
                    .append(t[0])
                    .append("\", \"id\": \"")
                    .append(t[1])
                    .append("\"}");
        }
        return b.append("]}").toString();
    }

    /**
     * Every replica holds every alias binding in its heap: a client minting aliases without end
     * grew it until it failed (and a replica restarted past its heap could not read the table
     * back). A workspace holds at most {@code max-bindings}: past them a request naming no bound
     * alias (a new user) is a 409 before anything is written or sent, one naming a bound alias goes
     * on for its user with its new aliases unbound, and other workspaces go on.
     */
    @Test
    void a_workspace_binds_at_most_max_bindings_aliases() {
        // No job: each request binds its new aliases, then waits in vain (503).
        error(segment("fourth-key", aliases("crm:a", "cookie:a")), 503, "segmentation_unavailable");
        error(segment("fourth-key", aliases("crm:b")), 503, "segmentation_unavailable");

        JsonNode full = error(segment("fourth-key", aliases("crm:c")), 409, "too_many_bindings");
        assertThat(full.get("code").asInt()).isEqualTo(4092);
        assertThat(full.get("message").asText()).contains("at most 3 alias bindings");
        // A known user's request goes on to the job (503: none here), its new alias left
        // unbound, whether the bound alias is its strongest or not.
        error(segment("fourth-key", aliases("crm:a", "web:a")), 503, "segmentation_unavailable");
        error(segment("fourth-key", aliases("web:b", "cookie:a")), 503, "segmentation_unavailable");
        error(segment("fourth-key", aliases("web:a")), 409, "too_many_bindings");
        error(segment("fourth-key", aliases("web:b")), 409, "too_many_bindings");
        // Another workspace's bindings are its own.
        error(segment("third-key", aliases("crm:c")), 503, "segmentation_unavailable");
    }

    /** The service's count of requests refused by a limit of this kind ({@code /metrics}). */
    static double limited(String kind) {
        String series = "cohortflow_http_limited_total{limit=\"" + kind + "\"}";
        for (String line : http.get("/metrics").body().split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        throw new AssertionError(series + " is not exported");
    }

    @Test
    void a_workspace_over_its_requests_a_second_gets_429_with_retry_after_and_others_do_not() {
        double before = limited("rate");
        // Seven quick requests span at most two one-second windows: at most six get through.
        List<Http.Response> answers = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            answers.add(segment("ci-key", "{}"));
        }
        List<Http.Response> refused = answers.stream().filter(r -> r.status() == 429).toList();
        assertThat(refused).as("%s", answers).isNotEmpty();
        assertThat(answers).filteredOn(r -> r.status() == 400).hasSizeBetween(3, 6);
        Http.Response r = refused.get(0);
        error(r, 429, "too_many_requests");
        assertThat(r.json().get("error").get("message").asText())
                .contains("3 segmentation requests a second");
        assertThat(Integer.parseInt(r.header("Retry-After"))).isBetween(1, 1);
        // Counted where the dashboard's refusals panel reads them, as the Segments API's are.
        assertThat(limited("rate") - before).isEqualTo(refused.size());

        // Another workspace's requests are its own.
        for (int i = 0; i < 7; i++) {
            assertThat(segment("third-key", "{}").status()).isEqualTo(400);
        }
    }

    @Test
    void a_workspace_with_its_requests_in_flight_gets_429_until_one_ends() throws Exception {
        String waits = "{\"user_id\":\"" + UUID.randomUUID() + "\"}";
        CompletableFuture<Http.Response> first =
                CompletableFuture.supplyAsync(() -> segment("other-key", waits));
        Thread.sleep(500); // the first waits for a reply no job sends (1.5 s)
        double before = limited("concurrency");
        Http.Response second = segment("other-key", waits);
        error(second, 429, "too_many_requests");
        assertThat(limited("concurrency") - before).isEqualTo(1);
        assertThat(second.header("Retry-After")).isEqualTo("1");
        assertThat(second.json().get("error").get("message").asText())
                .contains("1 segmentation requests in flight");
        assertThat(segment("third-key", "{}").status()).as("another workspace").isEqualTo(400);

        assertThat(first.get().status()).isEqualTo(503);
        assertThat(segment("other-key", "{}").status()).as("the slot is free again").isEqualTo(400);
    }

    /**
     * The schemas API takes the workspace's limits as segmentation does: with globex's one request
     * in flight held by a segmentation request, every schema route is a 429; each schema request
     * gives its slot back however it ends (answered, 400, 404), or the next would be refused.
     */
    @Test
    void schema_requests_count_against_the_workspace_limits_and_give_their_slot_back()
            throws Exception {
        String waits = "{\"user_id\":\"" + UUID.randomUUID() + "\"}";
        CompletableFuture<Http.Response> first =
                CompletableFuture.supplyAsync(() -> segment("other-key", waits));
        Thread.sleep(500); // the first waits for a reply no job sends (1.5 s)
        double before = limited("concurrency");
        List<Http.Response> refused =
                List.of(
                        http.get("/schemas?k=other-key"),
                        http.get("/schemas/Page?k=other-key"),
                        http.put("/schemas/Page?k=other-key", "{\"type\": \"object\"}"),
                        http.delete("/schemas/Page?k=other-key"));
        for (Http.Response r : refused) {
            error(r, 429, "too_many_requests");
            assertThat(r.header("Retry-After")).isEqualTo("1");
        }
        assertThat(limited("concurrency") - before).isEqualTo(refused.size());
        assertThat(http.get("/schemas?k=third-key").status())
                .as("another workspace")
                .isEqualTo(200);
        assertThat(first.get().status()).isEqualTo(503);

        // One in flight: each of these would be a 429 had the one before kept its slot.
        for (int i = 0; i < 3; i++) {
            error(http.put("/schemas/Bad?k=other-key", "{\"type\": 12}"), 400, "invalid_schema");
            error(http.put("/schemas/Bad?k=other-key", "not json"), 400, "malformed_json");
            error(http.get("/schemas/Missing?k=other-key"), 404, "not_found");
            error(http.delete("/schemas/Missing?k=other-key"), 404, "not_found");
            assertThat(http.get("/schemas?k=other-key").status()).isEqualTo(200);
        }
        Http.Response put = http.put("/schemas/Page?k=other-key", "{\"type\": \"object\"}");
        assertThat(put.status()).as(put.toString()).isEqualTo(201);
        assertThat(http.get("/schemas/Page?k=other-key").status()).isEqualTo(200);
        assertThat(http.delete("/schemas/Page?k=other-key").status()).isEqualTo(204);
        assertThat(segment("other-key", "{}").status()).as("the slot is free").isEqualTo(400);
    }

    /** A workspace holds at most max-schemas (2 here); replacing one is not adding one. */
    @Test
    void a_schema_past_the_workspace_cap_is_a_409_and_replacing_or_deleting_one_is_not() {
        String schema = "{\"type\": \"object\"}";
        assertThat(http.put("/schemas/A?k=third-key", schema).status()).isEqualTo(201);
        assertThat(http.put("/schemas/B?k=third-key", schema).status()).isEqualTo(201);

        JsonNode e = error(http.put("/schemas/C?k=third-key", schema), 409, "too_many_schemas");
        assertThat(e.get("code").asInt()).isEqualTo(4091);
        assertThat(e.get("message").asText()).contains("at most 2 event schemas");
        assertThat(http.get("/schemas/C?k=third-key").status()).isEqualTo(404);

        assertThat(http.put("/schemas/B?k=third-key", schema).status())
                .as("replaced")
                .isEqualTo(200);
        assertThat(http.put("/schemas/C?k=ci-key", schema).status())
                .as("another workspace")
                .isEqualTo(201);
        assertThat(http.delete("/schemas/A?k=third-key").status()).isEqualTo(204);
        assertThat(http.put("/schemas/C?k=third-key", schema).status()).isEqualTo(201);

        for (String name : List.of("B", "C")) {
            http.delete("/schemas/" + name + "?k=third-key");
        }
        http.delete("/schemas/C?k=ci-key");
    }
}
