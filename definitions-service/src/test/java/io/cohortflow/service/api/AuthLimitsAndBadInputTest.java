package io.cohortflow.service.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.service.limits.WorkspaceLimits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Credentials, per-org limits and the bad-input table, on a real server. */
class AuthLimitsAndBadInputTest {
    static TestApp t;

    @BeforeAll
    static void start() {
        t = new TestApp();
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    @Test
    void no_api_key_gives_401_with_the_error_shape() {
        Http.Response r = t.http.get("/segments");
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.json().get("errorCode").asText()).isEqualTo("missing_api_key");
        assertThat(r.header("WWW-Authenticate")).isEqualTo("Bearer");
    }

    @Test
    void a_wrong_key_a_wrong_token_or_no_org_gives_401() {
        assertThat(t.http.as("wrong-key", "acme").get("/segments").status()).isEqualTo(401);
        assertThat(
                        t.as("alice")
                                .header("Authorization", "Bearer nope")
                                .get("/segments")
                                .json()
                                .get("errorCode")
                                .asText())
                .isEqualTo("invalid_token");
        assertThat(
                        t.as("alice")
                                .header("Authorization", null)
                                .get("/segments")
                                .json()
                                .get("errorCode")
                                .asText())
                .isEqualTo("missing_token");
        assertThat(
                        t.as("alice")
                                .header("x-gw-ims-org-id", null)
                                .get("/segments")
                                .json()
                                .get("errorCode")
                                .asText())
                .isEqualTo("missing_org");
    }

