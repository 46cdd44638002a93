package io.cohortflow.service.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cohortflow.core.contract.Json;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A {@code segment-ref} in a definition a caller sends may name only a segment the caller may see
 * (its own, one shared with it, any for an admin: the rule of {@code GET /segments/{id}}); any
 * other is refused exactly as an unknown id, in validate, create, update, rollback, preview and
 * estimate, so neither its definition, its audience nor its existence leaks. Stored segments are
 * judged as stored: a referrer written while allowed stays evaluable and editable.
 */
class SegmentRefVisibilityTest {
    static TestApp t;
    static Http alice;
    static Http bob;
    static Http reader;
    static Http admin;

    /** The event bob's private segments are about: nothing alice is refused may show it. */
    static final String SECRET = "BobsSecretEvent";

    @BeforeAll
    static void start() {
        t = new TestApp();
        alice = t.as("alice");
        bob = t.as("bob");
        reader = t.as("reader");
        admin = t.as("admin");
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    static String create(Http who, String name, JsonNode def) {
        Http.Response r = who.post("/segments", Defs.body(name, def));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json().get("id").asText();
    }

    static long share(Http owner, String id, long withOwner) {
        Http.Response r =
                owner.post(
                        "/componentmetadata/shares",
                        Defs.map(
                                "componentType",
                                "segment",
                                "componentId",
                                id,
                                "shareToId",
                                withOwner,
                                "shareToType",
                                "user"));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json().get("shareId").asLong();
    }

    static ObjectNode preview(JsonNode definition) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.set("definition", definition);
        ObjectNode event = body.putArray("events").addObject();
        event.put("name", SECRET);
        event.put("time", "2026-01-01T10:00:00Z");
        event.putObject("properties");
        body.put("at", "2026-01-01T11:00:00Z");
        return body;
    }

    /** A hits container holding one reference: a visitors segment there is a context_nesting. */
    static JsonNode hitsRef(String id) {
        return Defs.parse(
                "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\","
                        + "\"context\":\"hits\",\"pred\":{\"func\":\"segment-ref\",\"id\":\""
                        + id
                        + "\"}}}");
    }

    /**
     * What {@code who} is answered for a definition naming {@code hidden} through every endpoint
     * that takes a definition is what it is answered for an id that names no segment, that id
     * aside; and the answer is an {@code unknown_segment}.
     */
    static void refusedAsUnknown(Http who, String hidden, JsonNode def, boolean write) {
        String unknown = "s_no_such_segment";
        JsonNode same = Defs.parse(def.toString().replace(hidden, unknown));
        Http.Response validate = who.post("/segments/validate?rsid=default", def);
        assertThat(validate.status()).as(validate.toString()).isEqualTo(200);
        assertThat(validate.json().get("valid").asBoolean()).isFalse();
        assertThat(validate.json().get("errors").get(0).get("code").asText())
                .isEqualTo("unknown_segment");
        assertSameAnswer(validate, who.post("/segments/validate?rsid=default", same), hidden);

        Http.Response preview = who.post("/segments/preview", preview(def));
        assertRefused(preview);
        assertSameAnswer(preview, who.post("/segments/preview", preview(same)), hidden);

        Http.Response estimate = who.post("/segments/estimate", Defs.body("Estimate", def));
        assertRefused(estimate);
        assertSameAnswer(
                estimate, who.post("/segments/estimate", Defs.body("Estimate", same)), hidden);

        if (write) {
            Http.Response create = who.post("/segments", Defs.body("Refs it", def));
            assertRefused(create);
            assertSameAnswer(create, who.post("/segments", Defs.body("Refs it", same)), hidden);

            String own = create(who, "Own", Defs.event("Own"));
            Http.Response update = who.put("/segments/" + own, Defs.map("definition", def));
            assertRefused(update);
            assertSameAnswer(
                    update, who.put("/segments/" + own, Defs.map("definition", same)), hidden);
            assertThat(who.get("/segments/" + own).json().get("version").asLong()).isEqualTo(1);
        }
    }

