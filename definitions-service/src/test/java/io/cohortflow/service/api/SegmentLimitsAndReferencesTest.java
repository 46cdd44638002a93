package io.cohortflow.service.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.service.segments.SegmentLimits;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What a client can store is bounded (fields, definition, record) and what a definition may
 * reference is checked on every write, rollback and publish included. The real app over the
 * in-memory log, once with the default limits and once with a small record budget.
 */
class SegmentLimitsAndReferencesTest {
    static TestApp t;
    static TestApp small;
    static Http alice;

    @BeforeAll
    static void start() {
        t = new TestApp();
        alice = t.as("alice");
        small =
                new TestApp(
                        new SegmentLimits(
                                255, 4000, 50, 100, 500, 50, 100, 20, 200, 1000, 6000, 1000));
    }

    @AfterAll
    static void stop() {
        t.close();
        small.close();
    }

    static String create(Http who, String name, JsonNode def) {
        Http.Response r = who.post("/segments", Defs.body(name, def));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json().get("id").asText();
    }

    static Http.Response setTags(Http who, String id, int n, int descriptionChars) {
        List<Map<String, Object>> tags = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            tags.add(
                    Defs.map(
                            "name",
                            ("tag" + i + "-").repeat(20).substring(0, 100),
                            "description",
                            "d".repeat(descriptionChars)));
        }
        return who.put(
                "/componentmetadata/tags/tagitems",
                List.of(Defs.map("componentType", "segment", "componentId", id, "tags", tags)));
    }

    @Test
    void what_a_read_answered_goes_back_in_a_put_with_its_tags_unchanged() {
        String id = create(alice, "Round trip", Defs.mobile());
        assertThat(setTags(alice, id, 2, 10).status()).isEqualTo(200);
        // Every expansion: whatever a read can answer goes back.
        JsonNode read =
                alice.get(
                                "/segments/"
                                        + id
                                        + "?expansion="
                                        + String.join(
                                                ",", new java.util.TreeSet<>(Params.EXPANSIONS)))
                        .json();
        ((com.fasterxml.jackson.databind.node.ObjectNode) read).put("name", "Round trip, renamed");

        Http.Response put = alice.put("/segments/" + id, read);
        assertThat(put.status()).as(put.toString()).isEqualTo(200);
        assertThat(put.json().get("name").asText()).isEqualTo("Round trip, renamed");

        // (The version read is the one before that PUT: the next would be a version_conflict.)
        ((com.fasterxml.jackson.databind.node.ObjectNode) read).remove("version");
        ((com.fasterxml.jackson.databind.node.ObjectNode) read).putArray("tags");
        Http.Response changed = alice.put("/segments/" + id, read);
        assertThat(changed.status()).as(changed.toString()).isEqualTo(400);
        assertThat(firstError(changed).get("code").asText()).isEqualTo("read_only_field");
        assertThat(firstError(changed).get("pointer").asText()).isEqualTo("/tags");
        assertThat(alice.get("/segments/" + id + "?expansion=tags").json().get("tags")).hasSize(2);
    }

    static JsonNode firstError(Http.Response r) {
        return r.json().get("errors").get(0);
    }

    @Test
    void a_segment_edited_sixty_times_with_the_largest_fields_keeps_records_of_one_version_each() {
        String id = create(alice, "Grown", Defs.mobile());
        assertThat(setTags(alice, id, 50, 500).status()).isEqualTo(200);
        for (int i = 0; i < 60; i++) {
            Http.Response r =
                    alice.put(
                            "/segments/" + id,
                            Defs.map("description", (i + "-").repeat(2000).substring(0, 4000)));
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
        }
        // One version is about 37 KB (50 tags of 600 characters, a 4 000-character description);
        // with past versions inside the record, as before, it was several times that.
        assertThat(t.log.largestRecordBytes()).isLessThan(48_000);
        JsonNode versions = alice.get("/segments/" + id + "/versions").json();
        assertThat(versions).hasSize(5);
        assertThat(versions.get(0).get("version").asLong()).isEqualTo(62);
        assertThat(alice.post("/segments/" + id + "/versions/60/rollback", null).status())
                .isEqualTo(200);
        assertThat(alice.delete("/segments/" + id).status()).isEqualTo(200);
    }

    @Test
    void fields_over_their_limits_are_400_limit_exceeded_with_a_pointer_for_each() {
        Map<String, Object> body =
                Defs.map(
                        "name",
                        "n".repeat(256),
                        "rsid",
                        "default",
                        "definition",
                        Defs.mobile(),
                        "categories",
                        Collections.nCopies(51, "c").stream().map(c -> c + Math.random()).toList());
        Http.Response r = alice.post("/segments", body);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("errorCode").asText()).isEqualTo("limit_exceeded");
        assertThat(r.json().get("errors").findValuesAsText("pointer"))
                .containsExactly("/name", "/categories");
        String id = create(alice, "Bounded", Defs.mobile());
        Http.Response d = alice.put("/segments/" + id, Defs.map("description", "x".repeat(4001)));
        assertThat(d.status()).isEqualTo(400);
        assertThat(firstError(d).get("pointer").asText()).isEqualTo("/description");
        assertThat(firstError(d).get("code").asText()).isEqualTo("too_long");
        Http.Response tooMany = setTags(alice, id, 51, 1);
        assertThat(tooMany.status()).isEqualTo(400);
        assertThat(firstError(tooMany).get("pointer").asText()).isEqualTo("/tags");
        Http.Response tooLong = setTags(alice, id, 1, 501);
        assertThat(tooLong.status()).isEqualTo(400);
        assertThat(firstError(tooLong).get("pointer").asText()).isEqualTo("/tags/0/description");
        assertThat(alice.get("/segments/" + id).json().get("version").asLong()).isEqualTo(1);
    }

    @Test
    void a_definition_over_its_byte_limit_is_413_definition_too_large() {
        // Forty events of long names: about 2 400 bytes against a limit of 1 000.
        StringBuilder preds = new StringBuilder();
        for (String name : Collections.nCopies(40, "an-event-with-a-rather-long-name")) {
            preds.append(preds.length() == 0 ? "" : ",")
                    .append("{\"func\":\"event-exists\",\"evt\":\"")
                    .append(name)
                    .append("\"}");
        }
        JsonNode big =
                Defs.parse(
                        "{\"func\":\"segment-def\",\"container\":{\"func\":\"container\",\"context\":\"visitors\","
                                + "\"pred\":{\"func\":\"or\",\"preds\":["
                                + preds
                                + "]}}}");
        Http.Response r = small.as("alice").post("/segments", Defs.body("Big", big));
        assertThat(r.status()).as(r.toString()).isEqualTo(413);
        assertThat(r.json().get("errorCode").asText()).isEqualTo("definition_too_large");
        assertThat(firstError(r).get("pointer").asText()).isEqualTo("/definition");
        // The key to raise it by, as configured now (not its deprecated camel-case name).
        assertThat(r.json().get("errorDescription").asText())
                .endsWith("the limit is 1000 (cohortflow.segments.max-definition-bytes)");
    }

    @Test
    void
            a_write_that_would_grow_the_record_past_its_budget_is_413_and_the_segment_stays_editable() {
        Http a = small.as("alice");
        Http.Response c =
                a.post(
                        "/segments",
                        Defs.map(
                                "name",
                                "Near the budget",
                                "rsid",
                                "default",
                                "description",
                                "x".repeat(3000),
                                "definition",
                                Defs.mobile()));
        assertThat(c.status()).as(c.toString()).isEqualTo(200);
        String id = c.json().get("id").asText();
        Http.Response tags = setTags(a, id, 10, 500);
        assertThat(tags.status()).isEqualTo(413);
        assertThat(tags.json().get("errorCode").asText()).isEqualTo("segment_too_large");
        assertThat(tags.json().get("errorDescription").asText())
                .contains("the limit is 6000 (cohortflow.store.max-record-bytes)");
        assertThat(a.put("/segments/" + id, Defs.map("name", "Still editable")).status())
                .isEqualTo(200);
        assertThat(a.delete("/segments/" + id).status()).isEqualTo(200);
    }

    @Test
    void
            twenty_five_segments_referencing_each_other_in_levels_are_refused_once_they_expand_too_far() {
        List<String> leaves = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            leaves.add(create(alice, "Leaf " + i, Defs.event("E" + i)));
        }
        String level1 = create(alice, "Level 1", Defs.refs(leaves));
        // 25 references to level 1 inline 25 * 25 leaves (1 302 predicates); the 20th crosses
        // the default limit of 1 000.
        JsonNode level2 = Defs.refs(Collections.nCopies(25, level1));
        Http.Response r = alice.post("/segments", Defs.body("Level 2", level2));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("errorCode").asText()).isEqualTo("invalid_definition");
        assertThat(firstError(r).get("code").asText()).isEqualTo("too_many_resolved_predicates");
        assertThat(firstError(r).get("pointer").asText())
                .isEqualTo("/definition/container/pred/preds/19");
        assertThat(alice.put("/segments/" + leaves.get(0), Defs.map("definition", level2)).status())
                .isEqualTo(400);
        JsonNode v = alice.post("/segments/validate?rsid=default", level2).json();
        assertThat(v.get("valid").asBoolean()).isFalse();
        assertThat(v.at("/errors/0/code").asText()).isEqualTo("too_many_resolved_predicates");
        assertThat(v.at("/errors/0/pointer").asText()).isEqualTo("/container/pred/preds/19");
        String smaller =
                create(alice, "Level 2, smaller", Defs.refs(Collections.nCopies(19, level1)));

        // Level 2 inlines leaf 0 nineteen times: a leaf that grows takes it past the limit, which
        // its own validation would refuse, so the leaf's edit is refused, naming it.
        Http.Response grow =
                alice.put(
                        "/segments/" + leaves.get(0),
                        Defs.map("definition", Defs.refs(List.of(leaves.get(1), leaves.get(2)))));
        assertThat(grow.status()).as(grow.toString()).isEqualTo(400);
        assertThat(firstError(grow).get("code").asText()).isEqualTo("too_many_resolved_predicates");
        assertThat(grow.json().get("errorDescription").asText()).contains(smaller);
        assertThat(alice.get("/segments/" + leaves.get(0)).json().get("version").asLong())
                .isEqualTo(1);
        assertThat(
                        alice.put(
                                        "/segments/" + leaves.get(0),
                                        Defs.map("definition", Defs.event("F")))
                                .status())
                .isEqualTo(200);
    }

    /** A visitors segment: {@code nots} nested nots around {@code inner}. */
    private static JsonNode nots(int nots, String inner) {
        String pred = inner;
        for (int i = 0; i < nots; i++) {
            pred = "{\"func\":\"not\",\"pred\":" + pred + "}";
        }
        return Defs.parse(
                "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\","
                        + "\"context\":\"visitors\",\"pred\":"
                        + pred
                        + "}}");
    }

    private static String ref(String id) {
        return "{\"func\":\"segment-ref\",\"id\":\"" + id + "\"}";
    }

    @Test
    void
            an_edit_nesting_a_referenced_segment_deeper_is_refused_when_a_referrer_would_pass_the_depth_guardrail() {
        // The depth guardrail (12) holds for the inlined definition: nine nots around a reference
        // to a segment of two levels nest twelve deep, ten nots thirteen.
        String leaf = create(alice, "Deep leaf", Defs.event("A"));
        String link = create(alice, "Nine nots", nots(9, ref(leaf)));
        Http.Response ten = alice.post("/segments", Defs.body("Ten nots", nots(10, ref(leaf))));
        assertThat(ten.status()).as(ten.toString()).isEqualTo(400);
        assertThat(firstError(ten).get("code").asText()).isEqualTo("too_deep");
        assertThat(firstError(ten).get("pointer").asText())
                .isEqualTo("/definition/container" + "/pred".repeat(11));

        // The leaf, valid on its own, would take the link past it: the edit is refused, naming it.
        Http.Response deeper =
                alice.put(
                        "/segments/" + leaf,
                        Defs.map(
                                "definition",
                                nots(1, "{\"func\":\"event-exists\",\"evt\":\"B\"}")));
        assertThat(deeper.status()).as(deeper.toString()).isEqualTo(400);
        assertThat(firstError(deeper).get("code").asText()).isEqualTo("too_deep");
        assertThat(deeper.json().get("errorDescription").asText())
                .contains("segment " + link + " references this one");
        assertThat(alice.get("/segments/" + leaf).json().get("version").asLong()).isEqualTo(1);
    }

    /** A definition whose top container has {@code context}, around one predicate. */
    private static JsonNode top(String context, String pred) {
        return Defs.parse(
                "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\","
                        + "\"context\":\""
                        + context
                        + "\",\"pred\":"
                        + pred
                        + "}}");
    }

    @Test
    void
            an_edit_making_a_segment_counted_inside_a_visit_visitors_level_is_refused_naming_the_referrer() {
        String hits =
                create(
                        alice,
                        "Hits of A",
                        top("hits", "{\"func\":\"event-exists\",\"evt\":\"A\"}"));
        // Visitors with a visit that has a hit of the segment: valid while it is a hits segment.
        String visit =
                create(
                        alice,
                        "A visit with a hit of A",
                        top(
                                "visitors",
                                "{\"func\":\"container\",\"context\":\"visits\",\"pred\":"
                                        + ref(hits)
                                        + "}"));

        // As a visitors segment it can no longer sit in the visit: what the referrer means would
        // change (or the job refuse it), so the edit is refused, naming the referrer.
        Http.Response widen =
                alice.put("/segments/" + hits, Defs.map("definition", Defs.event("A")));

        assertThat(widen.status()).as(widen.toString()).isEqualTo(400);
        assertThat(widen.json().get("errorCode").asText()).isEqualTo("invalid_definition");
        assertThat(widen.json().get("errorDescription").asText())
                .contains("segment " + visit + " references this one")
                .contains("/container/pred/pred")
                .contains("visitors segment");
        assertThat(firstError(widen).get("code").asText()).isEqualTo("context_nesting");
        assertThat(firstError(widen).get("pointer").asText()).isEqualTo("/definition");
        assertThat(firstError(widen).get("message").asText()).contains(visit);
        assertThat(alice.get("/segments/" + hits).json().get("version").asLong()).isEqualTo(1);
        // A visits segment still fits in a visit, and a hits one again.
        Http.Response visits =
                alice.put(
                        "/segments/" + hits,
                        Defs.map(
                                "definition",
                                top("visits", "{\"func\":\"event-exists\",\"evt\":\"A\"}")));
        assertThat(visits.status()).as(visits.toString()).isEqualTo(200);
        assertThat(
                        alice.put(
                                        "/segments/" + hits,
                                        Defs.map(
                                                "definition",
                                                top(
                                                        "hits",
                                                        "{\"func\":\"event-exists\",\"evt\":\"B\"}")))
                                .status())
                .isEqualTo(200);
    }

    /** A visitors segment: an or of {@code n} aggregate comparisons. */
    private static JsonNode amounts(int n) {
        StringBuilder preds = new StringBuilder();
        for (int i = 0; i < n; i++) {
            preds.append(i == 0 ? "" : ",")
                    .append("{\"func\":\"gt\",\"val\":{\"func\":\"attr\",")
                    .append("\"name\":\"metrics/revenue\"},\"num\":")
                    .append(i)
                    .append("}");
        }
        return top("visitors", "{\"func\":\"or\",\"preds\":[" + preds + "]}");
    }

    @Test
    void an_edit_taking_a_referrer_past_the_aggregates_guardrail_once_inlined_is_refused() {
        String money = create(alice, "Ten amounts", amounts(10));
        // Twenty aggregates inlined: the limit.
        String both = create(alice, "Twice the amounts", Defs.refs(List.of(money, money)));

        Http.Response eleven = alice.put("/segments/" + money, Defs.map("definition", amounts(11)));

        assertThat(eleven.status()).as(eleven.toString()).isEqualTo(400);
        assertThat(firstError(eleven).get("code").asText()).isEqualTo("too_many_aggregates");
        assertThat(eleven.json().get("errorDescription").asText())
                .contains("segment " + both + " references this one")
                .contains("22 aggregate comparisons");
        assertThat(alice.get("/segments/" + money).json().get("version").asLong()).isEqualTo(1);
        // Written directly, the same inlined definition is refused at the reference crossing it.
        Http.Response direct =
                alice.post(
                        "/segments", Defs.body("Thrice", Defs.refs(List.of(money, money, money))));
        assertThat(direct.status()).isEqualTo(400);
        assertThat(firstError(direct).get("code").asText()).isEqualTo("too_many_aggregates");
        assertThat(firstError(direct).get("pointer").asText())
                .isEqualTo("/definition/container/pred/preds/2");
    }

    @Test
    void a_rollback_that_would_close_a_reference_cycle_is_400_like_the_edit_it_repeats() {
        String a = create(alice, "A", Defs.event("A"));
        String b = create(alice, "B refs A", Defs.refs(List.of(a)));
        assertThat(alice.put("/segments/" + b, Defs.map("definition", Defs.event("B"))).status())
                .isEqualTo(200);
        assertThat(
                        alice.put("/segments/" + a, Defs.map("definition", Defs.refs(List.of(b))))
                                .status())
                .isEqualTo(200);
        Http.Response edit =
                alice.put("/segments/" + b, Defs.map("definition", Defs.refs(List.of(a))));
        assertThat(edit.status()).isEqualTo(400);
        assertThat(firstError(edit).get("code").asText()).isEqualTo("segment_cycle");

        Http.Response rollback = alice.post("/segments/" + b + "/versions/1/rollback", null);

        assertThat(rollback.status()).isEqualTo(400);
        assertThat(firstError(rollback).get("code").asText()).isEqualTo("segment_cycle");
        assertThat(alice.get("/segments/" + b).json().get("version").asLong()).isEqualTo(2);
    }

    @Test
    void references_to_templates_and_unpublished_segments_are_400_with_their_own_codes() {
        String template =
                alice.get("/segments?includeType=templates&sortDirection=DESC&limit=1")
                        .json()
                        .get(0)
                        .get("id")
                        .asText();
        assertThat(template).startsWith("tpl_");
        Http.Response toTemplate =
                alice.post("/segments", Defs.body("Refs a template", Defs.refs(List.of(template))));
        assertThat(toTemplate.status()).isEqualTo(400);
        assertThat(firstError(toTemplate).get("code").asText()).isEqualTo("template_reference");
        assertThat(firstError(toTemplate).get("pointer").asText())
                .isEqualTo("/definition/container/pred/preds/0");

        String draft =
                alice.post("/segments", Defs.body("Draft", Defs.event("D")).put("published", false))
                        .json()
                        .get("id")
                        .asText();
        Http.Response toDraft =
                alice.post("/segments", Defs.body("Refs a draft", Defs.refs(List.of(draft))));
        assertThat(toDraft.status()).isEqualTo(400);
        assertThat(firstError(toDraft).get("code").asText()).isEqualTo("unpublished_segment");

        assertThat(alice.post("/segments/" + draft + "/publish", null).status()).isEqualTo(200);
        String user = create(alice, "Refs a published segment", Defs.refs(List.of(draft)));
        // Unpublishing is always allowed; publishing the referrer again is checked.
        assertThat(alice.post("/segments/" + user + "/unpublish", null).status()).isEqualTo(200);
        assertThat(alice.post("/segments/" + draft + "/unpublish", null).status()).isEqualTo(200);
        Http.Response publish = alice.post("/segments/" + user + "/publish", null);
        assertThat(publish.status()).isEqualTo(400);
        assertThat(firstError(publish).get("code").asText()).isEqualTo("unpublished_segment");
        // Going live through PUT is the same check, with no new definition in the body.
        Http.Response put = alice.put("/segments/" + user, Defs.map("published", true));
        assertThat(put.status()).as(put.toString()).isEqualTo(400);
        assertThat(firstError(put).get("code").asText()).isEqualTo("unpublished_segment");
        assertThat(
                        alice.get("/segments/" + user)
                                .json()
                                .at("/publishingStatus/published")
                                .asBoolean())
                .isFalse();
    }

    /**
     * A delete checked while a create naming the segment is being written waits for it, and finds
     * the new referrer: checked at once, each against a view without the other, both answered 200
     * and left a published segment referencing a deleted one.
     */
    @Test
    void a_delete_racing_a_create_that_references_the_segment_is_refused() throws Exception {
        try (TestApp app = new TestApp()) {
            Http a = app.as("alice");
            String base = create(a, "Raced base", Defs.event("B"));
            app.log.hold();
            var creating =
                    java.util.concurrent.CompletableFuture.supplyAsync(
                            () ->
                                    a.post(
                                            "/segments",
                                            Defs.body("Raced user", Defs.refs(List.of(base)))));
            org.awaitility.Awaitility.await()
                    .atMost(java.time.Duration.ofSeconds(5))
                    .until(() -> app.log.heldCount() == 1);
            var deleting =
                    java.util.concurrent.CompletableFuture.supplyAsync(
                            () -> a.delete("/segments/" + base));
            // Time for the delete to reach the log too, were it not made to wait.
            Thread.sleep(500);
            app.log.release();
            Http.Response created = creating.get();
            assertThat(created.status()).as(created.toString()).isEqualTo(200);
            Http.Response deleted = deleting.get();
            assertThat(deleted.status()).as(deleted.toString()).isEqualTo(409);
            assertThat(deleted.json().get("errorCode").asText()).isEqualTo("referenced_segment");
            assertThat(a.get("/segments/" + base).json().get("version").asLong())
                    .as("not deleted")
                    .isEqualTo(1);
        }
    }

    @Test
    void a_referenced_segment_is_not_deleted_or_unpublished_without_force() {
        String base = create(alice, "Base", Defs.event("B"));
        String user = create(alice, "Uses base", Defs.refs(List.of(base)));
        String other = create(alice, "Also uses base", Defs.refs(List.of(base, base)));

        Http.Response deps = alice.get("/segments/" + base + "/dependents");
        assertThat(deps.status()).isEqualTo(200);
        assertThat(deps.json())
                .extracting(n -> n.get("id").asText())
                .containsExactlyInAnyOrder(user, other);
        assertThat(alice.get("/segments/" + user + "/dependents").json()).isEmpty();

        Http.Response delete = alice.delete("/segments/" + base);
        assertThat(delete.status()).as(delete.toString()).isEqualTo(409);
        assertThat(delete.json().get("errorCode").asText()).isEqualTo("referenced_segment");
        assertThat(delete.json().get("errorDescription").asText())
                .contains("referenced by 2 segments")
                .contains("force=true");
        assertThat(delete.json().get("errors"))
                .extracting(n -> n.get("id").asText())
                .containsExactlyInAnyOrder(user, other);
        Http.Response unpublish = alice.post("/segments/" + base + "/unpublish", null);
        assertThat(unpublish.status()).isEqualTo(409);
        Http.Response unpublishByPut = alice.put("/segments/" + base, Defs.map("published", false));
        assertThat(unpublishByPut.status()).isEqualTo(409);
        assertThat(alice.get("/segments/" + base).json().get("version").asLong()).isEqualTo(1);

        // Once the referrers are gone or drafts, the segment may go: drafts are checked again
        // when they are published, deleted segments never are.
        assertThat(alice.delete("/segments/" + other).status()).isEqualTo(200);
        assertThat(alice.post("/segments/" + user + "/unpublish", null).status()).isEqualTo(200);
        assertThat(alice.post("/segments/" + base + "/unpublish", null).status()).isEqualTo(200);
        Http.Response deleteWithDraft = alice.delete("/segments/" + base);
        assertThat(deleteWithDraft.status()).isEqualTo(409);
        assertThat(deleteWithDraft.json().get("errorDescription").asText())
                .contains("referenced by 1 segment;");
        Http.Response forced = alice.delete("/segments/" + base + "?force=true");
        assertThat(forced.status()).as(forced.toString()).isEqualTo(200);
        assertThat(alice.get("/segments/" + base).json().get("deleted").asBoolean()).isTrue();
        assertThat(alice.delete("/segments/" + user + "?force=maybe").status()).isEqualTo(400);
    }
}