    @Test
    void a_key_used_for_another_org_gives_403() {
        Http.Response r = t.as("alice").header("x-gw-ims-org-id", "other").get("/segments");
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.json().get("errorCode").asText()).isEqualTo("forbidden_org");
    }

    @Test
    void another_workspace_never_sees_a_segment() {
        String id =
                t.as("alice")
                        .post("/segments", Defs.body("private", Defs.mobile()))
                        .json()
                        .get("id")
                        .asText();
        assertThat(t.as("eve").get("/segments/" + id).status()).isEqualTo(404);
        assertThat(t.as("eve").get("/segments?includeType=all&segmentFilter=" + id).json())
                .isEmpty();
    }

    @Test
    void health_ready_metrics_and_openapi_need_no_credentials() {
        assertThat(t.http.get("/health").status()).isEqualTo(200);
        assertThat(t.http.get("/ready").json().get("ready").asBoolean()).isTrue();
        t.as("alice").get("/segments");
        assertThat(t.http.get("/metrics").body())
                .contains("cohortflow_http_requests_seconds_count")
                .contains("route=\"/segments\"");
        assertThat(t.http.get("/openapi.yaml").body()).startsWith("openapi:");
    }

    static Stream<Arguments> badInputs() {
        return Stream.of(
                Arguments.of(
                        "malformed JSON",
                        "POST",
                        "/segments",
                        "{\"name\": ",
                        400,
                        "malformed_json"),
                Arguments.of(
                        "duplicate keys",
                        "POST",
                        "/segments",
                        "{\"name\":\"a\",\"name\":\"b\"}",
                        400,
                        "malformed_json"),
                Arguments.of("empty body", "POST", "/segments", "", 400, "missing_body"),
                Arguments.of("an array body", "POST", "/segments", "[]", 400, "invalid_body"),
                Arguments.of(
                        "unknown field",
                        "POST",
                        "/segments",
                        "{\"name\":\"a\",\"rsid\":\"default\",\"definition\":{},\"colour\":\"red\"}",
                        400,
                        "invalid_body"),
                Arguments.of(
                        "name of the wrong type",
                        "POST",
                        "/segments",
                        "{\"name\":12,\"rsid\":\"default\",\"definition\":{}}",
                        400,
                        "invalid_body"),
                Arguments.of(
                        "definition of the wrong type",
                        "POST",
                        "/segments",
                        "{\"name\":\"a\",\"rsid\":\"default\",\"definition\":\"x\"}",
                        400,
                        "invalid_body"),
                Arguments.of(
                        "published of the wrong type",
                        "POST",
                        "/segments",
                        "{\"name\":\"a\",\"rsid\":\"default\",\"definition\":{},\"published\":\"yes\"}",
                        400,
                        "invalid_body"),
                Arguments.of(
                        "tags in a new segment's body",
                        "POST",
                        "/segments",
                        "{\"name\":\"a\",\"rsid\":\"default\",\"definition\":{},\"tags\":[{\"name\":\"x\"}]}",
                        400,
                        "invalid_body"),
                Arguments.of(
                        "missing name",
                        "POST",
                        "/segments",
                        "{\"rsid\":\"default\",\"definition\":{}}",
                        400,
                        "missing_field"),
                Arguments.of(
                        "unknown rsid",
                        "POST",
                        "/segments",
                        "{\"name\":\"a\",\"rsid\":\"nope\",\"definition\":" + Defs.mobile() + "}",
                        400,
                        "unknown_rsid"),
                Arguments.of(
                        "invalid definition",
                        "POST",
                        "/segments",
                        "{\"name\":\"a\",\"rsid\":\"default\",\"definition\":"
                                + Defs.unknownFunction()
                                + "}",
                        400,
                        "invalid_definition"),
                Arguments.of(
                        "empty definition",
                        "POST",
                        "/segments",
                        "{\"name\":\"a\",\"rsid\":\"default\",\"definition\":{}}",
                        400,
                        "invalid_definition"),
                Arguments.of(
                        "oversized body",
                        "POST",
                        "/segments",
                        "{\"name\":\"" + "x".repeat(70_000) + "\"}",
                        413,
                        "body_too_large"),
                Arguments.of(
                        "unknown query parameter",
                        "GET",
                        "/segments?sortProprety=name",
                        null,
                        400,
                        "unknown_parameter"),
                Arguments.of(
                        "non-numeric version",
                        "GET",
                        "/segments/s1/versions/abc",
                        null,
                        400,
                        "invalid_parameter"),
                Arguments.of(
                        "tag items not an array",
                        "PUT",
                        "/componentmetadata/tags/tagitems",
                        "{}",
                        400,
                        "invalid_body"));
    }

    @ParameterizedTest(name = "{0} gives {4}")
    @MethodSource("badInputs")
    void bad_input_gives_a_clear_error(
            String what, String method, String path, String body, int status, String code) {
        Http.Response r = t.as("alice").send(method, path, body);
        assertThat(r.status()).as(r.toString()).isEqualTo(status);
        assertThat(r.json().get("errorCode").asText()).as(r.toString()).isEqualTo(code);
        assertThat(r.json().get("errorDescription").asText()).isNotBlank();
    }

    @Test
    void a_method_a_path_does_not_have_gives_405_with_Allow_naming_the_methods_it_has() {
        Http alice = t.as("alice");
        Map<String, String[]> cases = new LinkedHashMap<>();
        cases.put("PATCH /segments", new String[] {"GET", "POST"});
        cases.put("PATCH /segments/s_1", new String[] {"GET", "PUT", "DELETE"});
        cases.put("GET /componentmetadata/tags/tagitems", new String[] {"PUT"});
        cases.put("PUT /componentmetadata/shares/123", new String[] {"DELETE"});
        cases.put("DELETE /health", new String[] {"GET"});
        cases.forEach(
                (request, allowed) -> {
                    String[] mp = request.split(" ");
                    Http.Response r = alice.send(mp[0], mp[1], null);
                    assertThat(r.status()).as(request + ": " + r).isEqualTo(405);
                    assertThat(r.json().get("errorCode").asText()).isEqualTo("method_not_allowed");
                    assertThat(r.header("Allow")).as(request).isNotNull();
                    assertThat(r.header("Allow").split(",\\s*"))
                            .as(request)
                            .containsExactlyInAnyOrder(allowed);
                });
        // Whatever the client accepts, and for a method HTTP does not define.
        assertThat(
                        alice.header("Accept", "text/html")
                                .send("PATCH", "/segments", null)
                                .header("Allow"))
                .isEqualTo("GET, POST");
        assertThat(alice.send("FOO", "/segments", null).header("Allow")).isEqualTo("GET, POST");
    }

    @Test
    void a_one_value_query_parameter_given_twice_gives_400_naming_it_and_a_list_may_repeat() {
        Http alice = t.as("alice");
        for (String query :
                List.of(
                        "/segments?limit=1&limit=1000",
                        "/segments?name=a&name=b",
                        "/segments?sortDirection=ASC&sortDirection=ASC",
                        "/componentmetadata/tags?page=0&page=1")) {
            Http.Response r = alice.get(query);
            assertThat(r.status()).as(query + ": " + r).isEqualTo(400);
            assertThat(r.json().get("errorCode").asText()).isEqualTo("invalid_parameter");
            String name = query.substring(query.indexOf('?') + 1, query.indexOf('='));
            assertThat(r.json().get("errorDescription").asText()).as(query).startsWith(name + " ");
        }
        Http.Response lists =
                alice.get("/segments?tagNames=a&tagNames=b&expansion=tags&expansion=modified");
        assertThat(lists.status()).as(lists.toString()).isEqualTo(200);
    }

    @Test
    void field_errors_carry_json_pointers() {
        Http.Response r =
                t.as("alice")
                        .post(
                                "/segments",
                                "{\"name\":1,\"rsid\":true,\"definition\":{},\"extra\":0}");
        assertThat(r.json().get("errors").findValuesAsText("pointer"))
                .contains("/name", "/rsid", "/extra");
    }

    @Test
    void more_than_the_requests_a_minute_gives_429_with_Retry_After() {
        try (TestApp limited = new TestApp(3, 6)) {
            Http alice = limited.as("alice");
            for (int i = 0; i < 3; i++) {
                assertThat(alice.get("/segments").status()).isEqualTo(200);
            }
            Http.Response r = alice.get("/segments");
            assertThat(r.status()).isEqualTo(429);
            assertThat(r.json().get("errorCode").asText()).isEqualTo("too_many_requests");
            assertThat(Long.parseLong(r.header("Retry-After"))).isBetween(1L, 60L);
            assertThat(limited.http.get("/metrics").body())
                    .contains("cohortflow_http_limited_total{limit=\"rate\"} 1.0");
            // Another org has its own budget.
            assertThat(limited.as("eve").get("/segments").status()).isEqualTo(200);
        }
    }

    @Test
    void the_rate_limit_refills_after_its_period() throws Exception {
        try (TestApp limited =
                new TestApp(new WorkspaceLimits(2, Duration.ofMillis(500), 6), 1024)) {
            Http alice = limited.as("alice");
            alice.get("/segments");
            alice.get("/segments");
            assertThat(alice.get("/segments").status()).isEqualTo(429);
            // Lets the 500 ms window pass: the test is that time alone refills the budget.
            Thread.sleep(600);
            assertThat(alice.get("/segments").status()).isEqualTo(200);
        }
    }

    @Test
    void a_write_that_loses_a_race_is_counted_as_409_in_the_metrics() throws Exception {
        try (TestApp app = new TestApp(1000, 6)) {
            Http alice = app.as("alice");
            String id =
                    alice.post("/segments", Defs.body("raced", Defs.mobile()))
                            .json()
                            .get("id")
                            .asText();
            app.log.hold();
            List<CompletableFuture<Http.Response>> racing = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                String name = "raced-" + i;
                racing.add(
                        CompletableFuture.supplyAsync(
                                () -> alice.put("/segments/" + id, Defs.map("name", name))));
            }
            // Both writes must be held at the log at once for one of them to lose the race.
            Awaitility.await()
                    .atMost(Duration.ofSeconds(5))
                    .pollInterval(Duration.ofMillis(10))
                    .until(() -> app.log.heldCount() >= 2);
            app.log.release();
            List<Integer> statuses = new ArrayList<>();
            for (CompletableFuture<Http.Response> f : racing) {
                statuses.add(f.get().status());
            }
            assertThat(statuses).containsExactlyInAnyOrder(200, 409);
            assertThat(app.http.get("/metrics").body())
                    .containsPattern(
                            "cohortflow_http_requests_seconds_count\\{[^}]*method=\"PUT\",route=\"/segments/\\{id\\}\",status=\"409\"\\} 1");
        }
    }

    @Test
    void more_concurrent_requests_than_allowed_gives_429_and_slots_are_freed() throws Exception {
        try (TestApp limited = new TestApp(1000, 2)) {
            Http alice = limited.as("alice");
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                ids.add(
                        alice.post("/segments", Defs.body("held " + i, Defs.mobile()))
                                .json()
                                .get("id")
                                .asText());
            }
            limited.log.hold();
            // Renames: edits that read no other segment, so neither waits for the other's write
            // (a workspace's creates, deletes and definition changes go one at a time).
            List<CompletableFuture<Http.Response>> inFlight = new ArrayList<>();
            for (String id : ids) {
                inFlight.add(
                        CompletableFuture.supplyAsync(
                                () -> alice.put("/segments/" + id, Defs.map("name", id + "!"))));
            }
            Awaitility.await()
                    .atMost(Duration.ofSeconds(5))
                    .pollInterval(Duration.ofMillis(10))
                    .until(() -> limited.log.heldCount() >= 2);
            assertThat(limited.log.heldCount()).isEqualTo(2); // both hold their slot now
            Http.Response third =
                    Awaitility.await()
                            .atMost(Duration.ofSeconds(5))
                            .pollInterval(Duration.ofMillis(20))
                            .until(() -> alice.get("/segments"), r -> r.status() == 429);
            assertThat(third.status()).isEqualTo(429);
            assertThat(third.header("Retry-After")).isEqualTo("1");
            limited.log.release();
            for (CompletableFuture<Http.Response> f : inFlight) {
                assertThat(f.get().status()).isEqualTo(200);
            }
            // Both slots were released when the async responses completed.
            assertThat(alice.get("/segments").status()).isEqualTo(200);
            assertThat(alice.get("/segments").status()).isEqualTo(200);
        }
    }
}