    static void assertRefused(Http.Response r) {
        assertThat(r.status()).as(r.toString()).isEqualTo(400);
        assertThat(r.json().get("errorCode").asText()).isEqualTo("invalid_definition");
        assertThat(r.json().get("errors").get(0).get("code").asText()).isEqualTo("unknown_segment");
        assertThat(r.body()).doesNotContain(SECRET);
    }

    /** The same status and body, the id and the error's own id ({@code errorId}) aside. */
    static void assertSameAnswer(Http.Response hidden, Http.Response unknown, String id) {
        assertThat(hidden.status()).isEqualTo(unknown.status());
        ObjectNode h = (ObjectNode) Defs.parse(hidden.body().replace(id, "s_no_such_segment"));
        ObjectNode u = (ObjectNode) unknown.json();
        h.remove("errorId");
        u.remove("errorId");
        assertThat(h).isEqualTo(u);
    }

    @Test
    void a_reference_to_a_segment_the_caller_may_not_see_is_refused_as_an_unknown_one() {
        String secret = create(bob, "Bob's secret", Defs.event(SECRET));
        assertThat(alice.get("/segments/" + secret).status()).isEqualTo(403);
        assertThat(alice.get("/segments/" + secret + "/audience").status()).isEqualTo(403);

        refusedAsUnknown(alice, secret, Defs.refs(List.of(secret)), true);
        refusedAsUnknown(reader, secret, Defs.refs(List.of(secret)), false);
        // A visitors segment inside a hits container would be a context_nesting, which would say
        // it exists and what its context is: unknown, nothing else.
        refusedAsUnknown(alice, secret, hitsRef(secret), true);
        // Nor is an unpublished one unpublished_segment.
        String draft =
                bob.post(
                                "/segments",
                                Defs.body("Bob's draft", Defs.event(SECRET))
                                        .put("published", false))
                        .json()
                        .get("id")
                        .asText();
        refusedAsUnknown(alice, draft, Defs.refs(List.of(draft)), true);
        // Another workspace's admin neither.
        refusedAsUnknown(t.as("eve"), secret, Defs.refs(List.of(secret)), true);
    }

    @Test
    void a_shared_segment_may_be_referenced_and_an_admin_references_any() {
        String secret = create(bob, "Bob's shared", Defs.event(SECRET));
        JsonNode def = Defs.refs(List.of(secret));
        assertThat(alice.post("/segments", Defs.body("Too early", def)).status()).isEqualTo(400);

        share(bob, secret, 1);
        for (Http who : List.of(alice, admin)) {
            Http.Response validate = who.post("/segments/validate?rsid=default", def);
            assertThat(validate.json().get("valid").asBoolean()).as(validate.toString()).isTrue();
            Http.Response preview = who.post("/segments/preview", preview(def));
            assertThat(preview.status()).as(preview.toString()).isEqualTo(200);
            assertThat(preview.json().at("/users/0/member").asBoolean()).isTrue();
            // Past validation: here no job answers estimates.
            Http.Response estimate = who.post("/segments/estimate", Defs.body("Estimate", def));
            assertThat(estimate.status()).as(estimate.toString()).isEqualTo(503);
            assertThat(estimate.json().get("errorCode").asText()).isEqualTo("estimate_unavailable");
            create(who, "Refs bob's", def);
        }
        // Shared with alice, not with the reader.
        assertThat(
                        reader.post("/segments/validate?rsid=default", def)
                                .json()
                                .get("valid")
                                .asBoolean())
                .isFalse();

        String own = create(admin, "Admin's own, not shared", Defs.event("A"));
        assertThat(bob.get("/segments/" + own).status()).isEqualTo(403);
        assertThat(bob.post("/segments", Defs.body("x", Defs.refs(List.of(own)))).status())
                .isEqualTo(400);
        share(admin, own, 2);
        create(bob, "Refs admin's", Defs.refs(List.of(own)));
    }

