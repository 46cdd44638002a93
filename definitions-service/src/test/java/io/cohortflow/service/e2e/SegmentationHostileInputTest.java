package io.cohortflow.service.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.service.api.Defs;
import io.cohortflow.service.api.HostileInputTest;
import io.cohortflow.service.api.Http;
import io.cohortflow.service.segmentation.ValidationBudget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The segmentation and schemas APIs against hostile input, on the real service over an in-JVM
 * broker (no job runs: every request here is answered before the job would be asked).
 */
class SegmentationHostileInputTest {
    static final Pattern LEAK =
            Pattern.compile(
                    "[a-z]+\\.[a-z]+\\.[A-Z]|Exception|Constraints|Feature|jackson|jetty|javalin"
                            + "|java\\.|networknt",
                    Pattern.CASE_INSENSITIVE);

    static ServiceOnBroker stack;
    static Http http;

    @BeforeAll
    static void start() {
        stack = ServiceOnBroker.start(Map.of());
        http = stack.http;
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    static void assertNoLeak(String body) {
        Matcher m = LEAK.matcher(body);
        assertThat(m.find()).as("names an internal: %s", body).isFalse();
    }

    /** The segmentation API's error, checked for its shape. */
    static JsonNode error(Http.Response r, int status, String type) {
        assertThat(r.status()).as(r.toString()).isEqualTo(status);
        JsonNode e = r.json().get("error");
        assertThat(e.get("type").asText()).as(r.toString()).isEqualTo(type);
        assertThat(e.get("status_code").asInt()).isEqualTo(status);
        assertThat(r.json().get("request_id").asText()).isNotBlank();
        assertNoLeak(r.body());
        return e;
    }

    static Http.Response putSchema(String name, String schema) {
        return http.put("/schemas/" + name + "?k=ci-key", schema);
    }

    /**
     * Validation warns of an attribute no event schema of the workspace declares (a typo, most
     * likely); a workspace without schemas declares nothing and gets no such warning.
     */
    @Test
    void definitions_are_warned_of_attributes_no_event_schema_declares() throws Exception {
        Http segments = http.as("ci-key", "acme");
        java.util.function.Function<String, JsonNode> validate =
                attribute -> {
                    try {
                        return segments.post(
                                        "/segments/validate?rsid=default",
                                        io.cohortflow.core.contract.Json.MAPPER.readTree(
                                                "{\"func\":\"segment-def\",\"version\":[1,0,0],"
                                                        + "\"container\":{\"func\":\"container\","
                                                        + "\"context\":\"hits\",\"pred\":{\"func\":"
                                                        + "\"streq\",\"val\":{\"func\":\"attr\","
                                                        + "\"name\":\"variables/"
                                                        + attribute
                                                        + "\"},\"str\":\"x\"}}}"))
                                .json();
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                };
        assertThat(validate.apply("catgory").get("warnings")).as("no schema yet").isEmpty();

        Http.Response put =
                putSchema(
                        "Article",
                        "{\"type\":\"object\",\"properties\":{\"properties\":{\"type\":\"object\","
                                + "\"properties\":{\"category\":{\"type\":\"string\"},\"page\":{"
                                + "\"type\":\"object\",\"properties\":{\"url\":{\"type\":\"string\"}}}}}}}");
        assertThat(put.status()).as(put.toString()).isIn(200, 201);
        try {
            JsonNode typo = validate.apply("catgory");
            assertThat(typo.get("valid").asBoolean()).isTrue();
            assertThat(typo.get("warnings").get(0).get("code").asText())
                    .isEqualTo("unknown_attribute");
            assertThat(typo.get("warnings").get(0).get("pointer").asText())
                    .isEqualTo("/container/pred/val/name");
            for (String declared : List.of("category", "page.url")) {
                assertThat(validate.apply(declared).get("warnings")).as(declared).isEmpty();
            }
        } finally {
            http.delete("/schemas/Article?k=ci-key");
        }
    }

    static Stream<Arguments> outsideReferences() {
        return Stream.of(
                Arguments.of("/$ref", "{\"$ref\": \"file:///etc/passwd\"}"),
                Arguments.of(
                        "/properties/properties/$ref",
                        "{\"properties\": {\"properties\": {\"$ref\": \"file:///etc/passwd\"}}}"),
                Arguments.of("/$ref", "{\"$ref\": \"http://127.0.0.1:9/schema.json\"}"),
                Arguments.of("/$ref", "{\"$ref\": \"classpath:log4j2.xml\"}"),
                Arguments.of("/$ref", "{\"$ref\": \"other.json#/x\"}"),
                Arguments.of(
                        "/$defs/a/$dynamicRef",
                        "{\"$defs\": {\"a\": {\"$dynamicRef\": \"file:///etc/passwd\"}}}"),
                Arguments.of(
                        "/anyOf/0/x-hidden/$ref",
                        "{\"anyOf\": [{\"x-hidden\": {\"$ref\": \"file:///etc/hosts\"}}]}"),
                Arguments.of("/$schema", "{\"$schema\": \"file:///etc/passwd\"}"));
    }

    @ParameterizedTest(name = "a reference at {0} is refused")
    @MethodSource("outsideReferences")
    void PUT_a_schema_referring_outside_itself_gives_400(String pointer, String schema) {
        JsonNode e = error(putSchema("referring", schema), 400, "invalid_schema");
        assertThat(e.get("cause").asText()).startsWith(pointer + ":");
        assertThat(http.get("/schemas/referring?k=ci-key").status()).isEqualTo(404);
    }

    @Test
    void a_file_a_schema_refers_to_is_never_read(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("secret.json");
        Files.writeString(secret, "{\"description\": \"SECRET-MARKER-42\", \"type\": \"string\"}");
        Http.Response r =
                putSchema(
                        "secret",
                        "{\"properties\": {\"name\": {\"$ref\": \"" + secret.toUri() + "\"}}}");
        error(r, 400, "invalid_schema");
        assertThat(r.body()).doesNotContain("SECRET-MARKER-42");
    }

    @Test
    void PUT_a_schema_referring_within_itself_gives_201() {
        Http.Response r =
                putSchema(
                        "local",
                        "{\"$defs\": {\"s\": {\"type\": \"string\"}},"
                                + " \"properties\": {\"name\": {\"$ref\": \"#/$defs/s\"}}}");
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
    }

    @Test
    void PUT_a_pattern_that_is_no_regular_expression_gives_400_in_our_words() {
        JsonNode e =
                error(
                        putSchema(
                                "badregex", "{\"properties\": {\"name\": {\"pattern\": \"(a\"}}}"),
                        400,
                        "invalid_schema");
        assertThat(e.get("cause").asText())
                .contains("pattern '(a' is not a valid regular expression");
    }

    @Test
    void a_pattern_that_would_run_away_refuses_the_event_with_400_instead_of_hanging() {
        // ^(.*a){10}$ backtracks through every split of the a's on a value that does not match:
        // billions of steps for 40 characters without the bound.
        String schema =
                "{\"properties\": {\"properties\": {\"properties\":"
                        + " {\"url\": {\"type\": \"string\", \"pattern\": \"^(.*a){10}$\"}}}}}";
        Http.Response put = putSchema("runaway", schema);
        assertThat(put.status()).as(put.toString()).isIn(200, 201);
        Map<String, Object> event =
                Map.of(
                        "name",
                        "runaway",
                        "time",
                        Instant.now().toString(),
                        "properties",
                        Map.of("url", "a".repeat(40) + "!"));
        Http.Response r =
                http.post(
                        "/ccs/v1/segmentation?k=ci-key&synchronous-validation=true",
                        Defs.map(
                                "user_id", UUID.randomUUID().toString(), "events", List.of(event)));
        JsonNode e = error(r, 400, "schema_violation");
        assertThat(e.get("message").asText()).contains("events[0] (runaway)");
        assertThat(e.get("cause").asText())
                .contains("pattern '^(.*a){10}$'")
                .contains("could not be checked");
    }

    /**
     * Each value costs {@code a.*a.*b} about a million reads, under one match's bound; with a
     * budget per match, an event of 300 such values held the request's thread for seconds (and 1
     * 300 values over a request, about 10 s). The event's matches share one budget now: the event
     * is refused once they have read that much, saying so.
     */
    @Test
    void an_event_whose_matches_together_exceed_the_validation_budget_is_refused_saying_so() {
        String schema =
                "{\"properties\": {\"properties\": {\"additionalProperties\":"
                        + " {\"type\": \"string\", \"pattern\": \"a.*a.*b\"}}}}";
        Http.Response put = putSchema("costly", schema);
        assertThat(put.status()).as(put.toString()).isIn(200, 201);
        Map<String, Object> properties = new java.util.TreeMap<>();
        for (int i = 0; i < 300; i++) {
            properties.put("p" + i, "a".repeat(190));
        }
        Map<String, Object> event =
                Map.of(
                        "name",
                        "costly",
                        "time",
                        Instant.now().toString(),
                        "properties",
                        properties);
        Http.Response r =
                http.post(
                        "/ccs/v1/segmentation?k=ci-key&synchronous-validation=true",
                        Defs.map(
                                "user_id", UUID.randomUUID().toString(), "events", List.of(event)));
        http.delete("/schemas/costly?k=ci-key"); // other tests expect the workspace without it
        JsonNode e = error(r, 400, "schema_violation");
        assertThat(e.get("message").asText()).contains("events[0] (costly)");
        assertThat(e.get("cause").asText())
                .isEqualTo(
                        "events[0]: validation exceeded its budget: the schemas' patterns may read "
                                + ValidationBudget.REQUEST_READS
                                + " characters of one request's values in all, and the schema's"
                                + " pattern 'a.*a.*b' needed more, so the event could not be"
                                + " checked");
    }

    @Test
    void a_25_MB_number_is_refused_with_413_in_the_segmentation_shape() {
        for (String path : List.of("/ccs/v1/segmentation?k=ci-key", "/schemas/big?k=ci-key")) {
            Http.Raw r =
                    HostileInputTest.twentyFiveMegabyteNumber(
                            stack.port(), path.startsWith("/ccs") ? "POST" : "PUT", path, "");
            assertThat(r.status()).as(r.toString()).isEqualTo(413);
            assertThat(r.json().get("error").get("type").asText()).isEqualTo("body_too_large");
            assertNoLeak(r.body());
        }
    }

    /**
     * Half a character (a lone surrogate, which JSON's escapes can write) in an alias or an event
     * is refused: stored or keyed as UTF-8 it reads back as '?', so the alias would never find its
     * own binding (a new user at every request) while the alias "?" found it, and an event's name
     * or values would change between the request that carried them and the next.
     */
    @Test
    void half_a_character_in_an_alias_or_an_event_is_a_400() {
        JsonNode alias =
                error(
                        http.post(
                                "/ccs/v1/segmentation?k=ci-key",
                                "{\"alias\":{\"tag\":\"crm\",\"id\":\"a\\ud800b\"}}"),
                        400,
                        "invalid_user_identifier");
        assertThat(alias.get("message").asText()).contains("unpaired surrogate at 1");
        String user = "\"user_id\":\"" + java.util.UUID.randomUUID() + "\"";
        for (String event :
                List.of(
                        "{\"name\":\"Page\\ud800\",\"time\":0,\"properties\":{}}",
                        "{\"name\":\"Page\",\"time\":0,\"properties\":{\"k\":[\"\\udc00\"]}}")) {
            JsonNode e =
                    error(
                            http.post(
                                    "/ccs/v1/segmentation?k=ci-key",
                                    "{" + user + ",\"events\":[" + event + "]}"),
                            400,
                            "invalid_event");
            assertThat(e.get("message").asText()).as(event).contains("unpaired surrogate");
        }
    }

    /**
     * The spec's smaller promises, each as a client would try it: a duplicate priority, too many
     * aliases, a boolean parameter that is no boolean, an idempotency key with a space, the key in
     * {@code k} winning over the header, and the request id both in the body and the header.
     */
    @Test
    void the_specs_smaller_promises_hold() {
        String user = "\"user_id\":\"" + java.util.UUID.randomUUID() + "\"";
        JsonNode dup =
                error(
                        http.post(
                                "/ccs/v1/segmentation?k=ci-key",
                                "{\"aliases\":[{\"priority\":0,\"tag\":\"a\",\"id\":\"1\"},"
                                        + "{\"priority\":0,\"tag\":\"b\",\"id\":\"2\"}]}"),
                        400,
                        "invalid_user_identifier");
        assertThat(dup.get("cause").asText()).isEqualTo("aliases[1].priority: duplicate");

        StringBuilder many = new StringBuilder("[");
        for (int i = 0; i < 17; i++) {
            many.append(i == 0 ? "" : ",")
                    .append("{\"priority\":")
                    .append(i)
                    .append(",\"tag\":\"t\",\"id\":\"a")
                    .append(i)
                    .append("\"}");
        }
        JsonNode tooMany =
                error(
                        http.post("/ccs/v1/segmentation?k=ci-key", "{\"aliases\":" + many + "]}"),
                        400,
                        "too_many_aliases");
        assertThat(tooMany.get("code").asInt()).isPositive();

        error(
                http.post(
                        "/ccs/v1/segmentation?k=ci-key&synchronous-validation=maybe",
                        "{" + user + "}"),
                400,
                "invalid_parameter");

        error(
                http.header("Idempotency-Key", "two words")
                        .post("/ccs/v1/segmentation?k=ci-key", "{" + user + "}"),
                400,
                "invalid_request");

        // k wins over the header: a good k with a bad header reaches the body's checks (400),
        // a bad k with a good header is refused (401).
        error(
                http.header("X-Api-Key", "not-a-key").post("/ccs/v1/segmentation?k=ci-key", "{}"),
                400,
                "invalid_user_identifier");
        Http.Response refused =
                http.header("X-Api-Key", "ci-key")
                        .post("/ccs/v1/segmentation?k=not-a-key", "{" + user + "}");
        assertThat(refused.status()).as(refused.toString()).isEqualTo(401);

        // The request id is in the body and in the X-Request-Id header alike.
        Http.Response r = http.post("/ccs/v1/segmentation?k=ci-key", "{}");
        assertThat(r.header("X-Request-Id")).isEqualTo(r.json().get("request_id").asText());
    }

    @ParameterizedTest(name = "{0} gives a clear 4xx in the segmentation shape")
    @MethodSource("io.cohortflow.service.api.HostileInputTest#hostileBodies")
    void a_hostile_body_gives_a_clear_4xx_in_the_segmentation_shape(
            String what, Object body, String says) {
        assumeFalse(what.equals("a key given twice"), "here the last duplicate wins, by design");
        for (String path : List.of("/ccs/v1/segmentation?k=ci-key", "/schemas/hostile?k=ci-key")) {
            Http.Response r = http.send(path.startsWith("/ccs") ? "POST" : "PUT", path, body);
            assertThat(r.status()).as(what + " " + path + ": " + r).isIn(400, 413);
            JsonNode e = r.json().get("error");
            assertThat(e.get("type").asText()).isIn("malformed_json", "body_too_large");
            assertNoLeak(r.body());
        }
    }
}
