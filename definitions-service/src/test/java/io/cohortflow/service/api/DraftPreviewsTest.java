package io.cohortflow.service.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.estimate.Preview;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /segments/preview} is bounded in what one request makes the service build: at most
 * {@link Preview#MAX_USERS} users, and at most {@link Preview#MAX_EXPLAINED_NODES} explanation
 * nodes over them (users times the draft's predicates), whatever their events.
 */
class DraftPreviewsTest {
    static TestApp t;
    static Http alice;

    @BeforeAll
    static void start() {
        t = new TestApp();
        alice = t.as("alice");
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    /** A preview of {@code definition} for {@code users} users without events. */
    static ObjectNode preview(JsonNode definition, int users) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.set("definition", definition);
        ArrayNode list = body.putArray("users");
        for (int i = 0; i < users; i++) {
            ObjectNode u = list.addObject();
            u.put("userId", "u" + i);
            u.putArray("events");
        }
        body.put("at", "2026-01-01T11:00:00Z");
        return body;
    }

    /** A visitors segment: an or of {@code n} event-exists, {@code n + 2} predicates in all. */
    static JsonNode anyOf(int n) {
        StringBuilder preds = new StringBuilder();
        for (int i = 0; i < n; i++) {
            preds.append(i == 0 ? "" : ",")
                    .append("{\"func\":\"event-exists\",\"evt\":\"E")
                    .append(i)
                    .append("\"}");
        }
        return Defs.parse(
                "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\","
                        + "\"context\":\"visitors\",\"pred\":{\"func\":\"or\",\"preds\":["
                        + preds
                        + "]}}}");
    }

    static void assertTooManyUsers(Http.Response r, String says) {
        assertThat(r.status()).as(r.toString()).isEqualTo(400);
        assertThat(r.json().get("errorCode").asText()).isEqualTo("too_many_users");
        assertThat(r.json().get("errorDescription").asText()).contains(says);
        assertThat(r.json().get("errorId").asText()).isNotEmpty();
        assertThat(r.json().at("/errors/0/pointer").asText()).isEqualTo("/users");
        assertThat(r.json().at("/errors/0/code").asText()).isEqualTo("too_many_users");
    }

    @Test
    void POST_preview_with_100_users_without_events_explains_each() {
        Http.Response r = alice.post("/segments/preview", preview(Defs.event("Buy"), 100));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.json().get("users")).hasSize(100);
        assertThat(r.json().at("/users/99/userId").asText()).isEqualTo("u99");
        assertThat(r.json().at("/users/99/member").asBoolean()).isFalse();
        assertThat(r.json().at("/users/99/explanation/func").asText()).isEqualTo("container");
    }

    @Test
    void POST_preview_with_101_users_gives_400_too_many_users() {
        // Without events: the events' cap says nothing of them, yet each costs an explanation.
        assertTooManyUsers(
                alice.post("/segments/preview", preview(Defs.event("Buy"), 101)),
                "at most 100 users");
    }

    @Test
    void POST_preview_whose_explanations_exceed_the_node_budget_gives_400_naming_the_most_users() {
        JsonNode large = anyOf(150); // 152 predicates: 65 users are 9 880 nodes, 66 are 10 032
        Http.Response within = alice.post("/segments/preview", preview(large, 65));
        assertThat(within.status()).as(within.toString()).isEqualTo(200);
        assertThat(within.json().get("users")).hasSize(65);
        assertThat(within.json().at("/users/0/explanation/children/0/children")).hasSize(150);

        assertTooManyUsers(
                alice.post("/segments/preview", preview(large, 66)),
                "at most 65 users with this draft");
    }

    @Test
    void POST_preview_of_one_user_is_answered_whatever_the_draft_size() {
        // The largest draft a write accepts as written (200 predicates) with its events form.
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.set("definition", anyOf(198));
        ObjectNode e = body.putArray("events").addObject();
        e.put("name", "E7");
        e.put("time", "2026-01-01T10:00:00Z");
        e.putObject("properties");
        body.put("at", "2026-01-01T11:00:00Z");
        Http.Response r = alice.post("/segments/preview", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.json().at("/users/0/member").asBoolean()).isTrue();
    }
}