    /**
     * Only the references the caller writes are its own: those of a segment shared with it are its
     * owner's, checked when that was written, and are inlined when it is evaluated.
     */
    @Test
    void a_shared_segment_that_references_one_the_caller_may_not_see_is_still_usable() {
        String secret = create(bob, "Bob's building block", Defs.event(SECRET));
        String shared = create(bob, "Bob's shared on top", Defs.refs(List.of(secret)));
        share(bob, shared, 1);

        JsonNode def = Defs.refs(List.of(shared));
        assertThat(
                        alice.post("/segments/validate?rsid=default", def)
                                .json()
                                .get("valid")
                                .asBoolean())
                .isTrue();
        Http.Response preview = alice.post("/segments/preview", preview(def));
        assertThat(preview.status()).as(preview.toString()).isEqualTo(200);
        assertThat(preview.json().at("/users/0/member").asBoolean()).isTrue();
        create(alice, "Refs bob's shared", def);
        // Naming the building block too is naming it: refused.
        Http.Response both =
                alice.post("/segments", Defs.body("Both", Defs.refs(List.of(shared, secret))));
        assertRefused(both);
    }

    @Test
    void a_referrer_written_while_allowed_stays_evaluable_and_editable_by_its_owner() {
        String secret = create(bob, "Bob's, shared for a while", Defs.event(SECRET));
        long shareId = share(bob, secret, 1);
        String referrer = create(alice, "Alice's referrer", Defs.refs(List.of(secret)));
        assertThat(bob.delete("/componentmetadata/shares/" + shareId).status()).isEqualTo(200);
        assertThat(alice.get("/segments/" + secret).status()).isEqualTo(403);

        // Stored, it is judged as stored: valid, and evaluated with bob's segment inlined.
        JsonNode compat =
                alice.get("/segments/" + referrer + "?expansion=compatibility")
                        .json()
                        .get("compatibility");
        assertThat(compat.get("valid").asBoolean()).as(compat.toString()).isTrue();
        Http.Response preview =
                alice.post("/segments/preview", preview(Defs.refs(List.of(referrer))));
        assertThat(preview.status()).as(preview.toString()).isEqualTo(200);
        assertThat(preview.json().at("/users/0/member").asBoolean()).isTrue();

        // Its owner edits it, and takes it off and back on line: its definition is unchanged.
        Http.Response rename = alice.put("/segments/" + referrer, Defs.map("name", "Renamed"));
        assertThat(rename.status()).as(rename.toString()).isEqualTo(200);
        assertThat(alice.post("/segments/" + referrer + "/unpublish", null).status())
                .isEqualTo(200);
        Http.Response publish = alice.post("/segments/" + referrer + "/publish", null);
        assertThat(publish.status()).as(publish.toString()).isEqualTo(200);
        // Bob edits his segment: the re-check of the referrer runs without a caller.
        Http.Response edit =
                bob.put("/segments/" + secret, Defs.map("definition", Defs.event(SECRET + "2")));
        assertThat(edit.status()).as(edit.toString()).isEqualTo(200);

        // A definition alice sends naming it again is hers: refused now, as is restoring one.
        assertRefused(
                alice.put(
                        "/segments/" + referrer,
                        Defs.map("definition", Defs.refs(List.of(secret, secret)))));
        Http.Response replaced =
                alice.put("/segments/" + referrer, Defs.map("definition", Defs.event("Own")));
        assertThat(replaced.status()).as(replaced.toString()).isEqualTo(200);
        assertRefused(alice.post("/segments/" + referrer + "/versions/1/rollback", null));
        // An admin may, and so may alice once it is shared again.
        Http.Response byAdmin = admin.post("/segments/" + referrer + "/versions/1/rollback", null);
        assertThat(byAdmin.status()).as(byAdmin.toString()).isEqualTo(200);
        share(bob, secret, 1);
        Http.Response again =
                alice.put(
                        "/segments/" + referrer,
                        Defs.map("definition", Defs.refs(List.of(secret, secret))));
        assertThat(again.status()).as(again.toString()).isEqualTo(200);
    }
}
